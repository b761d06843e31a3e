#!/usr/bin/env bash
# Installs, as root, what the tests need from the system on Debian or Ubuntu; quick when everything is there.
#   - python3-venv (the venv tests/run.sh makes) when it is missing (node comes from PyPI in tests/run.sh when the
#     system has none new enough: Debian 12's is 18, the extension's tools need 20);
#   - Chromium (Playwright drives it through executable_path; its own browser download cannot work without network)
#     with chromium-l10n, without whose ja.pak Chromium runs in English whatever LANGUAGE says; firefox-esr (driven
#     over WebDriver BiDi). Ubuntu has these only as Snap stubs, which cannot be driven: there this script says so
#     and installs the rest (see tests/e2e/executables.py for a browser installed some other way);
#   - a Japanese font (the ja pages and screenshots render real glyphs; the signature has its own font in omamori);
#   - openssl (the throwaway certificate of the loopback x.com, browsers.LoopbackX) and exiftool (libimage-exiftool-
#     perl: the independent reader tests/test_webmeta.py checks the rights metadata with).
set -euo pipefail

. /etc/os-release
packages=(fonts-ipafont-gothic openssl libimage-exiftool-perl)
case "${ID:-}" in
  ubuntu) snap_only=1 ;;
  *) snap_only=0; packages+=(chromium chromium-l10n firefox-esr) ;;
esac
python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup_browsers: ${packages[*]} already installed"
else
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup_browsers: need root to install ${missing[*]} (run: sudo bash $0)" >&2
    exit 1
  fi
  echo "setup_browsers: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$snap_only" = 1 ]; then
  echo "setup_browsers: ${PRETTY_NAME:-Ubuntu} packages Chromium and Firefox only as Snaps, which the e2e tests cannot" \
       "drive; not installing them."
fi
