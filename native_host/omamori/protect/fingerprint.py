"""A 64-bit perceptual hash (DCT pHash) to recognise an image after the mark is gone.

The hash survives what X does to an image -- JPEG re-encoding, downscaling,
metadata stripping -- because it only looks at the lowest spatial frequencies
of the luminance: the image is reduced to 32 x 32 grey, transformed with a 2-D
DCT, and the 8 x 8 lowest frequencies (the DC term excluded by the median) are
compared with their median. Similar images differ in a few bits; unrelated
ones in about 32.
"""
from __future__ import annotations

import numpy as np

from .. import imageio
from ..arrays import luma

_REDUCED = 32                     # pixels per side of the grey thumbnail
_KEPT = 8                         # DCT coefficients per side that make the 64 bits


def _dct_matrix(n: int) -> np.ndarray:
    """Orthonormal DCT-II matrix, n x n."""
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    matrix = np.cos(np.pi * (2 * x + 1) * k / (2 * n)) * np.sqrt(2 / n)
    matrix[0] /= np.sqrt(2)
    return matrix


def perceptual_hash(image: np.ndarray) -> int:
    """64-bit pHash of a float32 HxWx3 image in [0, 1] (an int in [0, 2**64))."""
    # Every step-th pixel is plenty for a 32 x 32 box average (and 16x less work on a 16 MP image).
    step = max(1, min(image.shape[:2]) // (8 * _REDUCED))
    grey = luma(np.ascontiguousarray(image[::step, ::step]))
    thumb = imageio.resize(grey, width=_REDUCED, height=_REDUCED, resample="box").astype(np.float64)
    dct = _dct_matrix(_REDUCED)
    low = (dct @ thumb @ dct.T)[:_KEPT, :_KEPT].ravel()
    bits = low > np.median(low[1:])
    return int(np.packbits(bits).view(">u8")[0])
