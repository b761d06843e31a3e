"""``omamori models fetch``: from a folder and over real HTTP (a local server), every file checked against its SHA-256."""
from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from omamori import cli, cloak
from omamori.cloak import models
from omamori.errors import StateError
from omamori.exit_codes import EXIT_BROKEN, EXIT_USAGE
from cloak_model import MODELS, MODELS_ALL, needs_model, needs_sana

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


@needs_model
def test_fetch_over_http_checks_and_installs(tmp_path, serve):
    target = tmp_path / "models"
    paths = models.fetch(TAEF2, models_dir=target, source=serve(MODELS))
    assert [p.name for p in paths] == ["taef2_encoder.pth", "taef2_decoder.pth"]
    assert all((target / f.name).read_bytes() == (MODELS / f.name).read_bytes() for f in TAEF2.files)
    vae = models.load(TAEF2, models_dir=target)
    assert vae.encoder is not None and models.is_installed(TAEF2, target)


@needs_model
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


@needs_model
def test_fetch_reports_an_unreachable_or_missing_upstream(tmp_path, serve):
    with pytest.raises(StateError) as caught:
        models.fetch(TAEF2, models_dir=tmp_path / "models", source=serve(tmp_path / "models_nowhere"))
    assert caught.value.code == "model_download_failed" and "HTTP 404" in caught.value.details["reason"]
    assert not list(tmp_path.glob("models/*.pth"))


@needs_model
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


@needs_model
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


def test_a_model_without_a_decoder_is_fetched_listed_and_installed_by_its_encoder_alone(tmp_path):
    data = b"an encoder checkpoint"
    spec = models.ModelSpec(name="only", latent_space="X", decoder=None, layout="f32", upstream="unused",
                            encoder=models.WeightFile("only_encoder.pth", len(data), hashlib.sha256(data).hexdigest()),
                            licence="MIT")
    assert spec.files == (spec.encoder,)
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "only_encoder.pth").write_bytes(data)
    assert not models.is_installed(spec, tmp_path / "models")
    assert models.fetch(spec, models_dir=tmp_path / "models", source=tmp_path / "mirror") == [
        tmp_path / "models" / "only_encoder.pth"]
    assert models.is_installed(spec, tmp_path / "models")


def test_the_registry_pins_sanas_encoder_alone_at_taef2s_commit():
    sana = models.spec_named("taesana")
    assert sana.decoder is None and sana.layout == "f32" and sana.upstream == TAEF2.upstream
    assert sana.encoder.size == 2537004 and len(sana.encoder.sha256) == 64
    assert models.CLOAK_MODEL is models.REGISTRY[0] and TAEF2.decoder is not None
    with pytest.raises(KeyError):
        models.spec_named("taesd")


def test_cli_list_says_which_model_the_cloak_needs_and_which_are_optional(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OMAMORI_HOME", str(tmp_path))
    monkeypatch.delenv("OMAMORI_MODELS", raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert cli.main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("taef2" in line and "needed by the cloak" in line for line in lines)
    assert any("taesana" in line and "Sana" in line and "optional" in line for line in lines)
    assert cli.main(["models", "fetch", "taesd", "--from", str(tmp_path)]) == EXIT_USAGE
    assert "no model 'taesd' (known: taef2, taesana)" in capsys.readouterr().err


@needs_sana
def test_cli_fetches_sana_only_when_asked_and_the_cloak_then_loads_both(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OMAMORI_HOME", str(tmp_path))
    monkeypatch.delenv("OMAMORI_MODELS", raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    folder = tmp_path / "data" / "models"
    assert cli.main(["models", "fetch", "--from", str(MODELS_ALL)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["taef2_decoder.pth", "taef2_encoder.pth"]
    assert [vae.spec.name for vae in cloak.load_models(folder)] == ["taef2"]
    assert cli.main(["models", "fetch", "taesana", "--from", str(MODELS_ALL)]) == 0
    assert "taesana is ready" in capsys.readouterr().out
    assert [vae.spec.name for vae in cloak.load_models(folder)] == ["taef2", "taesana"]
