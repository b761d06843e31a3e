"""The store packages of the extension (`npm run package`): one zip per store, only runtime files, no `key`, each
manifest fitted to its store, and `web-ext lint` of the Firefox package with 0 errors and 0 warnings."""
from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

import omamori

REPO = Path(__file__).resolve().parents[1]
WEB_EXT = REPO / "node_modules" / ".bin" / "web-ext"
RUNTIME_SUFFIXES = (".js", ".json", ".html", ".css", ".png", "PRIVACY.md", "/")


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    if shutil.which("node") is None or not WEB_EXT.exists():
        pytest.skip("needs node and `npm ci` (web-ext): tests/run.sh installs both")
    out = tmp_path_factory.mktemp("packages")
    done = subprocess.run(["node", str(REPO / "scripts" / "package-extension.mjs"), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    return out, done


def test_web_ext_lint_of_the_firefox_package_is_clean(packages):
    out, done = packages
    report = json.loads((out / "lint-firefox.json").read_text())
    assert report["summary"] == {"errors": 0, "notices": 0, "warnings": 0}, done.stderr
    assert done.returncode == 0 and "0 errors, 0 warnings" in done.stdout


@pytest.mark.parametrize("store, kept, dropped", [
    ("chrome", "service_worker", ("scripts",)),
    ("firefox", "scripts", ("service_worker",)),
])
def test_each_store_gets_only_runtime_files_and_no_key(packages, store, kept, dropped):
    out, done = packages
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out / f"omamori-{store}-{omamori.__version__}.zip") as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert "key" not in manifest and manifest["version"] == omamori.__version__
    assert kept in manifest["background"] and not any(name in manifest["background"] for name in dropped)
    assert all(name.endswith(RUNTIME_SUFFIXES) for name in names), names
    assert not {"README.md", "jsconfig.json", "ids.json"} & {Path(name).name for name in names}
    assert {"background.js", "options/options.html", "options/privacy.html", "PRIVACY.md", "_locales/ja/messages.json",
            "icons/icon-128.png", "welcome/welcome.html", "welcome/welcome.js", "welcome/signature-name.js",
            "lib/install-command.js", "lib/settings-fields.js", "lib/signature-preview.js"} <= set(names)
    assert ("browser_specific_settings" in manifest) == (store == "firefox")
