"""installer/install.sh, run for real in a temporary home: dry run, a full
install into a fresh venv (pip from this checkout), doctor, and an uninstall
that leaves nothing behind."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from install_world import snapshot

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "installer" / "install.sh"


def script_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "VIRTUAL_ENV")}
    # The Python running the tests first on PATH, so the script finds a 3.10+ one.
    env.update(HOME=str(tmp_path / "home"), OMAMORI_HOME=str(tmp_path / "omamori"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    return env


def sh(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def home(tmp_path):
    (tmp_path / "home/.mozilla/firefox").mkdir(parents=True)
    return tmp_path


def test_dry_run_writes_nothing(home):
    before = snapshot(home)
    done = sh("--dry-run", env=script_env(home))
    assert done.returncode == 0, done.stderr
    assert "would create the environment" in done.stdout and str(home / "omamori/data/venv") in done.stdout
    assert snapshot(home) == before


def test_venv_needs_a_folder(home):
    done = sh("--venv", env=script_env(home))
    assert done.returncode == 1 and "--venv needs a folder" in done.stderr


@pytest.mark.slow
def test_full_install_doctor_and_uninstall(home):
    if shutil.which("sh") is None:
        pytest.skip("no POSIX shell")
    env = script_env(home)
    before = snapshot(home)
    venv = home / "venv"
    done = sh("--venv", str(venv), "--browser", "firefox", env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "about:debugging" in done.stdout and "omamori doctor" in done.stdout
    assert list((home / "omamori/data").glob("sample.omamori.*"))      # the main job ran on the sample
    manifest = json.loads((home / "home/.mozilla/native-messaging-hosts/jp.omamori.host.json").read_text())
    launcher = Path(manifest["path"])
    assert str(venv / "bin" / "python") in launcher.read_text()

    doctor = subprocess.run([str(venv / "bin" / "omamori"), "doctor"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert "[OK] Firefox" in doctor.stdout, doctor.stdout + doctor.stderr

    again = sh("--venv", str(venv), "--browser", "firefox", env=env, timeout=600)
    assert again.returncode == 0 and "created" not in again.stdout

    gone = sh("--venv", str(venv), "--uninstall", env=env, timeout=120)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    # The key, the ledger and the protected sample are the person's data, never removed.
    # (Tools pip runs may leave their own dot-folders in HOME: only omamori's places are checked.)
    left = {p for p in set(snapshot(home)) - set(before) if p.startswith(("home/.mozilla", "omamori", "venv"))}
    assert left <= {"omamori", "omamori/config", "omamori/config/key", "omamori/data", "omamori/log",
                    "omamori/log/host.log", *(f"omamori/data/ledger.sqlite3{s}" for s in ("", "-wal", "-shm")),
                    *(f"omamori/data/sample.omamori.{s}" for s in ("jpg", "png"))}, left
    assert not venv.exists()


@pytest.mark.slow
def test_no_browser_still_protects_the_sample_and_links_the_command(tmp_path):
    """A machine with no browser: a warning, the sample protected and read back, `omamori` linked, exit 0."""
    tools = tmp_path / "tools"                 # PATH without any browser: python and the few tools install.sh runs
    tools.mkdir()
    for name in ("sh", "dirname", "uname", "rm", "rmdir"):
        (tools / name).symlink_to(shutil.which(name))
    env = script_env(tmp_path)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{tools}"
    (tmp_path / "home").mkdir()
    done = sh("--venv", str(tmp_path / "venv"), env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING: no browser" in done.stderr and "Read the mark back: your mark" in done.stdout
    link = tmp_path / "home/.local/bin/omamori"
    assert os.readlink(link) == str(tmp_path / "venv/bin/omamori")
    assert f"The omamori command is {link}" in done.stdout and 'export PATH="$HOME/.local/bin:$PATH"' in done.stdout
    assert sh("--venv", str(tmp_path / "venv"), "--uninstall", env=env, timeout=120).returncode == 0
    assert not link.is_symlink()
