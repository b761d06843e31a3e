"""The optional cloak: an adversarial perturbation against a tiny open VAE encoder.

Its measured effect is small: against noise as visible and placed where it puts
its change, under 2 dB more damage to the surrogate's reconstruction at most
training sizes (under 1 dB at some), about 4 dB at the sizes it is computed for;
published clean-ups (noisy upscaling, diffusion purification) remove it
(``cloak.limits`` in the catalog; docs/cloak.md).

    available(models_dir) -> bool
    load_models(models_dir) -> tuple[TinyVAE, ...]
    apply(image, models, *, strength=1.0, rng, progress=None, then=None) -> np.ndarray
    cloak_with(image, models, *, family, strength, params, rng, then=None, progress=None) -> np.ndarray

The models folder and the loaded models come from the caller (the host keeps both, ``protocol.handlers.Host``).
"""
from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .attack import AttackParams, cloak_image
from .family import Family, load_family, starting_point
from .models import CLOAK_MODEL, TinyVAE, is_installed, load_installed


def available(models_dir: Path) -> bool:
    """True when the cloak's model files are in ``models_dir`` (``omamori models fetch`` puts them there)."""
    return is_installed(CLOAK_MODEL, models_dir)


def load_models(models_dir: Path) -> tuple[TinyVAE, ...]:
    """The models the cloak attacks, from ``models_dir``, their files' SHA-256 checked: its own (taef2) first,
    then every other one installed (``omamori models fetch taesana``: each adds its passes to the cloak's time).
    Raises ``StateError("model_missing")`` when the cloak's own is absent, ``StateError("model_damaged")`` when
    a file fails its check."""
    return load_installed(models_dir)


def apply(image: np.ndarray, models: Sequence[TinyVAE], *, strength: float = 1.0, rng: np.random.Generator,
          progress: Callable[[str, float], None] | None = None,
          then: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """A new cloaked copy of ``image`` (float32 HxWx3 in [0, 1]); the input is not changed.

    ``models``: what ``load_models`` gives. ``strength`` (0.25-2) scales the per-pixel budget; the visible PSNR is
    at least 36 - 20 log10(strength) dB (36 dB at 1.0). ``progress("cloak", fraction)`` is called as
    the work advances (fraction 0-1). ``then`` is what the caller does to the cloaked
    image afterwards (the invisible mark), which the cloak takes into account
    (``attack.cloak_image``).
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 image, got shape {image.shape}")
    report = (lambda fraction: progress("cloak", fraction)) if progress is not None else None
    if report is not None:
        report(0.0)
    return cloak_with(np.asarray(image, np.float32), models, family=load_family(models[0].spec), strength=strength,
                      params=AttackParams(), rng=rng, then=then, progress=report)


def cloak_with(image: np.ndarray, models: Sequence[TinyVAE], *, family: Family | None, strength: float,
               params: AttackParams, rng: np.random.Generator, then: Callable[[np.ndarray], np.ndarray] | None = None,
               progress: Callable[[float], None] | None = None) -> np.ndarray:
    """``attack.cloak_image`` against ``models`` starting from ``family``'s best pattern (the family of
    ``models[0]``), or from noise when there is no family for ``params``' working size (``family`` None, or
    trained at another side)."""
    start = (None if family is None or family.side != params.sides[0]
             else partial(starting_point, family, models[0], rng=rng, jpeg_quality=params.jpeg_quality))
    return cloak_image(image, models, strength=strength, params=params, rng=rng, start=start, then=then,
                       progress=progress)
