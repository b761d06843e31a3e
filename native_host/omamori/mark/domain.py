"""The resolution-normalized domain the mark lives in, and the keyed tile it repeats.

Every image, whatever its size, is looked at on a *working grid* whose longer side is ``WORK_LONG`` cells. X serves
an image at several sizes that all keep its shape, so the same picture lands on the same working grid at every
size. The mark is a tile of ``TILE`` x ``TILE`` cells repeated over the grid: a crop only moves where the tiles
start (the detector finds that cyclic shift), and summing all tiles gathers the mark from everywhere on the image.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from . import code
from .payload import PAYLOAD_BITS

WORK_LONG = 512           # cells along the longer side of the working grid
TILE = 64                 # tile side in cells
NONCES = 16               # tile variants per key; each image uses one (detection tries all)
PILOT_FRACTION = 0.375    # share of tile cells carrying the payload-independent pilot
MESSAGE_BITS = PAYLOAD_BITS + code.CRC_BITS
CODED_BITS = code.coded_length(MESSAGE_BITS)
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def luma(image: np.ndarray) -> np.ndarray:
    """BT.601 luma (HxW float32, 0-1) of an HxWx3 RGB image in [0, 1]."""
    return image.astype(np.float32, copy=False) @ _LUMA


def work_shape(height: int, width: int) -> tuple[int, int]:
    """Working-grid shape (rows, columns) of an image of ``height`` x ``width`` pixels."""
    scale = WORK_LONG / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _resample_axis(a: np.ndarray, n: int, axis: int) -> np.ndarray:
    """``a`` resampled to ``n`` samples along ``axis``: area average when shrinking, linear when growing."""
    size = a.shape[axis]
    if n == size:
        return a
    if n < size:
        edges = np.round(np.arange(n + 1) * (size / n)).astype(np.intp)
        sums = np.add.reduceat(a, edges[:-1], axis=axis)
        counts = np.diff(edges).astype(np.float32)
        return sums / counts.reshape([-1 if i == axis else 1 for i in range(a.ndim)])
    position = np.clip((np.arange(n) + 0.5) * (size / n) - 0.5, 0, size - 1)
    lower = np.floor(position).astype(np.intp)
    upper = np.minimum(lower + 1, size - 1)
    frac = (position - lower).astype(np.float32).reshape([-1 if i == axis else 1 for i in range(a.ndim)])
    return np.take(a, lower, axis=axis) * (1 - frac) + np.take(a, upper, axis=axis) * frac


def resample(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """2-D float32 array ``a`` resampled to ``shape`` (area average down, bilinear up)."""
    return _resample_axis(_resample_axis(a, shape[0], 0), shape[1], 1)


@dataclass(frozen=True)
class Tile:
    """One keyed tile variant: +-1 carrier per cell, which cells are pilot, which coded bit each data cell carries."""

    carrier: np.ndarray       # TILE x TILE float32, +-1
    pilot: np.ndarray         # TILE x TILE bool
    bit_index: np.ndarray     # TILE x TILE intp, coded-bit index of data cells (-1 for pilot cells)


def make_tile(key: bytes, nonce: int) -> Tile:
    """The tile variant ``nonce`` (0 <= nonce < NONCES) of ``key``."""
    seed = hashlib.sha256(b"omamori mark tile\0" + key + bytes([nonce])).digest()
    rng = np.random.default_rng(np.frombuffer(seed, dtype=np.uint32))
    cells = TILE * TILE
    carrier = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=cells)
    order = rng.permutation(cells)
    pilot_cells = round(cells * PILOT_FRACTION)
    pilot = np.zeros(cells, dtype=bool)
    pilot[order[:pilot_cells]] = True
    bit_index = np.full(cells, -1, dtype=np.intp)
    bit_index[order[pilot_cells:]] = np.arange(cells - pilot_cells) % CODED_BITS
    shape = (TILE, TILE)
    return Tile(carrier.reshape(shape), pilot.reshape(shape), bit_index.reshape(shape))


def tile_pattern(tile: Tile, coded: np.ndarray) -> np.ndarray:
    """The +-1 tile (TILE x TILE float32) carrying 0/1 ``coded`` bits: carrier on pilot cells, carrier times bit sign elsewhere."""
    signs = np.where(tile.pilot, 1.0, 1.0 - 2.0 * coded[np.maximum(tile.bit_index, 0)]).astype(np.float32)
    return tile.carrier * signs
