#!/usr/bin/env bash
# Installs what the e2e tests need on a fresh Debian machine, as root: Debian's Chromium (Playwright drives it through
# executable_path; its own browser download cannot work without network), firefox-esr (driven over WebDriver BiDi) and
# a Japanese font so the ja pages and screenshots render real glyphs; chromium-l10n, without whose ja.pak Chromium
# runs in English whatever LANGUAGE says (so the extension could not be tested in Japanese); openssl, which makes the
# throwaway certificate of the loopback x.com (browsers.LoopbackX). Quick when everything is already there.
set -euo pipefail

# libimage-exiftool-perl: exiftool, the independent reader tests/test_webmeta.py checks the rights metadata with.
packages=(chromium chromium-l10n firefox-esr fonts-ipafont-gothic openssl libimage-exiftool-perl)
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

/usr/bin/chromium --version
firefox-esr --version
