"""Embedding: a keyed, payload-modulated tile on the working grid, shaped by a perceptual mask, upsampled as a residual."""
from __future__ import annotations

import hashlib

import numpy as np

from ..errors import ImageError
from . import code
from .domain import NONCES, TILE, luma, make_tile, resample, tile_pattern, work_shape
from .payload import PAYLOAD_BITS, Payload

MIN_SIDE = 256
AMPLITUDE = 2.0 / 255     # mark amplitude (0-1 units) at strength 1 where the mask is 1
MASK_FLOOR = 0.5          # mask on perfectly flat colour
MASK_CAP = 3.0            # mask in the busiest texture
ACTIVITY_REF = 4.0 / 255  # local luma deviation (0-1 units) at which the mask reaches 1


def _box3(a: np.ndarray) -> np.ndarray:
    padded = np.pad(a, 1, mode="edge")
    rows = padded[:-2] + padded[1:-1] + padded[2:]
    return (rows[:, :-2] + rows[:, 1:-1] + rows[:, 2:]) / 9.0


def perceptual_mask(work_luma: np.ndarray) -> np.ndarray:
    """Per-cell amplitude factor (MASK_FLOOR-MASK_CAP): small on flat colour and gradients, large in texture and edges."""
    activity = _box3(np.abs(work_luma - _box3(work_luma)))
    return np.clip(activity / ACTIVITY_REF, MASK_FLOOR, MASK_CAP)


def image_variant(key: bytes, work_luma: np.ndarray) -> tuple[int, int, int]:
    """(nonce, row offset, column offset) of the tile for this image, derived from key and picture content.

    A different picture gets a different tile variant and origin, so averaging many marked images of one user does
    not add their marks up into one visible pattern; detection searches all variants and offsets.
    """
    thumbnail = np.round(work_luma[::8, ::8] * 255).astype(np.uint8).tobytes()
    digest = hashlib.sha256(b"omamori mark variant\0" + key + thumbnail).digest()
    return digest[0] % NONCES, digest[1] % TILE, digest[2] % TILE


def embed(image: np.ndarray, *, key: bytes, payload: Payload, strength: float = 1.0) -> np.ndarray:
    """Return a marked copy of ``image`` (HxWx3 float32 RGB in [0, 1]) carrying ``payload`` under ``key``.

    ``strength`` multiplies the mark's amplitude (1.0: about 45 dB PSNR on typical illustrations). The mark
    changes luma only (R, G and B move together). Raises ``ImageError("image_too_small")`` if a side is below
    ``MIN_SIDE`` pixels.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError("image must be HxWx3 RGB")
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise ImageError("image_too_small", width=width, height=height, min_side=MIN_SIDE)
    work_luma = resample(luma(image), work_shape(height, width))
    nonce, row_offset, col_offset = image_variant(key, work_luma)
    coded = code.encode(code.message_bits(payload.pack(), PAYLOAD_BITS))
    pattern = tile_pattern(make_tile(key, nonce), coded)
    rows = (np.arange(work_luma.shape[0]) + row_offset) % TILE
    cols = (np.arange(work_luma.shape[1]) + col_offset) % TILE
    residual = pattern[rows[:, None], cols[None, :]] * perceptual_mask(work_luma) * np.float32(AMPLITUDE * strength)
    full = resample(residual.astype(np.float32), (height, width))
    marked = image.astype(np.float32) + full[:, :, None]
    return np.clip(marked, 0.0, 1.0, out=marked)
