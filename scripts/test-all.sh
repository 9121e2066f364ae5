#!/usr/bin/env bash
# Everything CI checks, in order, with the time of each stage (the README's test command):
# host-test tools, the committed SIMD module against its C source, the native backend (built
# offline when `npm ci` could not download it), PyTorch (a venv under .cache/ for the export
# parity tests), build + type-check + lint + unit/CLI/language-server/webview tests (`npm test`, the native tests
# required, not skipped, and the export tests too), the WebGPU tests on a GPU adapter or Mesa's software one
# (`npm run test:webgpu`, required), the sweep tests on a one-node Slurm cluster, the .vsix, and the real
# VS Code host tests in code-server. Installs missing Debian packages with apt-get: run as root or
# with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s); last=$t0
stage_done() { now=$(date +%s); echo "== test:all: $1 took $((now - last)) s (total $((now - t0)) s)"; last=$now; }
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
}
bash test/host/setup.sh; stage_done "host-test tools"
apt_install clang lld
node scripts/build-simd.mjs --check; stage_done "SIMD kernels: the committed module matches kernels.c"
bash scripts/native/tfjs-node-offline.sh --if-missing; stage_done "native backend"
export BNAS_REQUIRE_NATIVE=1
bash scripts/torch/setup.sh --if-missing; stage_done "PyTorch for the export tests"
export BNAS_REQUIRE_TORCH=1
# Backend measurements are cached per machine; the tests start with none and leave none behind.
BNAS_BACKEND_CACHE="$(mktemp -d)/backend-probes.json"; export BNAS_BACKEND_CACHE
npm test; stage_done "npm test (build, typecheck, lint, unit/cli/lsp/webview tests)"
apt_install libvulkan1
BNAS_REQUIRE_WEBGPU=1 npm run test:webgpu; stage_done "WebGPU tests (npm run test:webgpu)"
apt_install slurmctld slurmd slurm-client munge
node scripts/test.mjs test/slurm; stage_done "sweep tests on a one-node Slurm cluster"
npm run package; stage_done "package"
npm run test:host; stage_done "host tests"
