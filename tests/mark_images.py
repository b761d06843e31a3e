"""Made-up illustration-like images for the mark's tests and benchmark (float32 HxWx3 RGB in [0, 1]).

The pictures illustrators post are mostly not photographs: flat colour with line art, screentone, pixel art,
pencil on paper, gradients. Each generator draws one kind at any size from a numpy ``rng``.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

Generator = Callable[[int, int, np.random.Generator], np.ndarray]


def _ellipse_distance(box: tuple[int, int, int, int], rng: np.random.Generator) -> np.ndarray:
    """Approximate signed distance (pixels) to a random rotated ellipse, over the clipped bounding ``box``."""
    top, left, bottom, right = box
    y, x = np.mgrid[top:bottom, left:right].astype(np.float32)
    cy, cx = (top + bottom) / 2, (left + right) / 2
    radius = min(bottom - top, right - left) / 2 - 2                # rotated, it still fits inside the box
    a, b = rng.uniform(0.3, 1.0) * radius, rng.uniform(0.3, 1.0) * radius
    angle = rng.uniform(0, np.pi)
    u = (x - cx) * np.cos(angle) + (y - cy) * np.sin(angle)
    v = -(x - cx) * np.sin(angle) + (y - cy) * np.cos(angle)
    return (np.sqrt((u / a) ** 2 + (v / b) ** 2) - 1.0) * min(a, b)


def _random_box(height: int, width: int, rng: np.random.Generator) -> tuple[int, int, int, int]:
    h, w = int(rng.uniform(0.15, 0.6) * height), int(rng.uniform(0.15, 0.6) * width)
    top, left = int(rng.uniform(0, height - h)), int(rng.uniform(0, width - w))
    return top, left, top + h, left + w


def _lines(canvas: np.ndarray, rng: np.random.Generator, *, count: int, colour, width_px: float) -> None:
    """Draw ``count`` anti-aliased ellipse outlines (line art) onto ``canvas`` in place."""
    height, width = canvas.shape[:2]
    for _ in range(count):
        top, left, bottom, right = _random_box(height, width, rng)
        d = _ellipse_distance((top, left, bottom, right), rng)
        alpha = np.clip(width_px / 2 + 0.5 - np.abs(d), 0, 1)[..., None]
        region = canvas[top:bottom, left:right]
        region[:] = region * (1 - alpha) + np.asarray(colour, np.float32) * alpha


def flat_anime(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Flat cel colours with two-tone shading and dark line art on a flat background."""
    canvas = np.empty((height, width, 3), np.float32)
    canvas[:] = rng.uniform(0.6, 1.0, 3)
    line_px = max(2.0, min(height, width) / 300)
    for _ in range(8):
        top, left, bottom, right = _random_box(height, width, rng)
        d = _ellipse_distance((top, left, bottom, right), rng)
        colour = rng.uniform(0.2, 1.0, 3).astype(np.float32)
        shade = np.where((d < -0.3 * (right - left) / 4)[..., None], colour, colour * 0.8)   # cel shading: two tones
        fill = np.clip(0.5 - d, 0, 1)[..., None]
        edge = np.clip(line_px / 2 + 0.5 - np.abs(d), 0, 1)[..., None]
        region = canvas[top:bottom, left:right]
        region[:] = region * (1 - fill) + shade * fill
        region[:] = region * (1 - edge) + np.float32(0.1) * edge
    return canvas


def screentone(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A manga page: white paper, panel borders, dot screentone in regions, black line art."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    page = np.ones((height, width), np.float32)
    period = rng.uniform(5, 9)
    for _ in range(4):
        top, left, bottom, right = _random_box(height, width, rng)
        level = rng.uniform(0.2, 0.6)                              # dot radius as a fraction of the period
        angle = np.pi / 4
        u = (x[top:bottom, left:right] * np.cos(angle) + y[top:bottom, left:right] * np.sin(angle)) / period
        v = (-x[top:bottom, left:right] * np.sin(angle) + y[top:bottom, left:right] * np.cos(angle)) / period
        distance = np.hypot(u - np.round(u), v - np.round(v)) * period
        page[top:bottom, left:right] = np.minimum(page[top:bottom, left:right], np.clip(distance - level * period + 0.5, 0, 1))
    border = max(3, min(height, width) // 150)
    for frac in (0.35, 0.7):
        row = int(frac * height)
        page[row:row + border] = 0.0
    page[:border], page[-border:], page[:, :border], page[:, -border:] = 0.0, 0.0, 0.0, 0.0
    canvas = np.repeat(page[..., None], 3, axis=2)
    _lines(canvas, rng, count=10, colour=(0.0, 0.0, 0.0), width_px=max(1.5, min(height, width) / 400))
    return canvas


def pixel_art(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Low-resolution art in a 12-colour palette, upscaled with hard (nearest-neighbour) pixels."""
    cell = int(rng.integers(6, 16))
    small_h, small_w = -(-height // cell), -(-width // cell)
    palette = rng.uniform(0, 1, (12, 3)).astype(np.float32)
    noise = rng.normal(size=(small_h // 4 + 2, small_w // 4 + 2))
    coarse = np.kron(noise, np.ones((4, 4)))[:small_h, :small_w] + 0.15 * rng.normal(size=(small_h, small_w))
    index = np.digitize(coarse, np.quantile(coarse, np.linspace(0, 1, 13)[1:-1]))
    art = palette[index]
    return np.repeat(np.repeat(art, cell, axis=0), cell, axis=1)[:height, :width].copy()


def _fractal_noise(height: int, width: int, rng: np.random.Generator, *, exponent: float) -> np.ndarray:
    """Noise with a 1/f**exponent spectrum, normalized to zero mean and unit deviation."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    amplitude = 1.0 / np.maximum(np.hypot(fy, fx), 1.0 / max(height, width)) ** exponent
    spectrum = amplitude * np.exp(2j * np.pi * rng.random(amplitude.shape))
    field = np.fft.irfft2(spectrum, s=(height, width)).astype(np.float32)
    return (field - field.mean()) / (field.std() + 1e-12)


def sketch(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Grey pencil strokes on warm paper with a fine fibre texture."""
    paper = 0.92 + 0.02 * _fractal_noise(height, width, rng, exponent=0.6)
    canvas = np.repeat(paper[..., None], 3, axis=2) * np.array([1.0, 0.98, 0.93], np.float32)
    _lines(canvas, rng, count=30, colour=(0.35, 0.35, 0.38), width_px=max(1.2, min(height, width) / 500))
    return np.clip(canvas, 0, 1)


def photo_texture(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Photo-like natural texture: coloured 1/f noise."""
    channels = [_fractal_noise(height, width, rng, exponent=1.1) for _ in range(2)]
    base = 0.45 + 0.15 * channels[0]
    tint = 0.05 * channels[1]
    return np.clip(np.stack([base + tint, base, base - tint], axis=2), 0, 1)


def gradient(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth sky-like gradient with a soft radial glow (no texture at all)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    t = (y / height)[..., None]
    top, bottom = rng.uniform(0.2, 0.9, 3), rng.uniform(0.3, 1.0, 3)
    sky = top * (1 - t) + bottom * t
    cy, cx = rng.uniform(0, height), rng.uniform(0, width)
    glow = np.exp(-(((y - cy) ** 2 + (x - cx) ** 2) / (0.1 * height * width)))[..., None]
    return np.clip(sky + 0.15 * glow, 0, 1).astype(np.float32)


KINDS: dict[str, Generator] = {
    "flat_anime": flat_anime,
    "screentone": screentone,
    "pixel_art": pixel_art,
    "sketch": sketch,
    "photo": photo_texture,
    "gradient": gradient,
}
