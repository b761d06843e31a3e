"""The cloak: projected gradient steps that change what a model's VAE sees of the image.

What is attacked: the tiny encoder and decoder of a current model's VAE
(``tinyvae``), and the tiny encoder of any other installed
(``models.load_installed``), at the resolutions where fine-tuning happens. The perturbation
lives at the image scaled to a long side of ``AttackParams.sides[0]`` (512
px) and is upsampled to the full image, so the downscale a training pipeline
applies brings it back. It starts from the model's trained perturbation family
(``family``: a pattern that misleads the model somewhat on textured pictures,
at no cost per image) and takes ``steps`` gradient steps on the image itself.
Each step sums the gradients at every side in ``sides`` (512, 768 and 1024
px, the sizes fine-tuning scripts use), because on flat-colour art a step's
gain holds only at the sizes it was computed at; summed, one step holds at
each (docs/cloak.md).

The loss is what the model "sees": the squared distance between the tiny
decoder's reconstruction of the perturbed image's latent and that of the clean
image (the gradient flows back through decoder and encoder); at equal
visibility it moved the reconstruction more than pushing the latent itself
(docs/cloak.md, "Why these choices"). For a model published as an encoder
alone (Sana's) it is the distance of the latents. Every model installed is
attacked: its gradients are summed with the others', each divided by its mean
magnitude, as the sizes are.

Steps follow the sign of the gradient (L-infinity PGD) under a per-pixel
budget shaped by a texture mask -- full budget in texture and on edges,
``flat_share`` of it on flat colour, where noise shows most -- and scaled so
that its root mean square is ``rms`` times the strength (the visible cost is
set in PSNR terms, whatever the picture).

Robustness to X's JPEG q85: each step's forward pass sees the perturbed image
after a real JPEG q85 4:2:0 round trip at the working size, and its gradient
is passed straight through (BPDA, Athalye et al. 2018).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..arrays import box_mean, luma
from ..imageio import jpeg_round_trip, resize
from .heap import arrays_kept_in_heap
from .models import TinyVAE


@dataclass(frozen=True)
class AttackParams:
    sides: tuple[int, ...] = (512, 768, 1024)  # pixels: long sides every step works at; the first holds the
                                               # perturbation (multiples of 8, never above the image)
    steps: int = 1                # gradient steps after the family's start (each: encoder + decoder, forward
                                  # + backward at every side: the cloak's time, docs/cloak.md)
    rms: float = 10 ** (-36 / 20) # at most this root mean square change of the full image at strength 1
                                  # (0-1 units: 36 dB PSNR); more only where clipping at 0 and 1 removes it
    upsampling_loss: float = 1.4  # the working-size budget is this much larger, for the RMS that bilinear
                                  # upsampling to the full image takes away (docs/cloak.md)
    max_epsilon: float = 16 / 255 # per-pixel cap of the budget
    flat_share: float = 0.35      # fraction of the budget allowed on flat colour
    jpeg_quality: int = 85        # quality of the round trip seen by each step; 0: none
    step_size: float = 1.0        # sign step, as a fraction of the largest per-pixel budget (1: with one step,
                                  # each pixel goes to its bound on the gradient's side; docs/cloak.md)
    tile: int = 512               # pixels: the networks see each view in tiles of at most this side (0: whole);
                                  # bounds the memory of a pass (docs/cloak.md, "Time and memory")


def working_size(height: int, width: int, side: int) -> tuple[int, int]:
    """The image's size with its long side at most ``side``, both multiples of 8 (pixels)."""
    scale = min(1.0, side / max(height, width))
    return max(8, round(height * scale / 8) * 8), max(8, round(width * scale / 8) * 8)


def texture_mask(image: np.ndarray, *, flat_share: float, radius: int = 2) -> np.ndarray:
    """HxWx1 budget weights in [flat_share, 1]: 1 where local luminance varies, flat_share on flat colour.

    Local standard deviation of luminance over a (2 radius + 1)^2 window; a
    deviation of 0.03 (about 8/255) or more counts as full texture.
    """
    grey = luma(image)
    mean = box_mean(grey, radius)
    std = np.sqrt(np.maximum(box_mean(grey * grey, radius) - mean * mean, 0))
    texture = np.clip(std / 0.03, 0, 1)
    texture = np.maximum(texture, box_mean(texture, radius))   # reach a little past edges
    return (flat_share + (1 - flat_share) * texture)[..., None].astype(np.float32)


def pixel_budget(small: np.ndarray, *, strength: float, params: AttackParams) -> np.ndarray:
    """hxwx1 per-pixel L-infinity bound: the texture mask scaled to an RMS of strength * rms * upsampling_loss."""
    mask = texture_mask(small, flat_share=params.flat_share)
    scale = strength * params.rms * params.upsampling_loss / float(np.sqrt(np.mean(mask * mask)))
    return np.minimum(mask * scale, params.max_epsilon).astype(np.float32)


def shaped_noise(image: np.ndarray, *, params: AttackParams, rng: np.random.Generator) -> np.ndarray:
    """HxWx3 float32: random signs times the cloak's per-pixel budget at its working size, upsampled as the cloak
    is -- the cloak's scale and mask without its optimisation: the baseline its margin is measured against
    (bench/cloak.py, docs/cloak.md)."""
    small_height, small_width = working_size(*image.shape[:2], params.sides[0])
    small = np.clip(resize(image, width=small_width, height=small_height), 0, 1)
    signs = rng.choice(np.array([-1, 1], np.float32), small.shape)
    return resize(pixel_budget(small, strength=1.0, params=params) * signs, width=image.shape[1],
                  height=image.shape[0], resample="bilinear")


def tiles(height: int, width: int, side: int, *, grid: int) -> list[tuple[slice, slice]]:
    """Row and column slices that cut height x width pixels into tiles of at most ``side`` x ``side`` (0: one
    tile), as even as the image allows, every cut at a multiple of ``grid`` (the encoder's downscale: its latent
    grid stays aligned with the whole picture's)."""
    def cuts(length: int) -> list[int]:
        count = 1 if side <= 0 else -(-length // side)
        return sorted({min(length, round(length * i / count / grid) * grid) for i in range(count)} | {length})

    rows, columns = cuts(height), cuts(width)
    return [(slice(top, bottom), slice(left, right)) for top, bottom in zip(rows, rows[1:])
            for left, right in zip(columns, columns[1:])]


def seen_gradient(vae: TinyVAE, picture: np.ndarray, clean: np.ndarray, *, tile: int) -> np.ndarray:
    """hxwx3 gradient, with respect to ``picture``, of half the squared distance between what ``vae`` sees of
    ``picture`` and of ``clean`` (both hxwx3 in [0, 1]): their reconstructions, or their latents when the model
    has no decoder. Tile by tile: on each tile of at most ``tile`` px (``tiles``; 0: the whole picture) a
    reference pass and a pass forward and backward. Tiles bound the networks' activations; the model sees each
    alone, as a trainer that crops does (docs/cloak.md, "Time and memory"). With more than one step the
    reference passes are repeated (the cloak takes one)."""
    grad = np.empty_like(picture)
    for window in tiles(*picture.shape[:2], tile, grid=vae.downscale):
        encoder_tape: list = []
        latent = vae.encoder.forward(picture[window], encoder_tape)
        if vae.decoder is None:
            latent -= vae.encoder(clean[window])
        else:
            decoder_tape: list = []
            recon = vae.decoder.forward(latent, decoder_tape)
            recon -= vae.decoder(vae.encoder(clean[window]))
            latent = vae.decoder.backward(recon, decoder_tape)
        grad[window] = vae.encoder.backward(latent, encoder_tape)
    return grad


def seen_push(models: Sequence[TinyVAE], image: np.ndarray, delta: np.ndarray, *, budget: np.ndarray,
              params: AttackParams, progress: Callable[[float], None] | None = None,
              seen: np.ndarray | None = None) -> np.ndarray:
    """``delta`` moved by ``params.steps`` steps so that what ``models`` see of ``image`` moves furthest.

    ``image`` is the full image (HxWx3 in [0, 1]); ``delta`` the starting
    perturbation and ``budget`` its per-pixel bound, both at the first
    working size (hxwx3, hxwx1). ``seen`` is the full image the perturbation
    will be added to, if not ``image`` itself (``image`` with the invisible mark
    the caller adds afterwards): the steps move what the models see of it away
    from what they see of ``image``. Each step adds, for every side in
    ``params.sides`` and every model, the model's gradient at the image scaled
    to that side (the perturbation resampled there, the gradient resampled
    back; ``seen_gradient``), each divided by its mean magnitude so that every
    size and model counts alike, and moves by the sign of the sum.
    ``progress(fraction)`` is called after each model's passes at a size, in
    proportion to the work done (view pixels times the model's multiply-adds per pixel).
    """
    if params.steps == 0:
        return delta.astype(np.float32)
    height, width = image.shape[:2]
    sizes = list(dict.fromkeys(working_size(height, width, side) for side in params.sides))

    def views_of(picture: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        return {(h, w): np.clip(resize(picture, width=w, height=h), 0, 1) for h, w in sizes}

    views = views_of(image)
    inputs = views if seen is None else views_of(seen)
    cost = [vae.multiply_adds_per_pixel for vae in models]    # Sana's encoder does a thirtieth of taef2's products
    total, done = params.steps * sum(cost) * sum(h * w for h, w in sizes), 0.0     # work in multiply-adds
    base = views[sizes[0]]
    step = params.step_size * float(budget.max())
    for _ in range(params.steps):
        direction = np.zeros_like(delta)
        for size in sizes:
            perturbed = np.clip(inputs[size] + resize(delta, width=size[1], height=size[0], resample="bilinear"), 0, 1)
            if params.jpeg_quality:
                perturbed = jpeg_round_trip(perturbed, quality=params.jpeg_quality)
            for vae, work in zip(models, cost):
                grad = seen_gradient(vae, perturbed, views[size], tile=params.tile)
                grad = resize(grad, width=base.shape[1], height=base.shape[0], resample="bilinear")
                direction += grad / (float(np.mean(np.abs(grad))) + 1e-12)
                done += work * size[0] * size[1]
                if progress is not None:
                    progress(done / total)
        delta = np.clip(delta + step * np.sign(direction), -budget, budget)
        delta = np.clip(base + delta, 0, 1) - base
    return delta.astype(np.float32)


def cloak_image(image: np.ndarray, models: Sequence[TinyVAE], *, strength: float, params: AttackParams,
                rng: np.random.Generator, start: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                then: Callable[[np.ndarray], np.ndarray] | None = None,
                progress: Callable[[float], None] | None = None) -> np.ndarray:
    """A new HxWx3 float32 image in [0, 1]: ``image`` plus the upsampled working-size perturbation against
    ``models`` (``seen_push``).

    ``strength`` multiplies the budget; at 1.0 the PSNR against ``image`` is at
    least about 36 dB. ``start(view, budget)`` gives the perturbation the steps
    begin from (the image and its per-pixel budget at the first working size in,
    a perturbation of the view's shape out; ``family.starting_point`` picks a
    trained pattern); without it they begin from uniform noise of half the budget.
    ``then(image)`` is what the caller will do to the cloaked image before it is
    stored (the invisible mark, a new image out): the steps see what it does to
    the clean image, a stand-in for what it will do to the cloaked one
    (docs/cloak.md, "Per-image step").
    """
    height, width = image.shape[:2]
    small_height, small_width = working_size(height, width, params.sides[0])
    small = np.clip(resize(image, width=small_width, height=small_height), 0, 1)
    budget = pixel_budget(small, strength=strength, params=params)
    delta = (rng.uniform(-0.5, 0.5, small.shape).astype(np.float32) * budget if start is None
             else np.clip(start(small, budget), -budget, budget))
    with arrays_kept_in_heap():
        delta = seen_push(models, image, delta, budget=budget, params=params, progress=progress,
                          seen=None if then is None else then(image))
    full = resize(delta, width=width, height=height, resample="bilinear")
    rms = float(np.sqrt(np.mean(np.square(full, dtype=np.float64))))
    if rms > strength * params.rms:   # little or no upsampling (small images): keep the promised visibility
        full *= np.float32(strength * params.rms / rms)
    return np.clip(image + full, 0, 1).astype(np.float32)
