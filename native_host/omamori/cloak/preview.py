"""What an AI model "sees" of an image, clean and cloaked, side by side.

Both images go through the tiny encoder and decoder of the cloak's model: the
left half is the reconstruction of the clean image, the right half that of the
cloaked one. A fine-tune learns from such reconstructions. Shared by
``omamori preview-ai`` and the protocol request ``cloak.preview``.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..imageio import resize
from . import apply
from .attack import working_size
from .models import TinyVAE

PREVIEW_SIDE = 512   # pixels: long side of each half (about the resolution models train at)


def side_by_side(image: np.ndarray, cloaked: np.ndarray, vae: TinyVAE) -> np.ndarray:
    """HxW'x3 float32: reconstructions of ``image`` (left) and ``cloaked`` (right), long side PREVIEW_SIDE each.

    Images smaller than PREVIEW_SIDE keep their size; the white gap between the
    halves is max(4, width / 64) pixels wide.
    """
    h, w = working_size(*image.shape[:2], PREVIEW_SIDE)
    halves = []
    for picture in (image, cloaked):
        small = np.clip(resize(picture, width=w, height=h), 0, 1)
        halves.append(np.clip(vae.decoder(vae.encoder(small)), 0, 1))
    gap = np.ones((h, max(4, w // 64), 3), np.float32)
    return np.concatenate([halves[0], gap, halves[1]], axis=1)


def what_ai_sees(image: np.ndarray, models: Sequence[TinyVAE], *, strength: float = 1.0, rng: np.random.Generator,
                 progress: Callable[[str, float], None] | None = None) -> np.ndarray:
    """Cloak ``image`` (float32 HxWx3 in [0, 1], not changed) and return ``side_by_side`` of it and its cloaked copy.

    ``models``, ``strength``, ``rng`` and ``progress`` as in ``cloak.apply`` (progress stage "cloak", fraction
    0-1; the reconstructions after it take well under a second at PREVIEW_SIDE); the reconstructions are the
    first model's (the cloak's own, which has a decoder).
    """
    cloaked = apply(image, models, strength=strength, rng=rng, progress=progress)
    return side_by_side(image, cloaked, models[0])
