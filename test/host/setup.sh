#!/usr/bin/env bash
# Installs what the real-VS-Code-host tests need on a fresh Debian machine, offline except for the
# npm registry and Debian's packages:
#   - Debian: chromium (the browser that drives the web workbench), libkrb5-dev (gssapi headers for
#     a native module of code-server), ripgrep (seeds code-server's ripgrep download, see below)
#   - code-server 4.100.3 (the VS Code 1.100.3 server + web workbench; the last one that runs on
#     Node 20) into test/host/.code-server/, from its own package.json + package-lock.json so the
#     extension's own `npm ci` never pays for it.
# Idempotent: a second run with everything present returns in well under a second.
# Usage: bash test/host/setup.sh        (as root, or with sudo available for apt-get)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS="$HERE/.code-server"
CODE_SERVER_VERSION=4.100.3
t0=$(date +%s)
say() { echo "host-setup: $*"; }

# --- Debian packages -------------------------------------------------------------------------
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # Another apt-get may be running on a shared machine: wait for its lock instead of failing.
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"
fi

# --- code-server -----------------------------------------------------------------------------
installed=$(node -p "try { require('$TOOLS/node_modules/code-server/package.json').version } catch { '' }")
if [ "$installed" = "$CODE_SERVER_VERSION" ] && [ -x "$TOOLS/node_modules/.bin/code-server" ]; then
  say "code-server $installed already installed"
else
  # @vscode/ripgrep's postinstall downloads rg from a code host, which is unreachable here; it
  # first looks in this cache, so seed it with Debian's rg in the archive layout it expects.
  rgver=$(node -p "require('$TOOLS/package-lock.json').packages['node_modules/@vscode/ripgrep']?.version ?? '1.15.11'")
  cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-$rgver"
  archive="$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
  if [ ! -f "$archive" ]; then
    say "seeding the ripgrep cache $archive"
    mkdir -p "$cache"; tmp=$(mktemp -d)
    cp "$(command -v rg)" "$tmp/rg"
    tar -C "$tmp" -czf "$archive" rg
    rm -rf "$tmp"
  fi
  say "installing code-server $CODE_SERVER_VERSION (about a minute)"
  # unsafe_perm: install scripts run as root; yes: node-pty's postinstall runs `npx node-gyp`
  # and must not wait for a prompt without a TTY.
  # Retried: the registry sometimes drops a connection on a fresh machine.
  for attempt in 1 2 3; do
    if (cd "$TOOLS" && npm_config_unsafe_perm=true npm_config_yes=true npm ci --no-audit --no-fund --loglevel=error --fetch-retries=5 --fetch-retry-mintimeout=10000); then break; fi
    if [ "$attempt" = 3 ]; then say "installing code-server failed 3 times"; exit 1; fi
    say "installing code-server failed (attempt $attempt); retrying"
    sleep $((attempt * 20))
  done
  "$TOOLS/node_modules/.bin/code-server" --version | head -1
fi
say "ready in $(( $(date +%s) - t0 )) s"
