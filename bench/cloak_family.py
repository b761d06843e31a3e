"""Train the cloak's perturbation family for a model and write it where the package ships it.

Each member is one periodic pattern trained by omamori.cloak.family.train on made-up images of some kinds
(tests/mark_images.py; seeds from 1000 on, so bench/cloak.py's images, seed 1, are never trained on), at random
long sides of 1024-1600 px and random aspect ratios. The cloak picks, per image, the member whose start moves the
model's view furthest. Prints the mean reconstruction distance as training goes (PSNR of the window's
reconstruction against the clean window, dB: lower is more damage), every 25 iterations.

    nice python bench/cloak_family.py --member all=flat_anime,screentone,pixel_art,sketch,photo,gradient:500

(the shipped family; a second ``--member`` adds another pattern). Takes about 1.7 s per iteration on this
2-core machine. The result is data: commit it with the command used
(it is stored in the file as its provenance).
"""
from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import mark_images  # noqa: E402

from omamori.cloak import family, models  # noqa: E402
from omamori.cloak.attack import AttackParams  # noqa: E402

SHARED_MODELS = HERE.parent.parent / "shared" / "models" / "taef2"
ASPECTS = (0.75, 1.0, 4 / 3, 9 / 16, 1.5)   # height / width


def training_images(kinds: list[str], count: int, rng: np.random.Generator) -> list[np.ndarray]:
    images = []
    for i in range(count):
        long_side, aspect = int(rng.integers(1024, 1601)), ASPECTS[int(rng.integers(len(ASPECTS)))]
        height, width = (long_side, round(long_side / aspect)) if aspect > 1 else (round(long_side * aspect), long_side)
        images.append(mark_images.KINDS[kinds[i % len(kinds)]](height, width, np.random.default_rng(1000 + i)))
    return images


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--member", action="append", required=True, metavar="NAME=KIND,KIND:ITERATIONS",
                        help="one pattern: its name, the kinds of image it learns from, its iterations")
    parser.add_argument("--images", type=int, default=36, help="training images per member")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--models", type=Path, default=SHARED_MODELS)
    parser.add_argument("--out", type=Path, help="default: the package's data/cloak/<model>-family.npz")
    args = parser.parse_args(argv)
    spec = models.CLOAK_MODEL
    vae = models.load(spec, models_dir=args.models)
    params = AttackParams()
    patterns = []
    for member in args.member:
        name, rest = member.split("=", 1)
        kinds, iterations = rest.rsplit(":", 1)
        rng = np.random.default_rng(args.seed)
        images = training_images(kinds.split(","), args.images, rng)
        started, recent = time.perf_counter(), []

        def report(iteration: int, distance: float) -> None:
            recent.append(distance)
            if iteration % 25 == 0:
                print(f"{name} {iteration:5d}  {10 * np.log10(1 / np.mean(recent)):6.2f} dB  "
                      f"{time.perf_counter() - started:6.0f} s", flush=True)
                recent.clear()

        patterns.append(family.train(vae, images, iterations=int(iterations), rng=rng, params=params,
                                     progress=report))
    out = args.out or family.family_file(spec)
    provenance = (f"bench/cloak_family.py {shlex.join(argv if argv is not None else sys.argv[1:])}; "
                  f"members {[m.split('=')[0] for m in args.member]}; {time.strftime('%Y-%m-%d', time.gmtime())}")
    family.save_family(out, np.stack(patterns), spec, side=params.sides[0], provenance=provenance)
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
