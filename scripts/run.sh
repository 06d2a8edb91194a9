#!/usr/bin/env bash
# Set up (first time) and run the editor + runtime on the sample app, offline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
exec .venv/bin/element-studio serve "$@"
