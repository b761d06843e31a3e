"""Embedding: a keyed, payload-modulated tile on the working grid, shaped by a perceptual mask, upsampled as a residual."""
from __future__ import annotations

import hashlib

import numpy as np

from ..arrays import box_mean, box_range, luma
from ..errors import ImageError
from . import code
from .domain import NONCES, TILE, across, cell_size, from_grid, make_tile, mean_square, tile_pattern, to_grid
from .payload import PAYLOAD_BITS, Payload

MIN_SIDE = 256
FLAT_AMPLITUDE = 1.0 / 255     # mark amplitude (0-1 units) on flat colour and smooth gradients, at strength 1, in
                               # cells of FINE_CELL pixels or more
PAPER_LUMA = 0.85              # flat cells at least this light (paper) carry the mark as dots instead
FILL_RANGE = 0.1 / 255         # so do cells of flat fill: the luma of the cells around varies by less than this
FILL_RADIUS = 3                # cells: how far around (7 x 7 tells a plain fill from a gentle gradient)
FINE_CELL = 2.0                # pixels: pictures marked with finer cells (under 1024 px long) keep an even level on
                               # fill (at 600 px dots there lost more than they gained; paper keeps its dots at every
                               # size), and their flat level is FINE_CELL / cell times FLAT_AMPLITUDE (twice in cells of
                               # one pixel): the eye sees finer cells less, and JPEG keeps less of them
DOT_SHARE = 0.5                # on paper and flat fill the mark sits in this share of the cells, per key and picture
DOT_AMPLITUDE = 1.5 / 255      # mark amplitude in those cells, at strength 1 (the others carry none)
BUSY_AMPLITUDE = 4.0 / 255     # mark amplitude in texture and along edges, at strength 1
ACTIVITY_REF = 3.0 / 255       # local luma deviation (0-1 units) from which a cell counts as fully busy
PSNR_FLOOR = 45.0              # dB: at strength 1 the mark is scaled down if needed to keep at least this PSNR
STRIP_ROWS = 128               # pixel rows marked at a time (keeps the work in cache on big images)


def perceptual_amplitude(work_luma: np.ndarray, dots: np.ndarray | None, cell: float) -> np.ndarray:
    """Mark amplitude per cell (0-1 units) on a grid of ``cell``-pixel cells: FLAT_AMPLITUDE on flat colour (times
    FINE_CELL / ``cell`` in finer cells), up to BUSY_AMPLITUDE in texture; on paper (flat and at least PAPER_LUMA
    light) and on flat fill (``FILL_RANGE``, in cells of at least FINE_CELL) DOT_AMPLITUDE in the ``dots`` (bool
    grid) and none in the other cells, unless ``dots`` is None.

    Why dots: JPEG q50-q30 and X's small size round one grey level on a plain area away (every coefficient of its
    blocks but the first is zero, and one level stays under the rounding's dead zone); half the cells at 1.5 levels
    keep more of the mark through them for less perceived difference (FLIP). On gradients and darker colour that
    is not quite flat, dots lost more than they gained (noise, a VAE round trip; docs/mark.md has the figures)."""
    activity = box_mean(np.abs(work_luma - box_mean(work_luma, 1)), 1)
    busy = np.clip(activity / ACTIVITY_REF, 0.0, 1.0)
    flat = np.float32(FLAT_AMPLITUDE * max(FINE_CELL / cell, 1.0))
    if dots is not None:
        dotted = work_luma >= PAPER_LUMA
        if cell >= FINE_CELL:
            dotted |= box_range(work_luma, FILL_RADIUS) < FILL_RANGE
        flat = np.where(dotted, dots * np.float32(DOT_AMPLITUDE), flat).astype(np.float32)
    return flat + (BUSY_AMPLITUDE - flat) * busy


def dot_cells(key: bytes, variant: tuple[int, int, int], shape: tuple[int, int]) -> np.ndarray:
    """The cells (bool grid of ``shape``) that carry the mark on paper and flat fill: DOT_SHARE of them, drawn anew
    for each key and picture (from its tile variant), so no two pictures share them."""
    seed = hashlib.sha256(b"omamori mark dots\0" + key + bytes([variant[0]]) + variant[1].to_bytes(2, "big")
                          + variant[2].to_bytes(2, "big")).digest()
    return np.random.default_rng(np.frombuffer(seed, dtype=np.uint32)).random(shape) < DOT_SHARE


def image_variant(key: bytes, work_luma: np.ndarray) -> tuple[int, int, int]:
    """(nonce, row offset, column offset) of the tile for this image, derived from key and picture content.

    A different picture gets a different tile variant and origin, so averaging many marked images of one user does
    not add their marks up into one visible pattern; detection searches all variants and offsets.
    """
    thumbnail = np.round(work_luma[::8, ::8] * 255).astype(np.uint8).tobytes()
    digest = hashlib.sha256(b"omamori mark variant\0" + key + thumbnail).digest()
    return digest[0] % NONCES, digest[1] % TILE, digest[2] % TILE


def embed(image: np.ndarray, *, key: bytes, payload: Payload, strength: float = 1.0, dots: bool = True) -> np.ndarray:
    """Return a marked copy of ``image`` (HxWx3 float32 RGB in [0, 1]) carrying ``payload`` under ``key``.

    ``strength`` multiplies the mark's amplitude; at 1.0 the PSNR is at least PSNR_FLOOR dB (before clipping and
    rounding), and each doubling of strength costs 6 dB. The mark changes luma only (R, G and B move together). Raises
    ``ImageError("image_too_small")`` if a side is below ``MIN_SIDE`` pixels. ``dots=False`` keeps one level in
    every cell on paper and flat fill too (the palette route: its twin colours need the mark's sign in every cell).
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError("image must be HxWx3 RGB")
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise ImageError("image_too_small", width=width, height=height, min_side=MIN_SIDE)
    cell = cell_size(height, width)
    work_luma = to_grid(luma(image), cell)
    variant = nonce, row_offset, col_offset = image_variant(key, work_luma)
    coded = code.encode(code.message_bits(payload.pack(), PAYLOAD_BITS))
    pattern = tile_pattern(make_tile(key, nonce), coded)
    rows = (np.arange(work_luma.shape[0]) + row_offset) % TILE
    cols = (np.arange(work_luma.shape[1]) + col_offset) % TILE
    amplitude = perceptual_amplitude(work_luma, dot_cells(key, variant, work_luma.shape) if dots else None, cell)
    # Paper white and ink black have no room on one side: move them just far enough inward (at most the mark's
    # amplitude, one or 1.5 grey levels) that both signs of the mark fit, instead of losing half of it to clipping.
    headroom = np.maximum(amplitude - (1.0 - work_luma), 0.0) - np.maximum(amplitude - work_luma, 0.0)
    grid = pattern[rows[:, None], cols[None, :]] * amplitude - headroom
    wide = across(grid.astype(np.float32), width, cell)
    rms = np.sqrt(mean_square(wide, height, cell))
    gain = np.float32(strength * min(1.0, 10 ** (-PSNR_FLOOR / 20) / max(rms, 1e-12)))
    marked = np.empty(image.shape, dtype=np.float32)                  # a new array: the input stays untouched
    for top, residual in from_grid(wide, height, cell, strip_rows=STRIP_ROWS):
        rows = slice(top, top + len(residual))
        residual *= gain
        flat_out = marked[rows].reshape(len(residual), -1)              # R, G, B of a row side by side
        np.add(image[rows].reshape(len(residual), -1), np.repeat(residual, 3, axis=1), out=flat_out)
        np.clip(flat_out, 0.0, 1.0, out=flat_out)
    return marked
