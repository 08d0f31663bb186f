#!/usr/bin/env bash
# Set up and run the whole test suite against real embedded MongoDB-wire, S3 and Redis servers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
