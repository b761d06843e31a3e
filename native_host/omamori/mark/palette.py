"""The mark in palette art, which must stay a palette image (X keeps a PNG8 as it is, and converts anything else).

The mark is embedded into the picture's colours as usual, then carried by the palette itself: each colour gets a
twin two grey levels apart (one level darker and one lighter than the colour, as far as black and white allow), and
every pixel takes the darker or the lighter twin by the sign of the mark there. A person sees the same colour (one
grey level either way); the detector sees the mark at the amplitude it has on flat colour. A palette of only greys
needs no twins: the marked picture has at most 256 grey levels, which a palette holds as they are.
"""
from __future__ import annotations

import numpy as np

from ..arrays import luma
from .embed import embed
from .payload import Payload

PALETTE_SIZE = 256
TWIN_STEP = 1.0 / 255      # each twin is this far from the colour, one darker and one lighter


def embed_palette(indices: np.ndarray, colours: np.ndarray, *, key: bytes, payload: Payload,
                  strength: float = 1.0) -> tuple[np.ndarray, np.ndarray, float]:
    """Mark palette art: ``indices`` uint8 HxW into ``colours`` float32 Kx4 RGBA in [0, 1] (K <= 256).

    Returns (new indices, new colours, share of opaque pixels that carry the mark). A palette of greys is
    marked fully; otherwise colours get twins while the palette has room, most used colours first (a palette of
    up to 128 colours is marked everywhere). Transparent pixels carry no mark. Raises like ``embed`` for an
    image under its minimum size.
    """
    rgb = colours[:, :3]
    picture = rgb[indices]
    marked = embed(picture, key=key, payload=payload, strength=strength, dots=False)   # twins need a sign in every cell
    opaque = colours[indices, 3] > 0
    used = np.bincount(indices[opaque], minlength=len(colours))
    if np.all(np.ptp(rgb[used > 0], axis=1) < 0.5 / 255):           # greys: every marked level fits a palette
        grey = _grey_palette(luma(marked), colours, indices)
        if grey is not None:
            return grey
    lighter = luma(marked) > luma(picture)
    twinned = np.array([i for i in np.argsort(used)[::-1][:PALETTE_SIZE - len(colours)] if used[i] > 0], np.intp)
    new_colours = colours.copy()
    twins = np.array([_twins(rgb[index]) for index in twinned], np.float32).reshape(-1, 2, 3)
    new_colours[twinned, :3] = twins[:, 0]
    lighter_colours = np.concatenate([twins[:, 1], colours[twinned, 3:]], axis=1)
    new_colours = np.concatenate([new_colours, lighter_colours]).astype(np.float32)
    twin_of = np.full(len(colours), -1, np.intp)                   # palette index -> its lighter twin's index
    twin_of[twinned] = len(colours) + np.arange(len(twinned))
    lighter_index = twin_of[indices]
    new_indices = np.where(lighter & (lighter_index >= 0), lighter_index, indices).astype(np.uint8)
    return new_indices, new_colours, float(used[twinned].sum() / max(1, opaque.sum()))


def _twins(colour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A colour's darker and lighter twins, TWIN_STEP either side (moved inward at black or white)."""
    centre = np.clip(colour, TWIN_STEP, 1 - TWIN_STEP)
    return np.clip(centre - TWIN_STEP, 0, 1), np.clip(centre + TWIN_STEP, 0, 1)


def _grey_palette(marked_grey: np.ndarray, colours: np.ndarray, indices: np.ndarray):
    """(indices, colours, 1.0): palette art of greys from its marked grey levels, one palette entry per level
    used, transparent pixels kept on their own entries; None if that takes more than 256 entries."""
    # int16 levels and a lookup table, not np.unique: on a 4096 x 4096 image that sorts 134 MB of int64 three times
    levels = np.round(np.clip(marked_grey, 0, 1) * 255).astype(np.int16)
    transparent = colours[indices, 3] == 0
    levels[transparent] = 256 + indices[transparent].astype(np.int16)      # kept apart from the greys
    used = np.flatnonzero(np.bincount(levels.ravel(), minlength=512))
    if len(used) > PALETTE_SIZE:
        return None
    entry = np.zeros(512, dtype=np.uint8)
    entry[used] = np.arange(len(used))
    grey = np.minimum(used, 255).astype(np.float32) / 255
    new_colours = np.stack([grey, grey, grey, np.ones_like(grey)], axis=1)
    kept = used >= 256
    new_colours[kept] = colours[used[kept] - 256]
    return entry[levels], new_colours, 1.0
