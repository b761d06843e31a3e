"""The resolution-normalized domain the mark lives in, and the keyed tile it repeats.

Every image, whatever its size, is looked at on a *working grid* of square cells, ``WORK_LONG`` along its longer
side. X serves
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
PILOT_FRACTION = 0.15     # share of tile cells carrying the payload-independent pilot (enough to find the shift)
MESSAGE_BITS = PAYLOAD_BITS + code.CRC_BITS
CODED_BITS = code.coded_length(MESSAGE_BITS)


def cell_size(height: int, width: int) -> float:
    """Side of one working-grid cell in pixels for an image of ``height`` x ``width`` pixels.

    An image under WORK_LONG pixels long gets a grid half as long: cells finer than about two pixels would not
    survive JPEG. X never shrinks such an image, but other resizes of it are not followed (see docs/mark.md).
    """
    long_side = max(height, width)
    return long_side / (WORK_LONG if long_side >= WORK_LONG else WORK_LONG // 2)


def _resample_axis(a: np.ndarray, n: int, step: float, axis: int) -> np.ndarray:
    """``n`` samples along ``axis``; output sample i covers input samples [i step, (i + 1) step).

    Shrinking (step > 1) averages exactly that interval, so every output sample covers its true share of the
    input (first over whole blocks of ``floor(step)`` samples, fast on big images, then over fractional bins);
    growing (step < 1) interpolates linearly. Beyond the input's end the last samples are repeated.
    """
    size = a.shape[axis]
    along = [-1 if i == axis else 1 for i in range(a.ndim)]          # shape of per-sample weights
    if step <= 1:
        position = np.clip((np.arange(n) + 0.5) * step - 0.5, 0, size - 1)
        lower = np.floor(position).astype(np.intp)
        upper = np.minimum(lower + 1, size - 1)
        frac = (position - lower).astype(np.float32).reshape(along)
        low = np.take(a, lower, axis=axis)
        low += (np.take(a, upper, axis=axis) - low) * frac
        return low

    def part(start: int, stop: int, stride: int) -> tuple[slice, ...]:
        return (slice(None),) * axis + (slice(start, stop, stride),)

    block = min(int(step), size)
    whole = size // block
    blocks = a[part(0, whole * block, block)].astype(np.float32)
    for k in range(1, block):                                         # strided sums: far faster than a reshape mean
        blocks += a[part(k, whole * block, block)]
    blocks *= np.float32(1 / block)
    if step == block and n == whole:                                  # whole cells of whole samples: done
        return blocks
    averaged = np.zeros(a.shape[:axis] + (n,) + a.shape[axis + 1:], dtype=np.float32)
    for index, overlap in _bins(n, step / block, whole):
        averaged += np.take(blocks, index, axis=axis) * overlap.reshape(along)
    return averaged


def _bins(n: int, width: float, blocks: int):
    """The ``n`` bins of ``width`` (>= 1) blocks each, from block 0: yields, for each block a bin can touch, the
    block each bin takes (past the last of ``blocks``, the last one again) and the share of the bin it covers."""
    starts = np.arange(n) * width
    first = np.floor(starts).astype(np.intp)
    for offset in range(int(np.ceil(width)) + 1):
        index = first + offset
        overlap = np.clip(np.minimum(starts + width, index + 1) - np.maximum(starts, index), 0, None) / width
        if overlap.any():
            yield np.minimum(index, blocks - 1), overlap.astype(np.float32)


def to_grid(a: np.ndarray, cell: float) -> np.ndarray:
    """2-D float32 array ``a`` averaged onto a grid of square cells ``cell`` pixels wide (partial cells at the end)."""
    rows, cols = (max(1, int(np.ceil(side / cell - 1e-6))) for side in a.shape)
    return _resample_axis(_resample_axis(a, rows, cell, 0), cols, cell, 1)


def grid_matrix(size: int, cell: float, *, period: int | None = None) -> np.ndarray:
    """The (grid samples x ``size``) float32 matrix of ``to_grid`` along one axis of ``size`` samples, for cells of
    more than one sample: ``to_grid(a, cell) == grid_matrix(rows, cell) @ a @ grid_matrix(cols, cell).T``. With
    ``period``, grid sample k is added to row k mod ``period`` (``period`` rows): the grid's tiles summed into one.
    Many grids of one array cost a matrix product each this way, not a resampling of the whole array."""
    n = max(1, int(np.ceil(size / cell - 1e-6)))
    block = min(int(cell), size)
    whole = size // block
    rows = np.arange(n) if period is None else np.arange(n) % period
    per_block = np.zeros((n if period is None else period, whole), dtype=np.float32)
    for index, overlap in _bins(n, cell / block, whole):
        np.add.at(per_block, (rows, index), overlap)
    return np.pad(np.repeat(per_block / block, block, axis=1), ((0, 0), (0, size - whole * block)))


def _grid_rows(pixel_rows: np.ndarray, cell: float, grid_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each pixel row, the grid rows it is interpolated between (lower, upper) and the upper one's weight."""
    position = np.clip((pixel_rows + 0.5) / cell - 0.5, 0, grid_rows - 1)
    lower = np.floor(position).astype(np.intp)
    return lower, np.minimum(lower + 1, grid_rows - 1), (position - lower).astype(np.float32)


def across(grid: np.ndarray, width: int, cell: float) -> np.ndarray:
    """The rows of a grid made by ``to_grid`` interpolated (linearly) to ``width`` pixels: the first half of the way
    back to pixels, which ``from_grid`` and ``mean_square`` both start from (done once, it is the costly half)."""
    return _resample_axis(grid, width, 1 / cell, 1)


def from_grid(rows: np.ndarray, height: int, cell: float, *, strip_rows: int):
    """The grid whose rows ``across`` made into ``rows`` interpolated (bilinear) back to ``height`` pixel rows, in
    horizontal strips.

    Yields ``(first pixel row, strip)`` for strips of ``strip_rows`` pixel rows, so a big image is done in pieces
    that stay in the processor's cache.
    """
    for top in range(0, height, strip_rows):
        lower, upper, weight = _grid_rows(np.arange(top, min(top + strip_rows, height)), cell, len(rows))
        strip = rows[lower]
        above = rows[upper]
        above -= strip
        above *= weight[:, None]
        strip += above
        yield top, strip


def mean_square(rows: np.ndarray, height: int, cell: float) -> float:
    """The mean square of ``from_grid(rows, height, cell)`` over all its pixels, exactly, without making it.

    Each pixel row mixes two of ``rows``, so their squares and the products of neighbouring rows are all it takes.
    (Sampling pixels instead is biased whenever the sampling step and the cell line up: every fourth pixel of 4 px
    cells falls at the same place between two cells.)
    """
    wide = rows.astype(np.float64)
    squares = np.einsum("ij,ij->i", wide, wide)
    neighbours = np.append(np.einsum("ij,ij->i", wide[:-1], wide[1:]), 0.0)   # row i with row i + 1
    lower, upper, weight = _grid_rows(np.arange(height), cell, len(rows))
    t = weight.astype(np.float64)
    cross = np.where(upper > lower, neighbours[lower], squares[lower])
    total = np.sum((1 - t) ** 2 * squares[lower] + 2 * t * (1 - t) * cross + t ** 2 * squares[upper])
    return float(total / (height * rows.shape[1]))


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
