#!/usr/bin/env bash
# scripts/gpu-check.sh [BUNDLE]: the GPU checks of the tfjs engines, on a GPU host with no registry
# access, from a copy of this repository plus the bundle scripts/pack-gpu.ts made where npm works
# (default .gpu-bundle/bundle.tar.xz: a Node binary, a pruned node_modules, contract artifacts,
# optionally a Vulkan loader). It prints the GPUs and Vulkan drivers it sees, runs
# `bench/run.ts --only gpu` (step time, tokens/s, ratio to wasm, leak check, the 50M model) and, when
# a GPU engine loaded, a 2-peer cluster run of `fidelity` on it, then the figures.
#
# One time budget for all of it (GPU_CHECK_BUDGET_S, default 540 s: the device machine's 10-minute
# command limit less unpacking); each step gets what is left and is cut off by `timeout`.
# Exit status: 0 when every step that ran succeeded (also when no GPU engine loads: it says so).
# To check a bundle on a machine without a GPU: GPU_CHECK_ENGINE=wasm runs the cluster step on wasm
# (labelled so), GPU_CHECK_ROUNDS shortens it (default: fidelity's 20 rounds).
set -uo pipefail

budget_s=${GPU_CHECK_BUDGET_S:-540}
start_s=$SECONDS
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bundle=${1:-$repo/.gpu-bundle/bundle.tar.xz}
work=${GPU_CHECK_DIR:-${TMPDIR:-/tmp}/sparseloco-gpu-check}
status=0

left_s() { echo $((budget_s - (SECONDS - start_s))); }
# step NAME CMD…: runs CMD with what is left of the budget (skipped under 20 s).
step() {
  local name=$1 t
  shift
  t=$(left_s)
  if ((t < 20)); then
    echo "gpu-check: $name skipped: the ${budget_s} s budget is spent"
    status=1
    return 1
  fi
  echo "== $name (at most ${t} s)"
  timeout --kill-after=5 "$t" "$@"
  local rc=$?
  if ((rc != 0)); then
    echo "gpu-check: $name failed (exit $rc$( ((rc == 124)) && echo ', out of time'))"
    status=1
  fi
  return $rc
}

if [ ! -f "$bundle" ]; then
  echo "gpu-check: no bundle at $bundle; make one where npm works: npx tsx scripts/pack-gpu.ts" >&2
  exit 2
fi
rm -rf "$work" && mkdir -p "$work/out"
if ! tar -xJf "$bundle" -C "$work" 2>/dev/null; then
  # tar without xz support: Python's tarfile reads .tar.xz on its own.
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$bundle" "$work" || { echo "gpu-check: cannot unpack $bundle" >&2; exit 2; }
fi
# The repository's node_modules: the bundle's, unless the copy has a real one of its own.
if [ -L "$repo/node_modules" ] || [ ! -e "$repo/node_modules" ]; then ln -sfn "$work/node_modules" "$repo/node_modules"; fi
[ -d "$repo/artifacts/contracts" ] || cp -r "$work/artifacts" "$repo/artifacts"
export PATH="$work/bin:$PATH"
cd "$repo" || exit 2
echo "gpu-check: node $(node --version), bundle $(du -h "$bundle" | cut -f1), unpacked in $((SECONDS - start_s)) s"

echo "== GPUs (nvidia-smi)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 || echo "nvidia-smi: not available"
echo "== Vulkan (what Dawn needs for webgpu)"
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  if [ -f "$work/lib/libvulkan.so.1" ]; then
    export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "libvulkan.so.1: not installed; using the bundle's loader"
  else
    echo "libvulkan.so.1: not installed and not in the bundle (pack with --vulkan-loader)"
  fi
fi
icds=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null)
if [ -n "$icds" ]; then
  echo "Vulkan ICDs: $icds"
elif ldconfig -p 2>/dev/null | grep -q 'libGLX_nvidia\.so\.0'; then
  # The NVIDIA driver's Vulkan ICD is in libGLX_nvidia; containers often mount it without its json.
  printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3"}}\n' >"$work/nvidia_icd.json"
  export VK_ICD_FILENAMES="$work/nvidia_icd.json"
  echo "Vulkan ICDs: none installed; wrote $VK_ICD_FILENAMES for libGLX_nvidia.so.0"
else
  echo "Vulkan ICDs: none (no nvidia_icd.json, no libGLX_nvidia.so.0: a container needs NVIDIA_DRIVER_CAPABILITIES to include graphics)"
fi

# (step runs in a subshell under the pipe, so its status is read from PIPESTATUS)
step "gpu bench: npm run bench -- --only gpu" node --import tsx bench/run.ts --only gpu 2>&1 | tee "$work/out/bench-gpu.txt"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
engine=""
grep -q '^gpu\.step_ms\.gpt-108k\.tfjs-node-gpu ' "$work/out/bench-gpu.txt" && engine=gpu
[ -z "$engine" ] && grep -q '^gpu\.step_ms\.gpt-108k\.webgpu ' "$work/out/bench-gpu.txt" && engine=webgpu
if [ -n "${GPU_CHECK_ENGINE:-}" ]; then
  echo "gpu-check: GPU_CHECK_ENGINE=$GPU_CHECK_ENGINE: the cluster step runs on it${engine:+ instead of $engine} (a bundle check, not a GPU figure unless it is a GPU engine)"
  engine=$GPU_CHECK_ENGINE
fi
rounds=()
[ -n "${GPU_CHECK_ROUNDS:-}" ] && rounds=(--set "rounds=$GPU_CHECK_ROUNDS")
if [ -z "$engine" ]; then
  echo "gpu-check: no GPU engine loaded, so no cluster run on a GPU (the bench says why above)"
else
  step "fidelity, 2-peer cluster on engine $engine" node --import tsx experiments/cli.ts fidelity --backend cluster \
    --set peers=2 --set backend.engine="$engine" ${rounds[@]+"${rounds[@]}"} --out "$work/out/fidelity" 2>&1 | tee "$work/out/fidelity.txt" | tail -n 25
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  [ -f "$work/out/fidelity/config.resolved.json" ] && grep -m1 -A4 '"ranOn"' "$work/out/fidelity/config.resolved.json"
fi
echo "gpu-check: done in $((SECONDS - start_s)) s (budget ${budget_s} s), status $status; outputs in $work/out"
[ -n "${OUT:-}" ] && cp -r "$work/out/." "$OUT/" 2>/dev/null
exit $status
