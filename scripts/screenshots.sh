#!/usr/bin/env bash
# Regenerate the README's pictures (docs/screenshots/) from the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
bash scripts/install-chromium.sh
export ELEMENT_STUDIO_SCREENSHOTS=1
exec .venv/bin/python -m pytest -p no:xdist -m browser tests/editor "$@"
