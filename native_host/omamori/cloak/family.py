"""Perturbation families: starting points for the cloak, trained once per model and shipped as data.

Most of what the per-image gradient steps find is not specific to the image:
a pattern that makes the tiny encoder and decoder misread one illustration
misleads them on others too. Following FastProtect (Ahn et al., CVPR 2025:
perturbations trained once, adapted to each image), omamori trains a few
periodic patterns per model with its own numpy networks (``train``, run by
bench/cloak_family.py) and ships them in omamori/data/cloak/. A pattern is
P x P x 3 in [-1, 1] at the cloak's first working size; tiled with a random
offset and multiplied by the image's per-pixel budget it is the cloak's
starting point, which the per-image steps (``attack.seen_push``)
then refine. docs/cloak.md has what each part buys.

A family belongs to the exact weights it was trained against: their SHA-256
are stored with it, and a family for other weights is not used.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..atomic import write_atomic
from ..imageio import jpeg_round_trip, resize
from .attack import AttackParams, pixel_budget, working_size
from .models import ModelSpec, TinyVAE

FAMILY_FORMAT = 1


@dataclass(frozen=True)
class Family:
    patterns: np.ndarray   # (K, P, P, 3) float32 in [-1, 1], at the working size whose long side is ``side``
    side: int              # pixels
    provenance: str        # how it was trained (command, images, iterations, seed)


def family_file(spec: ModelSpec) -> Path:
    """Where the shipped family of ``spec`` lives (it may not exist)."""
    return Path(str(resources.files("omamori") / "data" / "cloak" / f"{spec.name}-family.npz"))


def save_family(path: Path, patterns: np.ndarray, spec: ModelSpec, *, side: int, provenance: str) -> None:
    """Write ``patterns`` (K x P x P x 3 in [-1, 1]) quantised to int8, with the weights' hashes, atomically."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, format=np.int32(FAMILY_FORMAT),
                        patterns=np.rint(np.clip(patterns, -1, 1) * 127).astype(np.int8), side=np.int32(side),
                        encoder_sha256=spec.encoder.sha256, decoder_sha256=spec.decoder.sha256,
                        provenance=provenance)
    write_atomic(path, buffer.getvalue(), mode=0o644)


def load_family(spec: ModelSpec, path: Path | None = None) -> Family | None:
    """The family trained for ``spec``'s weights, or None when there is none (or it is for other weights)."""
    path = family_file(spec) if path is None else path
    try:
        with np.load(path, allow_pickle=False) as data:
            if (int(data["format"]) != FAMILY_FORMAT or str(data["encoder_sha256"]) != spec.encoder.sha256
                    or str(data["decoder_sha256"]) != spec.decoder.sha256):
                return None
            patterns = data["patterns"].astype(np.float32) / 127
            return Family(patterns, int(data["side"]), str(data["provenance"]))
    except (OSError, KeyError, ValueError):
        return None


def _period_index(height: int, width: int, size: int, offset: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Where each of height x width pixels falls in a size x size period shifted by ``offset``."""
    return ((np.arange(height) + offset[0]) % size)[:, None], ((np.arange(width) + offset[1]) % size)[None, :]


def tile(pattern: np.ndarray, height: int, width: int, *, offset: tuple[int, int]) -> np.ndarray:
    """``pattern`` (P x P x C) repeated over height x width pixels, shifted by ``offset`` (rows, columns)."""
    return pattern[_period_index(height, width, pattern.shape[0], offset)]


def fold(values: np.ndarray, size: int, *, offset: tuple[int, int]) -> np.ndarray:
    """The adjoint of ``tile``: height x width x C values summed onto one size x size x C period."""
    total = np.zeros((size, size, values.shape[2]), np.float32)
    np.add.at(total, _period_index(*values.shape[:2], size, offset), values)
    return total


def starting_point(family: Family, vae: TinyVAE, view: np.ndarray, budget: np.ndarray, *,
                   rng: np.random.Generator, jpeg_quality: int) -> np.ndarray:
    """The family's pattern that moves ``view``'s reconstruction furthest, as a perturbation to start from.

    ``view`` is the image at the family's working size (hxwx3 in [0, 1]) and
    ``budget`` its per-pixel bound (hxwx1); each pattern is tiled at one random
    offset, multiplied by the budget and judged by one encoder+decoder pass
    after a JPEG round trip at ``jpeg_quality`` (0: none), against the
    reconstruction of ``view`` itself.
    """
    offset = (int(rng.integers(family.patterns.shape[1])), int(rng.integers(family.patterns.shape[2])))
    starts = [budget * tile(pattern, *view.shape[:2], offset=offset) for pattern in family.patterns]
    if len(starts) == 1:
        return starts[0]
    reference = vae.decoder(vae.encoder(view))
    distances = []
    for start in starts:
        seen = np.clip(view + start, 0, 1)
        if jpeg_quality:
            seen = jpeg_round_trip(seen, quality=jpeg_quality)
        distances.append(float(np.mean(np.square(vae.decoder(vae.encoder(seen)) - reference))))
    return starts[int(np.argmax(distances))]


def train(vae: TinyVAE, images: Sequence[np.ndarray], *, iterations: int, rng: np.random.Generator,
          params: AttackParams = AttackParams(), period: int = 128, crop: int = 256,
          training_sides: tuple[int, int] = (512, 1024), learning_rate: float = 0.03,
          start: np.ndarray | None = None, progress: Callable[[int, float], None] | None = None) -> np.ndarray:
    """One pattern (period x period x 3 in [-1, 1]) that moves the reconstructions of ``images`` furthest.

    Each iteration picks one of ``images`` (float32 HxWx3 in [0, 1], any size)
    at random and shows the model what a training pipeline would: the image
    scaled to a random long side in ``training_sides`` (pixels), plus the
    pattern tiled at a random offset, times the image's budget at
    ``params.sides[0]`` and resized the way the cloak is, after a JPEG round
    trip at ``params.jpeg_quality``, in one random crop x crop window. The
    gradient of half the squared distance between that window's reconstruction
    and the clean window flows back to the pattern (through the resize, the
    budget and the tiling); Adam ascent on the normalised gradient, clipped to
    [-1, 1]. ``start`` continues an earlier pattern. ``progress(iteration,
    distance)`` gets the mean squared distance of each iteration.
    """
    budgets = []
    for image in images:
        small_height, small_width = working_size(*image.shape[:2], params.sides[0])
        small = np.clip(resize(image, width=small_width, height=small_height), 0, 1)
        budgets.append(pixel_budget(small, strength=1.0, params=params))
    pattern = (rng.choice([-0.5, 0.5], (period, period, 3)).astype(np.float32) if start is None
               else np.array(start, np.float32))
    moment, second = np.zeros_like(pattern), np.zeros_like(pattern)
    for iteration in range(1, iterations + 1):
        which = int(rng.integers(len(images)))
        image, budget = images[which], budgets[which]
        offset = (int(rng.integers(period)), int(rng.integers(period)))
        height, width = working_size(*image.shape[:2], int(rng.integers(training_sides[0], training_sides[1] + 1)))
        view = np.clip(resize(image, width=width, height=height), 0, 1)
        delta = resize(budget * tile(pattern, *budget.shape[:2], offset=offset), width=width, height=height,
                       resample="bilinear")
        top, left = int(rng.integers(max(1, height - crop + 1))), int(rng.integers(max(1, width - crop + 1)))
        window = (slice(top, top + crop), slice(left, left + crop))
        seen = np.clip(view[window] + delta[window], 0, 1)
        if params.jpeg_quality:
            seen = jpeg_round_trip(seen, quality=params.jpeg_quality)
        encoder_tape: list = []
        decoder_tape: list = []
        difference = vae.decoder.forward(vae.encoder.forward(seen, encoder_tape), decoder_tape) - view[window]
        grad = np.zeros((height, width, 3), np.float32)
        grad[window] = vae.encoder.backward(vae.decoder.backward(difference, decoder_tape), encoder_tape)
        grad = fold(resize(grad, width=budget.shape[1], height=budget.shape[0], resample="bilinear") * budget, period,
                    offset=offset)
        grad /= float(np.sqrt(np.mean(grad * grad))) + 1e-12
        moment = 0.9 * moment + 0.1 * grad
        second = 0.999 * second + 0.001 * grad * grad
        pattern = np.clip(pattern + learning_rate * (moment / (1 - 0.9 ** iteration))
                          / (np.sqrt(second / (1 - 0.999 ** iteration)) + 1e-8), -1, 1).astype(np.float32)
        if progress is not None:
            progress(iteration, float(np.mean(difference * difference)))
    return pattern
