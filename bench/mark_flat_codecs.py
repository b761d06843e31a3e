"""How much of a faint cell pattern on flat colour a re-save keeps, by cell size: why the mark's flat areas fail WebP
q70 and JPEG q50 (docs/mark.md, "The mark's energy on flat colour").

A flat grey picture of 1200 x 900 (X's `medium` size of a 4:3 picture) carries random +-LEVEL grey levels in square
cells (the mark's carrier on flat colour is one level in cells of about 2.3 px at this size); it is saved as uint8,
re-saved by each codec (omamori.imageio's encoders, Pillow's codecs), and the share of the pattern the decoded picture still holds is printed: the
projection of what came back on what was sent (1: all of it, 0: none). The share of the pattern, not of the picture:
this is what the detector's correlation sees. A benchmark, not a test.

    python bench/mark_flat_codecs.py
    python bench/mark_flat_codecs.py --greys 60,150,200 --cells 2.34,4.7,9.4 --level 1.5
"""
from __future__ import annotations

import argparse

import numpy as np

from omamori import imageio
from omamori.arrays import luma

CODECS = (("WEBP", 70), ("JPEG", 50), ("JPEG", 30), ("JPEG", 85))
ENCODERS = {"WEBP": imageio.encode_webp, "JPEG": imageio.encode_jpeg}   # JPEG 4:2:0, as X and the host save
HEIGHT, WIDTH = 900, 1200


def kept_share(cell: float, level: float, grey: float, codec: str, quality: int, rng: np.random.Generator) -> float:
    """Share of a +-``level`` pattern in ``cell``-px cells on flat ``grey`` that survives ``codec`` at ``quality``."""
    signs = rng.choice([-1.0, 1.0], size=(int(HEIGHT / cell) + 2, int(WIDTH / cell) + 2))
    rows, columns = (np.arange(HEIGHT) / cell).astype(int), (np.arange(WIDTH) / cell).astype(int)
    sent = np.clip(np.round(grey + level * signs[rows][:, columns]), 0, 255) / 255
    data = ENCODERS[codec](np.repeat(sent[:, :, None], 3, axis=2).astype(np.float32), quality=quality)
    received = luma(imageio.decode(data).image).astype(np.float64)
    pattern, back = sent - sent.mean(), received - received.mean()
    return float(np.sum(back * pattern) / np.sum(pattern * pattern))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--greys", default="60,110,150,200", help="grey levels of the flat picture, 0-255")
    parser.add_argument("--cells", default="2.34,3.125,4.7,9.4", help="cell sizes, pixels")
    parser.add_argument("--level", type=float, default=1.0, help="the pattern's amplitude, grey levels")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    print("| grey | cell px | " + " | ".join(f"{codec} q{quality}" for codec, quality in CODECS) + " |")
    print("|---" * (2 + len(CODECS)) + "|")
    for grey in (float(g) for g in args.greys.split(",")):
        for cell in (float(c) for c in args.cells.split(",")):
            shares = [kept_share(cell, args.level, grey, codec, quality, rng) for codec, quality in CODECS]
            print(f"| {grey:.0f} | {cell:.2f} | " + " | ".join(f"{share:.2f}" for share in shares) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
