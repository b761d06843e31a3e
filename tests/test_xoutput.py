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


@pytest.mark.parametrize("fitted, expected", [
    ((1000, 800, 4096), (1000, 800)),
    ((8000, 4000, 4096), (4096, 2048)),
    ((3000, 6000, 4096), (2048, 4096)),
    ((1000, 800, 500), (500, 400)),
])
def test_fitted_size(fitted, expected):
    width, height, max_side = fitted
    assert xoutput.fitted_size(width, height, max_side=max_side) == expected


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


def test_resize_keeps_dtype_range_and_input():
    image = illustration(400, 500)
    before = image.copy()
    small = xoutput.resize(image, width=250, height=200)
    assert small.shape == (200, 250, 3) and small.dtype == np.float32
    assert np.array_equal(image, before)
    flat = xoutput.resize(np.full((300, 300, 3), 0.4, np.float32), width=100, height=100)
    assert np.abs(flat - 0.4).max() <= 0.5 / 255 + 1e-6


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
