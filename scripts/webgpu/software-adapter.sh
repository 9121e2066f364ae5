#!/usr/bin/env bash
# Runs a command with a WebGPU adapter (docs/design.md, "Backends and kernels"): where Dawn finds a
# GPU adapter it runs the command as it is; elsewhere it fetches Mesa's software Vulkan driver
# (lavapipe, Mesa 25 from Debian bookworm-backports: Debian 12's own Mesa 22 gives no adapter) into
# .cache/webgpu/ without installing it system-wide (a private apt sources list and state folder,
# `apt-get download`, `dpkg-deb -x`), points the Vulkan loader at it and runs the command.
# Needs the Vulkan loader (Debian package libvulkan1) and the optional npm package `webgpu`.
#
# Usage: scripts/webgpu/software-adapter.sh COMMAND [ARGS...]
#   BNAS_WEBGPU_SOFTWARE=1   use the software adapter even where a GPU adapter exists
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
cache=${BNAS_WEBGPU_CACHE:-$root/.cache/webgpu}
mesa_version=${BNAS_MESA_VERSION:-25.0.7-2~bpo12+1}

# Prints the adapter Dawn finds ("vendor architecture fallback"), or nothing.
adapter() {
  node --input-type=module -e "
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create([]);
    const a = await gpu.requestAdapter();
    if (a) console.log([a.info.vendor, a.info.architecture, a.info.description, a.info.isFallbackAdapter ?? false].join(' | '));
    process.exit(0);
  " 2>/dev/null || true
}

node --input-type=module -e "await import('webgpu')" 2>/dev/null || {
  echo "webgpu: the optional npm package webgpu is not installed (npm ci installs it)" >&2; exit 1; }

if [ "${BNAS_WEBGPU_SOFTWARE:-0}" != 1 ] && [ -z "${VK_ICD_FILENAMES:-}" ]; then
  found=$(adapter)
  if [ -n "$found" ] && ! grep -q 'software\|true$' <<<"$found"; then
    echo "webgpu: GPU adapter: $found"
    exec "$@"
  fi
fi

icd=$cache/mesa/usr/share/vulkan/icd.d/lvp_icd.json
if [ ! -f "$cache/lvp_icd.json" ]; then
  [ "$(uname -m)" = x86_64 ] || { echo "webgpu: the software adapter set-up knows x86_64 only" >&2; exit 1; }
  echo "webgpu: fetching Mesa $mesa_version (lavapipe) from bookworm-backports into $cache"
  apt_dir=$cache/apt
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache/debs"
  cat >"$apt_dir/sources.list" <<'EOF'
deb http://deb.debian.org/debian bookworm-backports main
EOF
  opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives"
    -o "Dir::State::Status=$apt_dir/status" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=$(id -un)")
  : >"$apt_dir/status"
  apt-get "${opts[@]}" update -qq
  (cd "$cache/debs" && apt-get "${opts[@]}" download -qq \
    "mesa-vulkan-drivers=$mesa_version" "libdrm2/bookworm-backports" "libdrm-amdgpu1/bookworm-backports")
  rm -rf "$cache/mesa"
  for deb in "$cache"/debs/*.deb; do dpkg-deb -x "$deb" "$cache/mesa"; done
  [ -f "$icd" ] || { echo "webgpu: $icd missing after unpacking" >&2; exit 1; }
  # The manifest names the driver by its file name only: make it the unpacked file's path.
  LIB="$cache/mesa/usr/lib/x86_64-linux-gnu" node -e '
    const fs = require("node:fs");
    const m = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    m.ICD.library_path = require("node:path").join(process.env.LIB, require("node:path").basename(m.ICD.library_path));
    if (!fs.existsSync(m.ICD.library_path)) throw new Error(m.ICD.library_path + " missing");
    fs.writeFileSync(process.argv[2], JSON.stringify(m, null, 1));
  ' "$icd" "$cache/lvp_icd.json"
fi

export VK_ICD_FILENAMES=$cache/lvp_icd.json
export LD_LIBRARY_PATH=$cache/mesa/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# Mesa compiles every shader on first use: keep them between runs.
export MESA_SHADER_CACHE_DIR=${MESA_SHADER_CACHE_DIR:-$cache/shaders}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$cache/runtime}
mkdir -p "$MESA_SHADER_CACHE_DIR" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
found=$(adapter)
[ -n "$found" ] || { echo "webgpu: no adapter with lavapipe either (is libvulkan1 installed?)" >&2; exit 1; }
echo "webgpu: software adapter: $found"
exec "$@"
