"""The protocol request ``cloak.preview``: what the cloak's model sees of an image, clean and cloaked, as a PNG."""
from __future__ import annotations

import base64
import io
import time

import numpy as np
import pytest
from PIL import Image

from omamori.cloak import models
from omamori.paths import default_paths
from omamori.protocol.envelope import Request
from omamori.protocol.handlers import HANDLERS, Host
from cloak_model import MODELS, needs_model


def _png(height: int, width: int) -> bytes:
    """A small line-art-like picture: flat colours, an outlined disc, a gradient (PNG bytes)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack([0.55 + 0.3 * y / height, np.full_like(x, 0.8), 0.6 - 0.2 * x / width], axis=-1)
    d = np.hypot(y - height / 2, x - width / 2) - height / 3
    image[d < 0] = [0.9, 0.4, 0.5]
    image[np.abs(d) < 1.5] = 0.1
    out = io.BytesIO()
    Image.fromarray((image * 255 + 0.5).astype(np.uint8)).save(out, "PNG")
    return out.getvalue()


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1 / np.mean((a.astype(np.float64) - b) ** 2)))


@pytest.fixture
def host(tmp_path, monkeypatch):
    monkeypatch.setenv("OMAMORI_HOME", str(tmp_path / "omamori"))
    monkeypatch.delenv("OMAMORI_MODELS", raising=False)
    host = Host(default_paths(), transport="cli")
    yield host
    host.close()


def test_cloak_preview_is_a_request_type():
    assert "cloak.preview" in HANDLERS


def test_without_a_model_the_reply_says_how_to_get_one(host):
    reply = host.handle(Request(id="p", type="cloak.preview", body={"image": base64.b64encode(_png(40, 48)).decode()}))
    assert reply["ok"] is False
    assert reply["error"]["code"] == "model_missing"
    assert "omamori models fetch" in reply["error"]["message"]["en"]


def test_bad_image_is_refused_before_any_model_work(host):
    reply = host.handle(Request(id="p", type="cloak.preview", body={"image": base64.b64encode(b"not a picture").decode()}))
    assert reply["error"]["code"] == "not_an_image"


@needs_model
def test_preview_is_a_png_of_both_reconstructions_with_progress(host):
    models.fetch(models.CLOAK_MODEL, models_dir=host.paths.models, source=MODELS)
    source = _png(40, 48)
    seen: list[tuple[str, float]] = []
    started = time.perf_counter()
    reply = host.handle(Request(id="p", type="cloak.preview",
                                body={"image": base64.b64encode(source).decode(), "options": {"cloak.strength": 1.0}}),
                        lambda stage, fraction: seen.append((stage, fraction)))
    elapsed = time.perf_counter() - started
    assert reply["ok"], reply
    result = reply["result"]
    assert result["mime"] == "image/png" and result["bytes"] == len(result["image"])
    assert "small extra effect" in result["limits"]["en"] and "remove it" in result["limits"]["en"]
    preview = np.asarray(Image.open(io.BytesIO(result["image"])).convert("RGB"), np.float32) / 255
    assert preview.shape == (result["height"], result["width"], 3) == (40, 48 + 4 + 48, 3)
    clean = np.asarray(Image.open(io.BytesIO(source)), np.float32) / 255
    left, right = preview[:, :48], preview[:, 52:]
    assert _psnr(left, clean) > 20                       # the clean reconstruction looks like the picture
    assert _psnr(right, left) < 30                       # the cloaked one visibly differs (same image: inf)
    cloak_fractions = [fraction for stage, fraction in seen if stage == "cloak"]
    assert len(cloak_fractions) >= 2 and cloak_fractions == sorted(cloak_fractions)
    assert seen[-1] == ("done", 1.0)
    assert elapsed < 30


@needs_model
def test_preview_strength_comes_from_the_request_or_the_settings(host):
    models.fetch(models.CLOAK_MODEL, models_dir=host.paths.models, source=MODELS)
    reply = host.handle(Request(id="p", type="cloak.preview",
                                body={"image": base64.b64encode(_png(32, 32)).decode(), "options": {"cloak": {"strength": 3}}}))
    assert reply["error"]["code"] == "bad_setting"
    reply = host.handle(Request(id="p", type="cloak.preview", body={"image": base64.b64encode(_png(32, 32)).decode()}))
    assert reply["result"]["strength"] == host.settings().cloak.strength


@needs_model
def test_preview_sees_the_image_the_protection_would_cloak(host):
    """Transparency flattened onto white and the settings' max side applied, as ``protect`` does."""
    models.fetch(models.CLOAK_MODEL, models_dir=host.paths.models, source=MODELS)
    rgba = np.zeros((260, 300, 4), np.uint8)          # left half transparent (black under alpha 0)
    rgba[:, 150:] = [40, 90, 200, 255]
    data = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(data, "PNG")
    reply = host.handle(Request(id="p", type="cloak.preview", body={
        "image": base64.b64encode(data.getvalue()).decode(), "options": {"output.max_side": 256}}))
    assert reply["ok"], reply
    preview = np.asarray(Image.open(io.BytesIO(reply["result"]["image"])).convert("RGB"), np.float32) / 255
    assert preview.shape == (224, 256 + 4 + 256, 3)
    clean_half = preview[:, :256]
    assert clean_half[20:-20, 20:100].mean() > 0.85    # white where the picture was transparent
    assert clean_half[20:-20, 160:-20, 2].mean() > 0.6 > clean_half[20:-20, 160:-20, 0].mean()
