#!/usr/bin/env bash
# Set up and run the whole system: embedded servers, API, worker and demo data. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m scripts.devstack "$@"
