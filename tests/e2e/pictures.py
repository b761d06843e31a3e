"""Test images drawn at test time, and the checks made on what X received."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def illustration(rng: np.random.Generator, *, width: int = 960, height: int = 640) -> Image.Image:
    """An RGB picture like digital art: smooth gradients, flat shapes with outlines, fine lines. Thousands of colours,
    so X (and omamori) keep it as JPEG."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    sky = np.stack([0.35 + 0.4 * y / height, 0.55 + 0.3 * x / width, 0.85 - 0.2 * y / height], axis=-1)
    image = Image.fromarray((np.clip(sky, 0, 1) * 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        cx, cy = rng.integers(0, width), rng.integers(0, height)
        r = int(rng.integers(30, 140))
        fill = tuple(int(v) for v in rng.integers(40, 230, size=3))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill, outline=(20, 20, 30), width=4)
    for _ in range(30):
        points = [tuple(int(v) for v in rng.integers(0, [width, height])) for _ in range(2)]
        draw.line(points, fill=(30, 30, 40), width=2)
    return image


def detailed_photo(rng: np.random.Generator, *, width: int = 1200, height: int = 900) -> Image.Image:
    """A photograph-like RGB picture: natural (1/f) texture in colour with sensor grain. Its JPEG q85 takes about
    3 bits per pixel, so X's web client re-encodes it (fewer than 6 pixels per byte)."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    amplitude = 1.0 / np.maximum(np.hypot(fy, fx), 1.0 / max(height, width)) ** 1.1
    channels = []
    for _ in range(3):
        field = np.fft.irfft2(amplitude * np.exp(2j * np.pi * rng.random(amplitude.shape)), s=(height, width))
        channels.append((field - field.mean()) / field.std())
    picture = 0.45 + 0.15 * channels[0][..., None] + 0.05 * np.stack([channels[1], channels[2], -channels[1]], axis=-1)
    picture += rng.normal(0, 0.01, picture.shape)
    return Image.fromarray((np.clip(picture, 0, 1) * 255).astype(np.uint8))


def pixel_art(rng: np.random.Generator, *, cells: int = 48, scale: int = 8) -> Image.Image:
    """A 16-colour palette image (PNG8), upscaled with hard edges as pixel artists post it."""
    palette = rng.integers(0, 256, size=(16, 3), dtype=np.uint8)
    indexes = rng.integers(0, 16, size=(cells, cells), dtype=np.uint8)
    small = Image.fromarray(indexes, mode="P")
    small.putpalette(palette.flatten().tolist())
    return small.resize((cells * scale, cells * scale), Image.NEAREST)


def animated_gif(rng: np.random.Generator, path: Path, *, size: int = 240) -> None:
    frames = [Image.fromarray(rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)).convert("P") for _ in range(2)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=200, loop=0)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def as_float(image: Image.Image, size: tuple[int, int] | None = None) -> np.ndarray:
    """float32 HxWx3 in [0, 1], resized (Lanczos) to `size` = (width, height) when given."""
    rgb = image.convert("RGB")
    if size is not None and rgb.size != size:
        rgb = rgb.resize(size, Image.LANCZOS)
    return np.asarray(rgb, dtype=np.float32) / 255.0


def corner_box(corner: str, width: int, height: int, *, size: float) -> tuple[slice, slice]:
    """Rows and columns of the band along `corner` ("bottom-right", …) where a corner signature of text height `size`
    (a fraction of the shorter side, as in the signature settings) is drawn: four text heights tall (text and
    margin), half the width wide."""
    band = min(height, int(4 * size * min(width, height)) + 1)
    vertical, horizontal = corner.split("-")
    rows = slice(height - band, height) if vertical == "bottom" else slice(0, band)
    cols = slice(width // 2, width) if horizontal == "right" else slice(0, width - width // 2)
    return rows, cols


def signature_contrast(original: Image.Image, received: Image.Image, *, corner: str, size: float) -> tuple[float, float]:
    """Share of pixels changed by more than 0.3 (of full scale, any channel) inside the signature's corner band and
    outside it, comparing what X received with the original scaled to the same size. A drawn signature changes a
    clear share of its band; re-encoding and the invisible mark change almost nothing by that much anywhere."""
    width, height = received.size
    changed = np.abs(as_float(received) - as_float(original, (width, height))).max(axis=-1) > 0.3
    rows, cols = corner_box(corner, width, height, size=size)
    inside = np.zeros_like(changed)
    inside[rows, cols] = True
    return float(changed[inside].mean()), float(changed[~inside].mean())
