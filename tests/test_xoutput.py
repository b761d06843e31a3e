"""X-aware output: what we write is what X stores (checked with the project's model of X, omamori.platforms.x)."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from omamori import imageio
from omamori.errors import ImageError
from omamori.imageio import PaletteArt
from omamori.platforms import x
from omamori.protect import xoutput


def illustration(height: int, width: int) -> np.ndarray:
    """Flat areas, a gradient and a few hard edges, float32 HxWx3."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack([x / width, y / height, np.full_like(x, 0.4)], axis=2)
    image[height // 4:height // 2, width // 4:width // 2] = (0.9, 0.2, 0.3)
    image[(x + y) % 97 < 3] = 0.1
    return image


def test_jpeg_passes_through_x_unchanged():
    image = illustration(600, 900)
    before = image.copy()
    out = xoutput.encode_jpeg_for_x(image)
    assert np.array_equal(image, before)
    assert out.format == "jpeg" and out.mime == "image/jpeg" and out.quality == 85 and out.shrunk_from is None
    im = Image.open(io.BytesIO(out.data))
    assert im.size == (900, 600) and JpegImagePlugin.get_sampling(im) == 2
    assert x.store(out.data) == out.data


def test_over_the_byte_limit_the_image_shrinks_not_the_quality():
    noise = np.random.default_rng(0).random((1200, 1600, 3), dtype=np.float32)
    full = len(imageio.encode_jpeg(noise))
    out = xoutput.encode_jpeg_for_x(noise, max_bytes=full // 3)
    assert len(out.data) <= full // 3
    assert out.shrunk_from == (1600, 1200) and out.quality == 85
    assert abs(out.width / out.height - 1600 / 1200) < 0.01
    assert x.estimate_jpeg_quality(Image.open(io.BytesIO(out.data))) == 85
    assert x.store(out.data) == out.data


def test_impossible_byte_limit_is_output_too_large():
    with pytest.raises(ImageError) as caught:
        xoutput.encode_jpeg_for_x(illustration(600, 600), max_bytes=500)
    assert caught.value.code == "output_too_large"


def test_palette_resize_keeps_the_palette_and_hard_edges():
    indices = np.zeros((64, 64), np.uint8)
    indices[:, 32:] = 2
    art = PaletteArt(indices=indices, colours=np.eye(4, dtype=np.float32)[:3] + [0, 0, 0, 1])
    small = xoutput.resize_palette(art, width=16, height=16)
    assert small.indices.shape == (16, 16) and set(np.unique(small.indices)) == {0, 2}
    assert (small.indices[:, :8] == 0).all() and (small.indices[:, 8:] == 2).all()


def pixel_art() -> PaletteArt:
    rng = np.random.default_rng(4)
    colours = np.concatenate([rng.random((16, 3), dtype=np.float32), np.ones((16, 1), np.float32)], axis=1)
    blocks = rng.integers(0, 16, (32, 32), dtype=np.uint8)
    return PaletteArt(indices=np.kron(blocks, np.ones((8, 8), np.uint8)), colours=colours)


def test_palette_art_is_png8_that_x_keeps():
    art = pixel_art()
    out = xoutput.encode_palette_for_x(art)
    assert out.format == "png" and out.mime == "image/png" and (out.width, out.height) == (256, 256)
    assert Image.open(io.BytesIO(out.data)).mode == "P"
    assert x.store(out.data) == out.data


def test_palette_art_over_the_limit_is_output_too_large():
    with pytest.raises(ImageError) as caught:
        xoutput.encode_palette_for_x(pixel_art(), max_bytes=100)
    assert caught.value.code == "output_too_large"


# ---- X's web client: a JPEG with fewer than 6 pixels per byte is encoded once more (x.client_reencode_reason) ----

def textured(height: int, width: int, *, grain: float, seed: int = 5) -> np.ndarray:
    """The illustration under fine grain (standard deviation ``grain``): more grain, more bytes per pixel."""
    rng = np.random.default_rng(seed)
    return np.clip(illustration(height, width) + rng.normal(0, grain, (height, width, 3)), 0, 1).astype(np.float32)


def psnr(image: np.ndarray, data: bytes) -> float:
    return float(10 * np.log10(1 / np.mean(np.square(imageio.decode(data).image - image, dtype=np.float64))))


def test_without_the_client_rule_the_output_is_the_baseline_q85():
    image = textured(400, 600, grain=0.08)
    out = xoutput.encode_jpeg_for_x(image)
    assert out.client is None and not out.progressive and out.quality == 85
    assert x.client_reencode_reason(out.data) == x.REASON_PIXELS_PER_BYTE, "the test image is dense enough"


def test_a_file_the_client_keeps_is_left_alone():
    image = illustration(600, 900)
    out = xoutput.encode_jpeg_for_x(image, min_pixels_per_byte=x.CLIENT_MIN_JPEG_PIXELS_PER_BYTE)
    assert out.client is None and not out.progressive
    assert out.data == xoutput.encode_jpeg_for_x(image).data


def test_progressive_when_that_alone_keeps_the_client_from_re_encoding():
    # Grain chosen so that the baseline q85 is just too dense and the progressive file (same pixels) is not.
    for grain in np.linspace(0.004, 0.03, 27):
        image = textured(300, 400, grain=float(grain))
        baseline = xoutput.encode_jpeg_for_x(image)
        progressive = imageio.encode_jpeg(image, quality=85, progressive=True)
        if x.client_reencode_reason(baseline.data) and not x.client_reencode_reason(progressive):
            break
    else:
        pytest.fail("no grain puts the baseline just over the rule")
    out = xoutput.encode_jpeg_for_x(image, min_pixels_per_byte=x.CLIENT_MIN_JPEG_PIXELS_PER_BYTE)
    assert out.progressive and out.quality == 85 and out.client is None
    assert x.client_reencode_reason(out.data) is None and x.client_upload(out.data) == out.data
    assert np.array_equal(imageio.decode(out.data).image, imageio.decode(baseline.data).image), "the pixels changed"


@pytest.mark.parametrize("grain", [0.03, 0.08])
def test_a_dense_image_gets_what_costs_it_least(grain):
    image = textured(300, 400, grain=grain)
    before = image.copy()
    out = xoutput.encode_jpeg_for_x(image, min_pixels_per_byte=x.CLIENT_MIN_JPEG_PIXELS_PER_BYTE)
    assert np.array_equal(image, before)
    choice = out.client
    assert choice is not None
    baseline = xoutput.encode_jpeg_for_x(image)
    reencoded = x.client_upload(baseline.data)
    assert choice.reencode_psnr_db == pytest.approx(psnr(image, reencoded), abs=1e-6)
    if choice.reencoded:      # X's second encode loses less than any quality it would keep
        assert out.data == baseline.data and choice.uploaded == reencoded
        assert choice.lower_quality is None or choice.lower_psnr_db < choice.reencode_psnr_db
    else:                     # a lower quality the client keeps loses less than X's second encode
        assert xoutput.MIN_CLIENT_QUALITY <= out.quality < 85 and out.progressive
        assert x.client_upload(out.data) == out.data == choice.uploaded
        assert choice.lower_psnr_db >= choice.reencode_psnr_db
        assert x.client_reencode_reason(imageio.encode_jpeg(image, quality=out.quality + 1, progressive=True))
