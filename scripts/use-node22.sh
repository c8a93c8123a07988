# Source this file (`. scripts/use-node22.sh`): when the machine's Node is older than 22 (Hardhat 3
# needs ≥ 22.13), it installs Node 22 from the npm registry into .node22/ (once) and puts it first
# on PATH for this shell. npm then runs on Node 22 too, so native optional packages match it.
# Nothing is downloaded from outside the npm registry.
_sll_need_node() {
  command -v node >/dev/null 2>&1 || return 0
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=13)?1:0)'
}
if _sll_need_node; then
  _sll_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
  if [ ! -x "$_sll_root/.node22/node_modules/.bin/node" ]; then
    echo "use-node22: installing node@22 from the npm registry into $_sll_root/.node22" >&2
    npm install --prefix "$_sll_root/.node22" --no-audit --no-fund node@22 >&2 || return 1 2>/dev/null || exit 1
  fi
  export PATH="$_sll_root/.node22/node_modules/.bin:$PATH"
fi
unset -f _sll_need_node
echo "use-node22: $(command -v node) $(node --version)" >&2
