#!/usr/bin/env bash
# Builds the optional native backend (@tensorflow/tfjs-node) without internet, for CI and for
# machines whose `npm ci` could not download libtensorflow: the TensorFlow C library comes from the
# `tensorflow-cpu` wheel that pip can reach (a local wheel folder or an index), and the binding is
# compiled from source against it with node-gyp. Users with internet do not need this: their
# `npm ci` installs the package with its own download.
#
# Usage: scripts/native/tfjs-node-offline.sh [--if-missing]
#   --if-missing   do nothing when @tensorflow/tfjs-node already loads
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
pkg=node_modules/@tensorflow/tfjs-node
cache=${BNAS_NATIVE_CACHE:-$root/.cache/native}

loads() { node -e "require('@tensorflow/tfjs-node')" >/dev/null 2>&1; }
if [ "${1:-}" = "--if-missing" ] && loads; then echo "tfjs-node: already loads"; exit 0; fi

version=$(node -p "require('./package-lock.json').packages['node_modules/@tensorflow/tfjs-node'].version")
if [ ! -f "$pkg/package.json" ]; then
  echo "tfjs-node: installing @tensorflow/tfjs-node@$version without its download script"
  npm install --no-save --no-audit --no-fund --ignore-scripts "@tensorflow/tfjs-node@$version" >/dev/null
fi

mkdir -p "$cache"
wheel=$(ls "$cache"/tensorflow_cpu-*.whl 2>/dev/null | head -n1 || true)
if [ -z "$wheel" ]; then
  echo "tfjs-node: fetching the tensorflow-cpu wheel with pip (for its C library)"
  python3 -m pip download --no-deps --only-binary=:all: -d "$cache" tensorflow-cpu >/dev/null
  wheel=$(ls "$cache"/tensorflow_cpu-*.whl | head -n1)
fi

echo "tfjs-node: unpacking the TensorFlow C library from $(basename "$wheel")"
rm -rf "$pkg/deps" && mkdir -p "$pkg/deps/lib"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$wheel" "$tmp" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name in ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2') \
           or name.startswith('tensorflow/include/tensorflow/c/') \
           or name.startswith('tensorflow/include/tensorflow/core/platform/') \
           or name.startswith('tensorflow/include/tsl/') or name.startswith('tensorflow/include/xla/tsl/'):
            z.extract(name, out)
PY
mv "$tmp/tensorflow/libtensorflow_cc.so.2" "$tmp/tensorflow/libtensorflow_framework.so.2" "$pkg/deps/lib/"
mv "$tmp/tensorflow/include" "$pkg/deps/include"
(
  cd "$pkg/deps/lib"
  ln -sf libtensorflow_cc.so.2 libtensorflow.so
  ln -sf libtensorflow_framework.so.2 libtensorflow_framework.so
  # install.js only checks that this file name exists before it skips its download.
  ln -sf libtensorflow_cc.so.2 libtensorflow.so.2.9.1
)
echo '{"tf-lib":"local"}' > "$pkg/scripts/custom-binary.json"

echo "tfjs-node: compiling the binding (node-gyp)"
npm rebuild @tensorflow/tfjs-node --foreground-scripts >"$cache/build.log" 2>&1 || { tail -40 "$cache/build.log"; exit 1; }
rm -rf "$pkg/deps/include"
node -e "const tf = require('@tensorflow/tfjs-node'); console.log('tfjs-node: backend ' + tf.getBackend() + ', TensorFlow ' + tf.version['tfjs-node'])" 2>/dev/null
