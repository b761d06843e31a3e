"""What the cloak does to what a model sees, beside noises of the same visibility. One run, side by side.

For each made-up image (tests/mark_images.py; the "tune" set, seeds 1-2, is the one choices were made on,
the "holdout" set, seeds 101-102, is never tuned on; neither is seen by bench/cloak_family.py, seeds 1000+),
the clean image, the cloaked image (omamori's cloak at the given strength) and three noisy images at the
cloak's own visible PSNR each get omamori's invisible mark (as the pipeline does), go through the host's
JPEG q85 4:2:0 encode, X's web client, upload and the size X serves (omamori.platforms.x), optionally a
purification a scraper may apply, and a resize to a training size; each model judged (--judge) then sees
them: taef2 encodes and decodes them (that reconstruction is what a fine-tune would learn from), a model
published as an encoder alone (taesana: Sana's latent space) encodes them. The cloak is computed against
the models named by --attack (default taef2 alone: the cloak as shipped when nothing else is installed).
The three noises, from the weakest baseline to the hardest:

  white    i.i.d. Gaussian at full resolution (the downscale to the training size averages most of it away)
  shaped   the cloak's own per-pixel budget at its working size with random signs, upsampled like the cloak:
           same scale, same mask, no optimisation
  phase    the cloak's own full-size change with random Fourier phases: exactly its spectrum (where its
           energy sits), none of its alignment with the image

A gap over "phase" and "shaped" is what the optimisation adds beyond where the energy sits: the
adversarial part. Training resizes: the short or the long side brought to each of --train-sides with a
Lanczos or bicubic filter (--modes, --filters). The model sees a --window x --window centre crop of each
training view (a random-crop trainer; the GroupNorm in taef2's deepest blocks then sees that window: cheaper
than the whole view, which --window 0 gives). Purifications (--purify, at the first training resize only):
jpeg75 (re-saved at q75), half (0.5x bicubic down and up), blur1 (Gaussian, sigma 1 px), noisyup (Gaussian
noise sigma 8/255, then a 2x Lanczos upscale: noisy upscaling without a learned upscaler); each applied to
the clean image too, with the same noise, so the reference is the purified clean image.

Printed per image, condition and judge: visible PSNR of cloak + mark against the clean image (the cost a
person sees, dB), the model's PSNR for the cloak (reconstruction against the clean image's, dB; for an
encoder alone the latent's SNR, 10 log10 of the clean latent's mean square over the change's; lower is
more damage) and the gaps model(noise) - model(cloak) in dB (for a latent: 20 log10 of the ratio of the
latent distances); then per condition and judge the mean and smallest gap over the images, and the cloak's
wall and CPU seconds.

A benchmark, not a test: nothing here passes or fails. Run it under nice on a shared machine.

    nice -n 15 python bench/cloak.py --set tune               # 8 images 1024x768, the default grid
    nice -n 15 python bench/cloak.py --set holdout --purify jpeg75,half,blur1,noisyup
    nice -n 15 python bench/cloak.py --size 2048 --served orig,medium --kinds flat_anime,photo --seeds 1
    nice -n 15 python bench/cloak.py --steps 0                 # the family's start alone
    nice -n 15 python bench/cloak.py --attack taef2,taesana --judge taef2,taesana   # both latent spaces
    nice -n 15 python bench/cloak.py --conv-speed              # speed of the numpy 3x3 convolution, in GFLOP/s of
                                                               # the direct form (9 products a pixel) it replaces
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import io
import os
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import mark_images  # noqa: E402

from omamori import cloak, mark  # noqa: E402
from omamori.cloak import models  # noqa: E402
from omamori.cloak import family as families  # noqa: E402
from omamori.cloak.attack import AttackParams, shaped_noise  # noqa: E402
from omamori.cloak.tinyvae import Bands, Conv  # noqa: E402
from omamori.imageio import encode_jpeg, jpeg_round_trip, resize  # noqa: E402
from omamori.paths import default_paths  # noqa: E402
from omamori.platforms import x  # noqa: E402


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """dB, for images in [0, 1]."""
    return float(10 * np.log10(1.0 / max(float(np.mean((a.astype(np.float64) - b) ** 2)), 1e-12)))


def stored_by_x(image: np.ndarray, served: str = "orig") -> np.ndarray:
    """The host's JPEG q85 4:2:0, X's web client and upload, and the size X serves as ``served`` (x.SERVED),
    decoded (float32 HxWx3)."""
    stored = x.serve(x.store(x.client_upload(encode_jpeg(image, quality=85, subsampling="4:2:0"))), served)
    return np.asarray(Image.open(io.BytesIO(stored)).convert("RGB"), np.float32) / 255


def training_view(pixels: np.ndarray, side: int, *, mode: str, filter_name: str, window: int) -> np.ndarray:
    """``pixels`` with its ``mode`` ("short" or "long") side resized to ``side`` (the other in proportion, both
    multiples of 8), then its centre ``window`` x ``window`` crop (0: all of it)."""
    height, width = pixels.shape[:2]
    scale = side / (min(height, width) if mode == "short" else max(height, width))
    h, w = max(8, round(height * scale / 8) * 8), max(8, round(width * scale / 8) * 8)
    view = np.clip(resize(pixels, width=w, height=h, resample=filter_name), 0, 1)
    if window and (h > window or w > window):
        top, left = max(0, (h - window) // 2), max(0, (w - window) // 2)
        view = view[top:top + window, left:left + window]
    return view


def purified(pixels: np.ndarray, how: str, *, seed: int) -> np.ndarray:
    """What a scraper may do to the downloaded picture before training (none, jpeg75, half, blur1, noisyup)."""
    height, width = pixels.shape[:2]
    if how == "none":
        return pixels
    if how == "jpeg75":
        return jpeg_round_trip(pixels, quality=75)
    if how == "half":
        small = resize(pixels, width=width // 2, height=height // 2, resample="bicubic")
        return np.clip(resize(small, width=width, height=height, resample="bicubic"), 0, 1)
    if how == "blur1":
        uint8 = Image.fromarray(np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8))
        return np.asarray(uint8.filter(ImageFilter.GaussianBlur(1.0)), np.float32) / 255
    if how == "noisyup":
        noise = np.random.default_rng(seed).normal(0, 8 / 255, pixels.shape).astype(np.float32)
        return np.clip(resize(np.clip(pixels + noise, 0, 1), width=2 * width, height=2 * height), 0, 1)
    raise ValueError(f"unknown purification {how!r}")


def at_psnr(image: np.ndarray, noise: np.ndarray, target_db: float) -> np.ndarray:
    """image + noise scaled so that the PSNR against image is target_db (after clipping, within 0.05 dB)."""
    scale = 10 ** (-target_db / 20) / max(float(np.sqrt(np.mean(np.square(noise, dtype=np.float64)))), 1e-12)
    for _ in range(8):                     # clipping removes some noise: correct the scale until it matches
        noisy = np.clip(image + np.float32(scale) * noise, 0, 1)
        achieved = psnr(noisy, image)
        if abs(achieved - target_db) < 0.05:
            break
        scale *= 10 ** ((achieved - target_db) / 20)
    return noisy


def white_noise(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(image.shape).astype(np.float32)


def random_phase(change: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``change`` (HxWxC) with its Fourier magnitudes kept and its phases replaced by those of white noise."""
    spectrum = np.fft.rfft2(change.astype(np.float64), axes=(0, 1))
    phases = np.fft.rfft2(rng.standard_normal(change.shape), axes=(0, 1))
    shuffled = np.abs(spectrum) * np.exp(1j * np.angle(phases))
    return np.fft.irfft2(shuffled, s=change.shape[:2], axes=(0, 1)).astype(np.float32)


def model_view(vae: models.TinyVAE, views: dict[str, np.ndarray]) -> dict[str, float]:
    """dB per picture but "clean": how close ``vae``'s view of it is to its view of the clean one. With a
    decoder, the PSNR of the reconstruction against the clean reconstruction; without, the latent's SNR
    against the clean latent (10 log10 of the clean latent's mean square over the change's)."""
    if vae.decoder is None:
        latents = {picture: vae.encoder(view).astype(np.float64) for picture, view in views.items()}
        power = float(np.mean(latents["clean"] ** 2))
        return {picture: float(10 * np.log10(power / max(float(np.mean((latent - latents["clean"]) ** 2)), 1e-30)))
                for picture, latent in latents.items() if picture != "clean"}
    seen = {picture: np.clip(vae.decoder(vae.encoder(view)), 0, 1) for picture, view in views.items()}
    return {picture: psnr(reconstruction, seen["clean"]) for picture, reconstruction in seen.items()
            if picture != "clean"}


def conv_speed() -> None:
    rng = np.random.default_rng(0)
    conv = Conv(rng.standard_normal((64, 64, 3, 3), dtype=np.float32), None, bands=Bands())
    for height, width in ((256, 256), (576, 768), (768, 1024)):
        x = rng.standard_normal((height, width, 64), dtype=np.float32)
        flops = 2 * height * width * 9 * 64 * 64

        def band_im2col(rows: int = 32) -> np.ndarray:
            padded = np.pad(x, ((1, 1), (1, 1), (0, 0)))
            matrix = conv.taps.reshape(9 * 64, 64)
            out = np.empty((height, width, 64), np.float32)
            for r in range(0, height, rows):
                cols = np.concatenate([padded[r + t // 3:r + t // 3 + rows, t % 3:t % 3 + width] for t in range(9)],
                                      axis=2)
                out[r:r + rows] = (cols.reshape(-1, 9 * 64) @ matrix).reshape(rows, width, 64)
            return out

        assert np.allclose(band_im2col(), conv.forward(x, None), atol=1e-3)

        def winograd() -> np.ndarray:
            with threadpool_limits(limits=1, user_api="blas"):    # as tinyvae.Network runs it: a thread per band
                return conv.forward(x, None)

        for name, run in (("winograd (tinyvae)", winograd), ("row-band im2col", band_im2col)):
            run()
            start, cpu_start = time.perf_counter(), time.process_time()
            for _ in range(5):
                run()
            seconds, cpu = (time.perf_counter() - start) / 5, (time.process_time() - cpu_start) / 5
            print(f"{name:26s} {height}x{width}x64 3x3 conv: wall {seconds * 1000:6.1f} ms "
                  f"{flops / seconds / 1e9:5.1f} GFLOP/s, cpu {cpu * 1000:6.1f} ms {flops / cpu / 1e9:5.1f} GFLOP/cpu-s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", choices=("tune", "holdout"), default="tune",
                        help="which images: seeds 1,2 (tune) or 101,102 (holdout, never tuned on)")
    parser.add_argument("--seeds", help="comma list of image seeds instead of --set's")
    parser.add_argument("--kinds", default="flat_anime,screentone,sketch,photo",
                        help=f"comma list of {sorted(mark_images.KINDS)}")
    parser.add_argument("--size", type=int, default=1024, help="width of the test images, pixels")
    parser.add_argument("--height", type=int, help="height of the test images, pixels (default: 3/4 of --size)")
    parser.add_argument("--train-sides", default="512,768,1024", help="sides of the training resize, pixels")
    parser.add_argument("--modes", default="long,short", help="which side the training resize sets")
    parser.add_argument("--filters", default="lanczos,bicubic",
                        help="training resize filters (lanczos, bicubic, bilinear, box)")
    parser.add_argument("--served", default="orig",
                        help=f"comma list of the sizes X serves that a scraper downloads ({sorted(x.SERVED)})")
    parser.add_argument("--purify", default="",
                        help="comma list of purifications (jpeg75, half, blur1, noisyup), each at the first "
                             "training side, mode and filter")
    parser.add_argument("--window", type=int, default=384,
                        help="the model sees this centre crop of each training view, pixels (0: the whole view)")
    parser.add_argument("--strength", type=float, default=1.0)
    parser.add_argument("--steps", type=int, help="per-image steps (default: the cloak's own)")
    parser.add_argument("--sides", help="comma list of the long sides each step works at, pixels "
                                        "(default: the cloak's own)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="another value of an AttackParams field (repeatable), e.g. --param window=256")
    parser.add_argument("--no-family", action="store_true", help="start the steps from noise, not the family")
    parser.add_argument("--attack", default=models.CLOAK_MODEL.name,
                        help="comma list of the models the cloak is computed against (registry names; the "
                             "first is the cloak's own: its family, the one with a decoder)")
    parser.add_argument("--judge", default=models.CLOAK_MODEL.name,
                        help="comma list of the models whose view is judged (registry names)")
    parser.add_argument("--models", type=Path, help="the models folder (default: $OMAMORI_MODELS, else where "
                                                    "`omamori models fetch` puts them)")
    parser.add_argument("--conv-speed", action="store_true")
    args = parser.parse_args(argv)
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cpus, "
          f"load average {os.getloadavg()[0]:.1f}, numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    if args.conv_speed:
        conv_speed()
        return 0
    bands, folder = Bands(), args.models or default_paths().models
    loaded = {name: models.load(models.spec_named(name), models_dir=folder, bands=bands)
              for name in dict.fromkeys(args.attack.split(",") + args.judge.split(","))}
    attacked = tuple(loaded[name] for name in args.attack.split(","))
    judges = args.judge.split(",")
    family = None if args.no_family else families.load_family(attacked[0].spec)
    params = AttackParams()
    if args.steps is not None:
        params = dataclasses.replace(params, steps=args.steps)
    if args.sides:
        params = dataclasses.replace(params, sides=tuple(int(side) for side in args.sides.split(",")))
    for name, value in (item.split("=", 1) for item in args.param):
        params = dataclasses.replace(params, **{name: type(getattr(params, name))(value)})
    seeds = [int(s) for s in (args.seeds or ("1,2" if args.set == "tune" else "101,102")).split(",")]
    sides = [int(side) for side in args.train_sides.split(",")]
    modes, filters, served = args.modes.split(","), args.filters.split(","), args.served.split(",")
    conditions = [(variant, "none", mode, side, name) for variant in served for mode in modes for side in sides
                  for name in filters]
    conditions += [(served[0], how, modes[0], sides[0], filters[0]) for how in args.purify.split(",") if how]
    height = args.height or args.size * 3 // 4
    print(f"# images {args.size}x{height} px, seeds {seeds}, kinds {args.kinds}, window {args.window}, "
          f"strength {args.strength}, {params}, attacked: {args.attack}, "
          f"family: {'none' if family is None else family.provenance}")
    print(f"{'image':16s} {'served':>6s} {'purify':>7s} {'mode':>5s} {'side':>5s} {'filter':>7s} {'judge':>7s} "
          f"{'visible':>7s} {'model':>6s} {'white':>6s} {'shaped':>6s} {'phase':>6s}")
    key = bytes(range(32))
    payload = mark.Payload(mark.creator_id(key), datetime.date(2026, 1, 1), True)
    embed_mark = partial(mark.embed, key=key, payload=payload, strength=1.0)
    gaps: dict[tuple, dict[str, list[float]]] = {(*c, judge): {"white": [], "shaped": [], "phase": []}
                                                 for c in conditions for judge in judges}
    times, visibles = [], []
    for seed in seeds:
        for kind in args.kinds.split(","):
            rng = np.random.default_rng(seed)
            clean = mark_images.KINDS[kind](height, args.size, rng)
            started, cpu_started = time.perf_counter(), time.process_time()
            cloaked = cloak.cloak_with(clean, attacked, family=family, strength=args.strength, params=params,
                                       rng=rng, then=embed_mark)
            times.append((time.perf_counter() - started, time.process_time() - cpu_started, os.getloadavg()[0]))
            visible = psnr(cloaked, clean)
            pictures = {"clean": clean, "cloak": cloaked,
                        "white": at_psnr(clean, white_noise(clean, rng), visible),
                        "shaped": at_psnr(clean, shaped_noise(clean, params=params, rng=rng), visible),
                        "phase": at_psnr(clean, random_phase(cloaked - clean, rng), visible)}
            marked = {name: embed_mark(picture) for name, picture in pictures.items()}
            visibles.append(psnr(marked["cloak"], clean))
            downloads = {variant: {name: stored_by_x(picture, variant) for name, picture in marked.items()}
                         for variant in served}
            for condition in conditions:
                variant, how, mode, side, name = condition
                views = {picture: training_view(purified(pixels, how, seed=seed), side, mode=mode, filter_name=name,
                                                window=args.window) for picture, pixels in downloads[variant].items()}
                for judge in judges:
                    model = model_view(loaded[judge], views)
                    for noise in ("white", "shaped", "phase"):
                        gaps[(*condition, judge)][noise].append(model[noise] - model["cloak"])
                    print(f"{kind + ' ' + str(seed):16s} {variant:>6s} {how:>7s} {mode:>5s} {side:5d} {name:>7s} "
                          f"{judge:>7s} {visibles[-1]:7.2f} {model['cloak']:6.2f} "
                          + " ".join(f"{model[n] - model['cloak']:6.2f}" for n in ("white", "shaped", "phase")),
                          flush=True)
    print(f"# cloak alone: wall {np.mean([t[0] for t in times]):.1f} s, cpu {np.mean([t[1] for t in times]):.1f} s "
          f"per image (load average {min(t[2] for t in times):.1f}-{max(t[2] for t in times):.1f}); "
          f"visible with the mark {min(visibles):.2f}-{max(visibles):.2f} dB")
    print("| served | purification | training resize | judge | gap white mean / min | gap shaped mean / min "
          "| gap phase mean / min |")
    print("|---|---|---|---|---|---|---|")
    for (variant, how, mode, side, name, judge), values in gaps.items():
        print(f"| {variant} | {how} | {mode} {side} {name} | {judge} | "
              + " | ".join(f"{np.mean(values[n]):.1f} / {np.min(values[n]):.1f}" for n in ("white", "shaped", "phase"))
              + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
