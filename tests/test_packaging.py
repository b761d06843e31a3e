"""What a person installs: one version for the package and the extension, a wheel with modern metadata that carries
the extension's ids, and (slow) that wheel installed alone in a fresh environment, registered and healthy."""
from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

import omamori

REPO = Path(__file__).resolve().parents[1]


def test_one_version_for_the_package_and_the_extension():
    manifest = json.loads((REPO / "extension" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == omamori.__version__ == importlib.metadata.version("omamori")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
                    "--wheel-dir", str(out), str(REPO)], check=True, timeout=600, capture_output=True)
    return next(out.glob(f"omamori-{omamori.__version__}-*.whl"))


def test_the_wheel_carries_the_ids_and_modern_metadata(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"omamori-{omamori.__version__}.dist-info/METADATA").decode()
    assert {"omamori/data/extension_ids.json", "omamori/data/sample.png", "omamori/platforms/x.py"} <= names
    assert f"omamori-{omamori.__version__}.dist-info/licenses/LICENSE" in names
    assert "License-Expression: MIT" in metadata and "License :: " not in metadata   # SPDX, no old classifier
    assert "Classifier: Natural Language :: Japanese" in metadata
    assert "Requires-Dist: noto-cjk-sans-jp-bold" in metadata
    assert not any(name.startswith(("tests/", "extension/", "bench/")) for name in names)


@pytest.mark.slow
def test_the_wheel_alone_registers_with_chromium_and_the_doctor_is_healthy(wheel, tmp_path):
    """As after ``pipx install .``: no source folder, the ids and the font come from the installed packages."""
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
                   check=True, timeout=900, capture_output=True)
    env = {**{k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "OMAMORI_HOME")},
           "HOME": str(tmp_path / "home"), "FONTCONFIG_FILE": str(tmp_path / "no-fonts.conf")}
    (tmp_path / "no-fonts.conf").write_text("<?xml version='1.0'?><fontconfig></fontconfig>\n")
    omamori_command = str(env_dir / "bin" / "omamori")
    installed = subprocess.run([omamori_command, "install", "--browser", "chromium"], env=env, cwd=tmp_path,
                               capture_output=True, text=True, timeout=120)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    manifest = json.loads((tmp_path / "home/.config/chromium/NativeMessagingHosts/jp.omamori.host.json").read_text())
    ids = json.loads((REPO / "native_host/omamori/data/extension_ids.json").read_text())
    assert manifest["allowed_origins"] == [f"chrome-extension://{ids['chrome_extension_id']}/"]
    doctor = subprocess.run([omamori_command, "doctor"], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert doctor.returncode == 0 and "[OK] Chromium" in doctor.stdout, doctor.stdout + doctor.stderr
    assert "Everything omamori needs is in place." in doctor.stdout
