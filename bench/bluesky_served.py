"""Benchmark: does the mark read in what Bluesky serves of an image omamori made for it?

    nice python bench/bluesky_served.py [--seeds N]

For each kind of made-up picture (tests/mark_images.py) at a size artists post, protect it with the Bluesky
profile (protect/sites.py), then send it through the project's model of Bluesky (platforms/bluesky.py): the web
app's canvas re-encode, the PDS, and the CDN's two presets (feed_thumbnail fitted inside 2000 px, feed_fullsize
inside 1000 px, smaller images enlarged) as JPEG q100 and WebP q80. Prints one row per picture: output size and
bytes, the mark's strength and luma PSNR (as the pipeline's report gives them), the quality the app's re-encode
settles on, and the mark's confidence in each served variant ("no" where it does not read). The numbers in
docs/mark.md come from this command.
"""
from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import mark_images  # noqa: E402  (tests/, for the made-up pictures)

from omamori import imageio, mark  # noqa: E402
from omamori.platforms import bluesky, x  # noqa: E402
from omamori.protect import pipeline, sites, visible  # noqa: E402
from omamori.settings import Settings  # noqa: E402

KEY = bytes(range(32))
FONT = visible.signature_font(Settings().signature)      # resolved once, as the host does
PICTURES = [("photo", 2600, 2000), ("flat_anime", 900, 1200), ("flat_anime", 2000, 1500), ("screentone", 1600, 1200),
            ("sketch", 700, 520), ("gradient", 3000, 3000), ("pixel_art", 800, 800)]


def row(kind: str, height: int, width: int, seed: int) -> str:
    picture = mark_images.KINDS[kind](height, width, np.random.default_rng(seed))
    protected = pipeline.protect(imageio.encode_jpeg(picture, quality=95), settings=Settings(), key=KEY,
                                 today=datetime.date(2026, 12, 2), rng=np.random.default_rng(seed), site=sites.BLUESKY,
                                 font=FONT)
    marked = next(step for step in protected.report if step.step == "mark").details
    uploaded = bluesky.client_upload(protected.data)
    stored = bluesky.store(uploaded)
    cells = []
    for variant in bluesky.SERVED:
        for format in bluesky.SERVED_FORMATS:
            found = mark.detect(imageio.decode(bluesky.serve(stored, variant, format=format)).image, key=KEY)
            cells.append(f"{found.confidence:.2f}" if found.marked else "no")
    return (f"| {kind} {width}x{height} | {protected.width}x{protected.height}, {len(protected.data):,} B | "
            f"{marked['strength']:.2f}, {marked['psnr_db']:.1f} dB | "
            f"q{x.estimate_jpeg_quality(uploaded)}, {len(uploaded):,} B | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=1, help="pictures of each kind (default 1)")
    args = parser.parse_args()
    heads = [f"{variant} {format}" for variant in bluesky.SERVED for format in bluesky.SERVED_FORMATS]
    print("| picture | omamori's file | mark strength, luma PSNR | the app's re-encode | " + " | ".join(heads) + " |")
    print("|---|---|---|---|" + "---|" * len(heads))
    for seed in range(1, args.seeds + 1):
        for kind, height, width in PICTURES:
            print(row(kind, height, width, seed), flush=True)


if __name__ == "__main__":
    main()
