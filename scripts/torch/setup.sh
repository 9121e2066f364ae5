#!/usr/bin/env bash
# Creates .cache/torch-venv with the PyTorch 2.x CPU wheel, for the export tests (test/unit/export:
# parity of the exported network with the runtime's) and for trying an exported file by hand. Pip
# resolves from the local wheel folders its configuration names (offline) or from an index.
# The CPU build is asked for by name: a plain `torch` can resolve to the CUDA build, which pulls
# several GB of nvidia packages.
#
# Usage: scripts/torch/setup.sh [--if-missing]
#   --if-missing   do nothing when the venv already imports torch
# Environment: BNAS_TORCH_REQUIREMENT (default torch==2.13.0+cpu), BNAS_PYTHON (default python3).
# The tests find the venv themselves; BNAS_TORCH_PYTHON points them at another interpreter.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.cache/torch-venv
requirement=${BNAS_TORCH_REQUIREMENT:-torch==2.13.0+cpu}

if [ "${1:-}" = "--if-missing" ] && "$venv/bin/python" -c "import torch" >/dev/null 2>&1; then
  echo "torch: $venv already imports torch"
  exit 0
fi
"${BNAS_PYTHON:-python3}" -m venv "$venv"
# --retries 0 --timeout 5: where only the local folders are reachable, fail over to them at once
# instead of retrying the public index for minutes.
"$venv/bin/pip" install --quiet --retries 0 --timeout 5 "$requirement" numpy
"$venv/bin/python" -c "import torch; print('torch: ' + torch.__version__ + ' in $venv')"
