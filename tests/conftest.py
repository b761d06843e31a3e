"""Fixtures shared by the Python tests: omamori's folders in a temporary home, its host as real processes, the
installer's temporary machine, the sample image; and each test's time limit. The helpers they build on are plain
modules beside this file: images.py, processes.py, gated_host.py, companion.py, install_world.py."""
from __future__ import annotations

import json

import pytest

from gated_host import Gate
from images import SAMPLE
from install_world import CHROME_ID, GECKO_ID
from processes import CHROME_ORIGIN, HostProcess

# Seconds a test may take, setup and teardown included (pytest-timeout; the default is in pyproject.toml): a hung
# test fails and the run goes on. Real browsers wait up to 150 s for a first protection on a loaded machine; the slow
# set installs into fresh venvs and waits out the extension's 120 s silence limit.
TIMEOUT_BY_MARK = {"e2e": 600, "slow": 1200}


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        limits = [seconds for mark, seconds in TIMEOUT_BY_MARK.items() if item.get_closest_marker(mark)]
        if limits and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(max(limits)))


@pytest.fixture
def paths(tmp_path, monkeypatch):
    """omamori's folders (default_paths) under a temporary OMAMORI_HOME, for this process and the workers it starts."""
    from omamori.paths import default_paths

    monkeypatch.setenv("OMAMORI_HOME", str(tmp_path / "omamori"))
    return default_paths()


@pytest.fixture
def host(paths):
    """omamori's request handlers in this process (as the CLI runs them) on ``paths``: in_process.ask asks them."""
    from omamori.protocol.handlers import Host

    opened = Host(paths, transport="cli")
    yield opened
    opened.close()


@pytest.fixture
def token(paths):
    """A pairing token for the companion server (omamori serve --pair)."""
    from omamori import pairing

    return pairing.pair(pairing.pairing_file(paths.config))


@pytest.fixture
def gate(tmp_path) -> Gate:
    """The gate a gated host's worker holds requests at (gated_host.py)."""
    return Gate(tmp_path / "gate")


@pytest.fixture
def hosts():
    """hosts(home, *args, gate=None) starts the host as a browser does; whatever still runs is killed at the end."""
    started: list[HostProcess] = []

    def start(home, *args, gate: Gate | None = None) -> HostProcess:
        process = HostProcess(home, CHROME_ORIGIN, *args, gate=gate.folder if gate else None)
        started.append(process)
        return process
    yield start
    for process in started:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()


@pytest.fixture(scope="module")
def serving_host(tmp_path_factory):
    """One host for the cases of a module that must each leave it serving (bad requests, as a page may send them to
    the browser's one host): each case checks that it still answers on the worker it started with; it must close
    cleanly after the last."""
    host = HostProcess(tmp_path_factory.mktemp("serving-host"), CHROME_ORIGIN)
    assert host.request("ready", "hello")["ok"]
    host.first_worker = host.worker()
    yield host
    if host.proc.poll() is None:
        code = host.close()
        assert code == 0, f"the host that served the bad requests exited {code}"


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A temporary machine for the installer: home, system root, omamori's folder, an extension folder."""
    monkeypatch.setenv("OMAMORI_HOME", str(tmp_path / "omamori"))
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    extension = tmp_path / "extension"
    extension.mkdir()
    (extension / "ids.json").write_text(json.dumps(
        {"chrome_extension_id": CHROME_ID, "gecko_id": GECKO_ID, "native_host_name": "jp.omamori.host"}))
    (tmp_path / "home").mkdir()
    (tmp_path / "root").mkdir()
    return tmp_path


@pytest.fixture
def sample(tmp_path):
    """A copy of the package's sample illustration (art.png), safe to protect in place."""
    copy = tmp_path / "art.png"
    copy.write_bytes(SAMPLE.read_bytes())
    return copy
