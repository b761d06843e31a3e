"""The full-colour picture every step works on: transparency flattened, fitted inside a side."""
from __future__ import annotations

import numpy as np

from .. import imageio


def flatten(image: np.ndarray, *, alpha: np.ndarray | None, background: float = 1.0) -> np.ndarray:
    """float32 HxWx3 ``image`` composited over a flat grey level ``background`` (0-1; 1 is white)
    using ``alpha`` (float32 HxW, 0-1); the image itself when ``alpha`` is None."""
    if alpha is None:
        return image
    weight = alpha[..., None]
    return image * weight + np.float32(background) * (1 - weight)


def downscale(image: np.ndarray, *, max_side: int) -> np.ndarray:
    """float32 HxWx3 image fitted inside ``max_side`` x ``max_side`` pixels (never enlarged)."""
    height, width = image.shape[:2]
    new_w, new_h = imageio.fitted_size(width, height, max_side=max_side)
    if (new_w, new_h) == (width, height):
        return image
    return imageio.resize_8bit(image, width=new_w, height=new_h)
