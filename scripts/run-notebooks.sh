#!/usr/bin/env bash
# Executes every notebook under notebooks/ against freshly written results, so the notebooks
# cannot rot. Needs Debian's Jupyter (installed here when missing and apt-get is usable) and the
# tslab TypeScript kernel (a devDependency). Results come from tiny runs of the experiments the
# notebooks read; the notebooks themselves only read them.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v jupyter >/dev/null 2>&1 || ! jupyter nbconvert --version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run-notebooks: installing Debian's Jupyter (nbconvert, ipykernel)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-nbconvert python3-ipykernel jupyter-client jupyter-nbconvert >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-nbconvert python3-ipykernel jupyter-client jupyter-nbconvert >/dev/null; }
  else
    echo "run-notebooks: needs jupyter nbconvert (Debian: apt-get install python3-nbconvert python3-ipykernel jupyter-client jupyter-nbconvert)" >&2
    exit 1
  fi
fi
# tslab (its kernel spec runs `tslab` from PATH) and the experiments then run on the Node 22 that
# the `node` devDependency installed there, whatever the machine's Node is.
export PATH="$PWD/node_modules/.bin:$PATH"
echo "run-notebooks: tslab kernel on node $(node --version) ($(command -v node))" >&2
# The kernel spec stays inside the checkout: {prefix}/share/jupyter/kernels/tslab.
export JUPYTER_DATA_DIR="$PWD/.jupyter/share/jupyter"
tslab install --python=/usr/bin/python3 --prefix="$PWD/.jupyter" >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for id in churn-30pct baselines; do
  npm run -s experiment -- "$id" --tiny --seeds 1,2 --jobs 1 --out "$work/results/$id" >/dev/null 2>&1
  var="SLL_RESULTS_$(echo "$id" | tr 'a-z-' 'A-Z_')"
  export "$var=$work/results/$id"
done
for nb in notebooks/*.ipynb; do
  echo "run-notebooks: executing $nb" >&2
  (cd notebooks && jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=300 --ExecutePreprocessor.kernel_name=tslab --output-dir "$work/out" "$(basename "$nb")" >&2)
done
echo "run-notebooks: all notebooks executed" >&2
