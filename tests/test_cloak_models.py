"""``omamori models fetch``: from a folder and over real HTTP (a local server), every file checked against its SHA-256."""
from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from omamori import cli
from omamori.cloak import models
from omamori.errors import StateError
from omamori.exit_codes import EXIT_BROKEN
from cloak_model import MODELS, needs_model

pytestmark = needs_model
TAEF2 = models.CLOAK_MODEL


@pytest.fixture
def serve():
    """serve(folder) -> URL prefix of a real HTTP server on 127.0.0.1 (port chosen by the OS)."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *args: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_fetch_over_http_checks_and_installs(tmp_path, serve):
    target = tmp_path / "models"
    paths = models.fetch(TAEF2, models_dir=target, source=serve(MODELS))
    assert [p.name for p in paths] == ["taef2_encoder.pth", "taef2_decoder.pth"]
    assert all((target / f.name).read_bytes() == (MODELS / f.name).read_bytes() for f in TAEF2.files)
    vae = models.load(TAEF2, models_dir=target)
    assert vae.encoder is not None and models.is_installed(TAEF2, target)


def test_fetch_over_http_refuses_a_file_with_the_wrong_hash(tmp_path, serve):
    tampered = tmp_path / "mirror"
    shutil.copytree(MODELS, tampered)
    (tampered / "taef2_encoder.pth").chmod(0o644)
    data = bytearray((tampered / "taef2_encoder.pth").read_bytes())
    data[-100] ^= 0xFF                                       # same size, one byte changed
    (tampered / "taef2_encoder.pth").write_bytes(bytes(data))
    with pytest.raises(StateError) as caught:
        models.fetch(TAEF2, models_dir=tmp_path / "models", source=serve(tampered))
    assert caught.value.code == "model_damaged" and caught.value.details["file"] == "taef2_encoder.pth"
    assert not (tmp_path / "models" / "taef2_encoder.pth").exists()


def test_fetch_reports_an_unreachable_or_missing_upstream(tmp_path, serve):
    with pytest.raises(StateError) as caught:
        models.fetch(TAEF2, models_dir=tmp_path / "models", source=serve(tmp_path / "models_nowhere"))
    assert caught.value.code == "model_download_failed" and "HTTP 404" in caught.value.details["reason"]
    assert not list(tmp_path.glob("models/*.pth"))


def test_fetch_from_a_folder_and_load_checks_the_hash_again(tmp_path):
    target = tmp_path / "models"
    models.fetch(TAEF2, models_dir=target, source=MODELS)
    damaged = bytearray((target / "taef2_decoder.pth").read_bytes())
    damaged[5000] ^= 1
    (target / "taef2_decoder.pth").write_bytes(bytes(damaged))
    with pytest.raises(StateError, match="model_damaged"):
        models.load(TAEF2, models_dir=target)
    models.fetch(TAEF2, models_dir=target, source=MODELS)   # a damaged copy is replaced
    models.load(TAEF2, models_dir=target)


def test_cli_fetch_and_list(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OMAMORI_HOME", str(tmp_path))
    monkeypatch.delenv("OMAMORI_MODELS", raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert cli.main(["models", "list"]) == 0
    assert "not installed" in capsys.readouterr().out
    assert cli.main(["models", "fetch", "--from", str(MODELS)]) == 0
    assert "SHA-256 checked" in capsys.readouterr().out
    assert (tmp_path / "data" / "models" / "taef2_encoder.pth").is_file()
    assert cli.main(["models", "fetch", "--from", str(tmp_path / "empty")]) == 0   # installed files are kept
    monkeypatch.setenv("OMAMORI_HOME", str(tmp_path / "other"))
    assert cli.main(["models", "fetch", "--from", str(tmp_path / "empty")]) == EXIT_BROKEN
    assert "omamori models fetch" in capsys.readouterr().err
