#!/usr/bin/env bash
# Runs the console's end-to-end tests with screenshots written to docs/console/ (for docs/console.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BYZER_SCREENSHOTS="$PWD/docs/console" .venv/bin/python -m pytest -q tests/console "$@"
