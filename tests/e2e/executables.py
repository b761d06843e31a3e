"""Where the real browsers the e2e tests drive are, on Debian and on Ubuntu.

Ubuntu's ``chromium``, ``chromium-browser`` and ``firefox`` packages are stubs that start a Snap, and a Snap
browser cannot be driven here (it cannot load an unpacked extension from a temporary folder nor start a native
host), so a stub never counts. ``$OMAMORI_TEST_CHROMIUM`` / ``$OMAMORI_TEST_FIREFOX`` name a browser elsewhere.

    python tests/e2e/executables.py     # prints what was found; exit 1, saying what is missing, if not both
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

CHROMIUM_NAMES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium", "google-chrome-stable", "google-chrome",
                  "chromium", "chromium-browser")
FIREFOX_NAMES = ("firefox-esr", "/usr/lib/firefox-esr/firefox-esr", "firefox")
MISSING_HINT = {
    "chromium": "Debian: apt install chromium (tests/e2e/setup_browsers.sh does it). Ubuntu ships Chromium only as a "
                "Snap: install Google Chrome's .deb, or set OMAMORI_TEST_CHROMIUM to a Chromium that is not a Snap",
    "firefox": "Debian: apt install firefox-esr (tests/e2e/setup_browsers.sh does it). Ubuntu ships Firefox only as "
               "a Snap: install Mozilla's firefox-esr .deb, or set OMAMORI_TEST_FIREFOX to a Firefox that is not a Snap",
}


def is_snap_stub(path: str) -> bool:
    """The file starts a Snap: it lives in /snap, or it is a small script that runs one."""
    resolved = Path(path).resolve()
    if str(resolved).startswith("/snap/"):
        return True
    try:
        head = resolved.read_bytes()[:4096]
    except OSError:
        return True
    return head.startswith(b"#!") and b"snap" in head


def find(browser: str, env=os.environ) -> str | None:
    """The path of a real (not Snap) ``browser`` ("chromium" or "firefox"), or None."""
    override = env.get(f"OMAMORI_TEST_{browser.upper()}")
    names = (override,) if override else CHROMIUM_NAMES if browser == "chromium" else FIREFOX_NAMES
    for name in names:
        path = shutil.which(name)
        if path and not is_snap_stub(path):
            return path
    return None


def main() -> int:
    missing = 0
    for browser in ("chromium", "firefox"):
        path = find(browser)
        if path:
            print(f"{browser}: {path}")
        else:
            missing += 1
            print(f"{browser}: MISSING (a Snap stub does not count). {MISSING_HINT[browser]}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
