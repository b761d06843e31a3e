"""Small numeric helpers the engine shares, in the scikit-image manner.

Pure functions over numpy arrays (the input is never changed, a new array comes out), each docstring giving
shapes, dtype and range. Nothing here reads or writes files; resampling and encoding live in ``imageio``.
"""
from __future__ import annotations

from typing import Literal

import numpy as np

LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)    # ITU-R BT.601, R G B


def luma(image: np.ndarray) -> np.ndarray:
    """BT.601 luma of ``image`` (...x3 RGB, any float or integer dtype; 0-1 in, 0-1 out): float32 of shape ``...``."""
    return image.astype(np.float32, copy=False) @ LUMA_WEIGHTS


def box_mean(a: np.ndarray, radius: int, *, edges: Literal["edge", "reflect"] = "edge") -> np.ndarray:
    """Mean of the 2-D array ``a`` over the (2 radius + 1)-square window around each element: float32, same shape.

    Past the border the window sees ``edges``: "edge" repeats the border value, "reflect" mirrors the array
    without repeating it (``np.pad`` modes). Summed as shifted slices, rows then columns, in float32: the radii used
    are small (8 at most), and this is several times faster than a summed-area table in float64.
    """
    size = 2 * radius + 1
    padded = np.pad(a.astype(np.float32, copy=False), radius, mode=edges)
    rows, cols = a.shape
    down = padded[:rows].copy()
    for k in range(1, size):
        down += padded[k:k + rows]
    box = down[:, :cols].copy()
    for k in range(1, size):
        box += down[:, k:k + cols]
    box *= np.float32(1 / size**2)
    return box


def box_range(a: np.ndarray, radius: int) -> np.ndarray:
    """Largest minus smallest value of the 2-D array ``a`` over the (2 radius + 1)-square window around each
    element, the border value repeated past the border: same shape and dtype."""
    padded = np.pad(a, radius, mode="edge")
    rows, cols = a.shape
    extremes = []
    for reduce in (np.maximum, np.minimum):
        down = reduce.reduce([padded[k:k + rows] for k in range(2 * radius + 1)])
        extremes.append(reduce.reduce([down[:, k:k + cols] for k in range(2 * radius + 1)]))
    return extremes[0] - extremes[1]


def hamming(a: int, b: int) -> int:
    """Number of bits that differ between two non-negative integers (64-bit perceptual hashes)."""
    return (a ^ b).bit_count()
