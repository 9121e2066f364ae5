#!/usr/bin/env bash
# Everything CI checks, in order, with the time of each stage (the README's test command):
# host-test tools, build + type-check + lint + unit/CLI/language-server/webview tests (`npm test`),
# the .vsix, and the real VS Code host tests in code-server.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s); last=$t0
stage_done() { now=$(date +%s); echo "== test:all: $1 took $((now - last)) s (total $((now - t0)) s)"; last=$now; }
bash test/host/setup.sh; stage_done "host-test tools"
npm test; stage_done "npm test (build, typecheck, lint, unit/cli/lsp/webview tests)"
npm run package; stage_done "package"
npm run test:host; stage_done "host tests"
