#!/usr/bin/env bash
# Runs every test omamori has: the extension's unit tests (node --test) and the Python suite, which includes the
# real-process host tests, the installer and server tests, and the end-to-end tests in headless Chromium and
# Firefox. Sets up what it needs first: a venv in .venv with the package and its test extra, the extension's dev
# packages (npm ci), and -- as root, or via sudo -- Debian's chromium, firefox-esr and a Japanese font.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ]; then
  bash tests/e2e/setup_browsers.sh
else
  sudo bash tests/e2e/setup_browsers.sh
fi

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
npm ci --no-audit --no-fund --loglevel=error

node --test tests/extension/
.venv/bin/python -m pytest "$@"
