#!/usr/bin/env bash
# Create .venv and install Doorstep with its embedded servers and dev tools. Idempotent and quick
# when nothing changed (the install is skipped while pyproject.toml is unchanged).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.doorstep-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[servers,dev]"
  echo "$want" > "$stamp"
fi
# The web console's browser tests drive Debian's chromium through Playwright (never a downloaded
# browser). Installed only when missing; the machines run as root.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: chromium is missing and this is not root; the browser tests will fail" >&2
  fi
fi
# ODK's own XForms engine for the OpenRosa tests (tests/odk): Node 20+ and the packages in its lock file,
# installed again only when the lock changes.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi
odk=tests/odk
lock_sum=$(sha256sum "$odk/package-lock.json" | cut -d' ' -f1)
if [ ! -d "$odk/node_modules" ] || [ "$(cat "$odk/node_modules/.doorstep-lock" 2>/dev/null)" != "$lock_sum" ]; then
  (cd "$odk" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" > "$odk/node_modules/.doorstep-lock"
fi
