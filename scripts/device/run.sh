#!/usr/bin/env bash
# Runs on the GPU machine (docs/device-run.md), from the repository root with .device carried:
# unpacks .device/pack.tar.xz (scripts/device/prepare.sh), finds a Vulkan loader and the NVIDIA
# driver, and runs the browserless benchmark (bench-node.mjs: Node + Dawn on Vulkan) into $OUT.
#   bash scripts/device/run.sh [quick|issue|full]     (default issue)
#     quick: one small configuration and matmul 1024, our engine only (seconds; checks the path)
#     issue: quick, then the four issue configurations on every engine + matmul 1024,4096 kernel by kernel
#     full:  issue, then the default sweeps (webgpu against the CPU reference)
#     train: quick, then npm run train -- --runtime node (train/train-node.mjs) on the default MNIST job and
#            on 784-4096-4096-10, the adapter named at the start of each
# Env: OUT (results; default ./device-out), DEV (unpack dir; default /tmp/dev), BUDGET_S (default 420:
# each later phase gets what is left), QUICK_S (default 90), VK_DRIVER_FILES (set: used as is, e.g. SwiftShader for a local check).
# Nothing is installed into /: the loader is unpacked under $DEV and found through LD_LIBRARY_PATH.
set -u
MODE=${1:-issue}
OUT=${OUT:-$PWD/device-out}
DEV=${DEV:-/tmp/dev}
BUDGET_S=${BUDGET_S:-420}
START=$(date +%s)
mkdir -p "$OUT" "$DEV"
exec > >(tee -a "$OUT/run.log") 2>&1
left() { echo $((BUDGET_S - ($(date +%s) - START))); }

# tar needs the xz program for -J; Python's tarfile has lzma built in.
tar -xJf .device/pack.tar.xz -C "$DEV" 2>/dev/null \
  || python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' .device/pack.tar.xz "$DEV" \
  || { echo "run: cannot unpack .device/pack.tar.xz (was it carried? carry: [\".device\"])"; exit 1; }
head -2 "$DEV/MANIFEST"

# The Vulkan loader: the system's if it has one, else the carried libvulkan1.
if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  for f in "$DEV"/debs/*.deb; do dpkg -x "$f" "$DEV/vk"; done
  export LD_LIBRARY_PATH="$DEV/vk/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "vulkan loader: carried ($(ls "$DEV"/debs))"
else
  echo "vulkan loader: system"
fi
# The driver: the NVIDIA ICD where device/README.md says it is, unless one was named.
if [ -z "${VK_DRIVER_FILES:-}" ]; then
  for j in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    [ -f "$j" ] && { export VK_DRIVER_FILES=$j; break; }
  done
fi
export VK_ICD_FILENAMES=${VK_DRIVER_FILES:-}   # the same for loaders older than VK_DRIVER_FILES
echo "vulkan driver: ${VK_DRIVER_FILES:-none named (loader default search)}"
[ -n "${VK_DRIVER_FILES:-}" ] && { cat "$VK_DRIVER_FILES"; echo; }
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader

cd "$DEV"
# dawn.node needs GLIBCXX_3.4.30 (GCC 12's libstdc++); fall back to the carried one if the image's is older.
if ! ./node -e 'require("./dawn.node")' 2>/dev/null; then
  export LD_LIBRARY_PATH="$DEV/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "dawn.node: loads only with the carried libstdc++"
fi
./node -e 'require("./dawn.node")' || { echo "run: dawn.node does not load under ./node"; exit 1; }
bench() { # bench DIR SECONDS ARGS...: one run of the benchmark, its bench.json and bench.html into $OUT/DIR (or DIR if absolute)
  local dir=$1 secs=$2 out=$OUT/$1
  [[ $dir = /* ]] && out=$dir
  shift 2
  [ "$secs" -gt 20 ] || { echo "run: no time left for $dir"; return 1; }
  echo "== $dir ($secs s at most): bench-node.mjs $*"
  timeout "$secs" ./node bench-node.mjs --dawn-flag backend=vulkan --out "$out" "$@"
  local rc=$?
  echo "== $dir: exit $rc after $(($(date +%s) - START)) s"
  return $rc
}

# quick proves the path and names the adapter; a CPU adapter (SwiftShader, llvmpipe) is reported, not hidden.
bench quick "${QUICK_S:-90}" --engines webgpu --hidden 512,512 --batch-size 256 --matmul 1024 --no-kernels || exit 1
grep -o '"adapter": "[^"]*"' "$OUT/quick/bench.json" | head -1
[ "$MODE" = quick ] && exit 0
train() { # train NAME ARGS...: one training run of the bundled CLI on Dawn, its lines in run.log
  local secs=$(($(left) - 5)) name=$1
  shift
  [ "$secs" -gt 20 ] || { echo "run: no time left for train $name"; return 1; }
  echo "== train $name ($secs s at most): train-node.mjs --runtime node $*"
  WEBGPU_DAWN_NODE="$DEV/dawn.node" WEBGPU_MLP_TUNE_CACHE="$DEV/tune.json" timeout "$secs" ./node train/train-node.mjs --runtime node "$@"
  echo "== train $name: exit $? after $(($(date +%s) - START)) s"
}
if [ "$MODE" = train ]; then
  train default
  train 784-4096-4096-10 --hidden 4096,4096 --epochs 3 --lr 0.05
  exit 0
fi
# Every engine but tfjs-wasm-plain: timed in turns with tfjs-wasm it has no first-step cut-off, and the
# widest configuration would spend minutes of the budget on the CPU.
bench issue "$(($(left) - 5))" --no-sweep --matmul 1024,4096 --max-step-s 30 --engines webgpu,tfjs-webgpu,tfjs-wasm,cpu-reference || exit 1
# Our steps with each GPU family forced, since the tune's small shape may not pick the best family for
# wide layers; the summaries land in run.log only (the tool brings back at most 8 files).
for f in tiled tiled8; do
  bench "/tmp/family-$f" "$(($(left) - 5))" --engines webgpu --no-sweep --no-kernels --matmul none --family "$f" --max-step-s 30 || true
done
[ "$MODE" = issue ] && exit 0
bench full "$(($(left) - 5))" --matmul none --no-kernels --engines webgpu,cpu-reference --max-step-s 30
