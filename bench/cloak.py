"""What the cloak does to what a model sees, beside noise of the same visibility. One run, side by side.

For each made-up image (tests/mark_images.py, seed 1: never trained on by bench/cloak_family.py) at full
size: the clean image, the cloaked image (omamori's cloak at the given strength: the shipped perturbation
family, then the per-image steps) and two noisy images at the cloak's own PSNR each go through the host's
JPEG q85 4:2:0 encode, X's web client and upload as modelled by omamori.platforms.x (and the size X serves,
--served), and a
Lanczos resize to each training resolution; taef2 then encodes and decodes them. That reconstruction is what a fine-tune would learn from.
The two noises: white (i.i.d. Gaussian at full resolution, the issue's baseline; the downscale to the
training size averages most of it away) and shaped (random signs times the cloak's own per-pixel budget at
its working size, upsampled like the cloak: same spectrum and mask, no optimisation -- the harder baseline).
Printed per image and training side:

  visible   PSNR of the cloaked (and noisy) input against the clean input, dB (the cost a person sees)
  model     PSNR of its reconstruction against the clean image's reconstruction, dB (lower: more damage)
  gap       model(noise) - model(cloak), dB: how much more the cloak damages than noise that shows as much
  +mark     the white-noise gap when omamori's invisible mark is embedded after the cloak (as the pipeline
            does: the cloak takes the mark into account, unless --unseen-mark), whether the mark is still
            read back from what X stores, and the visible PSNR of cloak + mark ("vis +mark")
  wall s    the cloak alone (cloak_with), seconds

A benchmark, not a test: nothing here passes or fails. Run it under nice on a shared machine.

    nice python bench/cloak.py                               # 2048x1536 images, training sides 512, 768, 1024
    python bench/cloak.py --height 2048 --kinds flat_anime --train-sides 1024   # the cloak's time, 2048x2048
    nice python bench/cloak.py --steps 0 --kinds flat_anime  # the family's start alone
    nice python bench/cloak.py --no-family                   # the steps from noise alone
    nice python bench/cloak.py --conv-speed                  # GFLOP/s of the numpy 3x3 convolution
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
from PIL import Image
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import mark_images  # noqa: E402

from omamori import cloak, mark  # noqa: E402
from omamori.cloak import models  # noqa: E402
from omamori.cloak import family as families  # noqa: E402
from omamori.cloak.attack import AttackParams, pixel_budget, resize, working_size  # noqa: E402
from omamori.cloak.tinyvae import Conv  # noqa: E402
from omamori.imageio import encode_jpeg  # noqa: E402
from omamori.platforms import x  # noqa: E402

SHARED_MODELS = HERE.parent.parent / "shared" / "models" / "taef2"


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """dB, for images in [0, 1]."""
    return float(10 * np.log10(1.0 / max(float(np.mean((a.astype(np.float64) - b) ** 2)), 1e-12)))


def stored_by_x(image: np.ndarray, served: str = "orig") -> np.ndarray:
    """The host's JPEG q85 4:2:0, X's upload, and the size X serves as ``served`` (x.SERVED), decoded
    (float32 HxWx3)."""
    stored = x.serve(x.store(x.client_upload(encode_jpeg(image, quality=85, subsampling="4:2:0"))), served)
    return np.asarray(Image.open(io.BytesIO(stored)).convert("RGB"), np.float32) / 255


def after_x(image: np.ndarray, train_side: int, served: str) -> np.ndarray:
    """What X serves, then a Lanczos resize to the training side (multiple of 8)."""
    pixels = stored_by_x(image, served)
    h, w = working_size(*pixels.shape[:2], train_side)
    return np.clip(resize(pixels, h, w, resample=Image.Resampling.LANCZOS), 0, 1)


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


def shaped_noise(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random signs times the cloak's per-pixel budget at its working size, upsampled as the cloak is."""
    params = AttackParams()
    small = np.clip(resize(image, *working_size(*image.shape[:2], params.sides[0]),
                           resample=Image.Resampling.LANCZOS), 0, 1)
    signs = rng.choice(np.array([-1, 1], np.float32), small.shape)
    return resize(pixel_budget(small, strength=1.0, params=params) * signs, *image.shape[:2],
                  resample=Image.Resampling.BILINEAR)


def conv_speed() -> None:
    rng = np.random.default_rng(0)
    conv = Conv(rng.standard_normal((64, 64, 3, 3), dtype=np.float32), None)
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

        def shifted_slices() -> np.ndarray:
            with threadpool_limits(limits=1, user_api="blas"):    # as tinyvae.Network runs it: a thread per band
                return conv.forward(x, None)

        for name, run in (("shifted slices (tinyvae)", shifted_slices), ("row-band im2col", band_im2col)):
            run()
            start, cpu_start = time.perf_counter(), time.process_time()
            for _ in range(5):
                run()
            seconds, cpu = (time.perf_counter() - start) / 5, (time.process_time() - cpu_start) / 5
            print(f"{name:26s} {height}x{width}x64 3x3 conv: wall {seconds * 1000:6.1f} ms "
                  f"{flops / seconds / 1e9:5.1f} GFLOP/s, cpu {cpu * 1000:6.1f} ms {flops / cpu / 1e9:5.1f} GFLOP/cpu-s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kinds", default="flat_anime,sketch,photo", help=f"comma list of {sorted(mark_images.KINDS)}")
    parser.add_argument("--size", type=int, default=2048, help="width of the test images, pixels")
    parser.add_argument("--height", type=int, help="height of the test images, pixels (default: 3/4 of --size)")
    parser.add_argument("--train-sides", default="512,768,1024", help="long sides of the training resize, pixels")
    parser.add_argument("--served", default="orig", choices=sorted(x.SERVED),
                        help="the size X serves that a scraper downloads before the training resize (default orig)")
    parser.add_argument("--strength", type=float, default=1.0)
    parser.add_argument("--steps", type=int, help="per-image steps (default: the cloak's own)")
    parser.add_argument("--sides", help="comma list of the long sides each step works at, pixels "
                                        "(default: the cloak's own)")
    parser.add_argument("--no-family", action="store_true", help="start the steps from noise, not the family")
    parser.add_argument("--unseen-mark", action="store_true",
                        help="the cloak does not take the mark embedded after it into account")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--models", type=Path, default=SHARED_MODELS)
    parser.add_argument("--conv-speed", action="store_true")
    args = parser.parse_args(argv)
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cpus, "
          f"load average {os.getloadavg()[0]:.1f}, numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    if args.conv_speed:
        conv_speed()
        return 0
    spec = models.spec_named(models.DEFAULT_MODEL)
    vae = models.load(spec, models_dir=args.models)
    family = None if args.no_family else families.load_family(spec)
    params = AttackParams()
    if args.steps is not None:
        params = dataclasses.replace(params, steps=args.steps)
    if args.sides:
        params = dataclasses.replace(params, sides=tuple(int(side) for side in args.sides.split(",")))
    train_sides = [int(side) for side in args.train_sides.split(",")]

    def seen(image: np.ndarray, side: int) -> np.ndarray:
        return np.clip(vae.decoder(vae.encoder(after_x(image, side, args.served))), 0, 1)

    height = args.height or args.size * 3 // 4
    print(f"# images {args.size}x{height} px, served as {args.served}, strength {args.strength}, "
          f"{params.steps} steps at "
          f"{params.sides}, mark {'unseen' if args.unseen_mark else 'seen'} by the cloak, "
          f"family: {'none' if family is None else family.provenance}")
    print(f"{'image':12s} {'side':>5s} {'visible':>8s} {'model cloak':>12s} {'white':>7s} {'shaped':>7s} "
          f"{'gap white':>9s} {'gap shaped':>10s} {'wall s':>7s} {'cpu s':>6s} {'gap +mark':>9s} {'mark read':>9s} "
          f"{'vis +mark':>9s}")
    key = bytes(range(32))
    payload = mark.Payload(mark.creator_id(key), datetime.date(2026, 1, 1), True)
    embed_mark = partial(mark.embed, key=key, payload=payload, strength=1.0)
    gaps: dict[str, list[float]] = {"white": [], "shaped": []}
    for kind in args.kinds.split(","):
        rng = np.random.default_rng(args.seed)
        clean = mark_images.KINDS[kind](height, args.size, rng)
        started, cpu_started = time.perf_counter(), time.process_time()
        cloaked = cloak.cloak_with(clean, vae, family=family, strength=args.strength, params=params, rng=rng,
                                   then=None if args.unseen_mark else embed_mark)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        visible = psnr(cloaked, clean)
        white = at_psnr(clean, white_noise(clean, rng), visible)
        shaped = at_psnr(clean, shaped_noise(clean, rng), visible)
        marked = embed_mark(cloaked)
        visible_marked = psnr(marked, clean)
        found = mark.detect(stored_by_x(marked), key=key)
        read = "yes" if found.marked and found.payload == payload else "NO"
        for side in train_sides:
            reference = seen(clean, side)
            model = {name: psnr(seen(picture, side), reference)
                     for name, picture in (("cloak", cloaked), ("white", white), ("shaped", shaped))}
            gap_white, gap_shaped = model["white"] - model["cloak"], model["shaped"] - model["cloak"]
            gaps["white"].append(gap_white)
            gaps["shaped"].append(gap_shaped)
            gap_marked = model["white"] - psnr(seen(marked, side), reference)
            print(f"{kind:12s} {side:5d} {visible:8.2f} {model['cloak']:12.2f} {model['white']:7.2f} "
                  f"{model['shaped']:7.2f} {gap_white:9.2f} {gap_shaped:10.2f} {seconds:7.1f} {cpu:6.1f} "
                  f"{gap_marked:9.2f} {read:>9s} {visible_marked:9.2f}", flush=True)
    for name, values in gaps.items():
        print(f"# gap over {name} noise: mean {np.mean(values):.2f} dB, min {np.min(values):.2f} dB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
