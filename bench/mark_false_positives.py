"""False positives of omamori's mark: detect under one key on many pictures it never marked.

Unmarked pictures of the six kinds of tests/mark_images.py (flat colour, screentone, pixel art, sketch, photo-like,
gradient) and periodic wallpapers (the kind of picture with an autocorrelation lattice of its own), and pictures
marked under other keys; all saved as the host saves (JPEG q85 4:2:0), 256-512 px so that ten thousand finish in
minutes (``--sides`` draws larger ones). Prints per set how many were called marked and the strongest correlations
seen, beside the thresholds and the union bound per picture. A benchmark, not a test: nothing here passes or fails.

    nice -n 10 python bench/mark_false_positives.py --unmarked 10000 --other-keys 1000 --workers 2
"""
from __future__ import annotations

import argparse
import datetime
import math
import multiprocessing
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

import mark_images  # noqa: E402
from mark_robustness import decode, jpeg_bytes, to_float, to_uint8, wallpaper  # noqa: E402

from omamori import mark  # noqa: E402
from omamori.mark.detect import PILOT_Z_MIN, TILE_Z_MIN, decide, search  # noqa: E402

KEY = bytes(range(32))
KINDS = {**mark_images.KINDS, "wallpaper": wallpaper}
SIDES = (256, 512)       # pixels, each side drawn in this range (inclusive) unless --sides says otherwise


def _picture(index: int, seed: int, other_key: bool, sides: tuple[int, int]) -> tuple[str, np.ndarray]:
    """The picture ``index`` of a run: its kind (wallpapers twice as often) and its pixels as the host saves them."""
    rng = np.random.default_rng([seed, index, other_key])
    names = list(KINDS) + ["wallpaper"]
    name = names[index % len(names)]
    height, width = (int(v) for v in rng.integers(sides[0], sides[1] + 1, 2))
    image = KINDS[name](height, width, rng)
    if other_key:
        payload = mark.Payload(mark.creator_id(KEY), datetime.date(2026, 12, 2), True)
        image = mark.embed(image, key=rng.bytes(32), payload=payload)
    return name, to_float(decode(jpeg_bytes(to_uint8(image), 85)))


def _read(job: tuple[int, int, bool, tuple[int, int]]) -> tuple[str, bool, float, float, int]:
    name, received = _picture(*job)
    found = search(received, key=KEY)
    return name, decide(found).marked, found.pilot_z, found.tile_z, found.hypotheses


def _normal_tail(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2))


def run(count: int, *, other_key: bool, seed: int, workers: int, sides: tuple[int, int]) -> None:
    label = "marked with other keys" if other_key else "unmarked"
    called, pilot, tile, hypotheses = 0, {}, {}, 0
    with multiprocessing.Pool(workers) as pool:
        for done, (name, marked, pilot_z, tile_z, hypotheses) in enumerate(
                pool.imap_unordered(_read, [(i, seed, other_key, sides) for i in range(count)], chunksize=8), 1):
            called += marked
            pilot[name] = max(pilot.get(name, 0.0), pilot_z)
            tile[name] = max(tile.get(name, 0.0), tile_z)
            if done % 500 == 0:
                print(f"  {label}: {done} read, {called} called marked, strongest pilot {max(pilot.values()):.2f} sd",
                      file=sys.stderr, flush=True)
    print(f"{label}: {called} of {count} called marked; strongest pilot correlation (threshold {PILOT_Z_MIN}) and "
          f"whole-tile correlation (threshold {TILE_Z_MIN}), in sd, per kind:")
    for name in sorted(pilot):
        print(f"  {name}: {pilot[name]:.2f} / {tile[name]:.2f}")
    per_image = hypotheses * _normal_tail(PILOT_Z_MIN) * 2.0 ** -16
    print(f"  union bound per picture at the pilot threshold: {hypotheses:,} hypotheses x Q({PILOT_Z_MIN}) x 2^-16 = "
          f"{per_image:.2e}; over {count} pictures {count * per_image:.2e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unmarked", type=int, default=10000, help="unmarked pictures")
    parser.add_argument("--other-keys", type=int, default=1000, help="pictures marked under other keys")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument("--sides", default=f"{SIDES[0]},{SIDES[1]}", metavar="LOW,HIGH",
                        help="each side of a picture is drawn in this range of pixels (default: %(default)s; from "
                             "1024 the marks carry the dots on plain fill)")
    args = parser.parse_args(argv)
    low, _, high = args.sides.partition(",")
    if not (low.isdigit() and high.isdigit() and 16 <= int(low) <= int(high)):
        parser.error(f"--sides takes two numbers of pixels, LOW,HIGH, LOW at least 16: not {args.sides!r}")
    sides = (int(low), int(high))
    if args.unmarked:
        run(args.unmarked, other_key=False, seed=args.seed, workers=args.workers, sides=sides)
    if args.other_keys:
        run(args.other_keys, other_key=True, seed=args.seed, workers=args.workers, sides=sides)
    return 0


if __name__ == "__main__":
    sys.exit(main())
