"""How often X's web client would encode omamori's output once more, before and after the X-aware choice.

X's web client draws a JPEG with fewer than 6 pixels per byte on a canvas and uploads JPEG 0.85 instead
(omamori.platforms.x.client_reencode_reason). Each made-up picture of the kinds artists post -- flat colour,
painterly, screentone, pencil sketch, photograph -- at sizes people post, goes through the real pipeline (signature,
mark, X-aware encode, mark read back) twice: "before", the plain JPEG q85 (sites.X without its client rule), and
"after", sites.X as shipped (progressive when that is enough, a lower quality when it costs less than X's second
encode, else q85 and X re-encodes). Prints per kind the share of outputs the client re-encodes, what was chosen,
and the PSNR each route costs against the pixels omamori made. A benchmark, not a test.

    nice -n 10 python bench/x_client_reencode.py --per-kind 6
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import io
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import mark_images  # noqa: E402

from omamori import imageio  # noqa: E402
from omamori.platforms import x  # noqa: E402
from omamori.protect import pipeline, sites, visible  # noqa: E402
from omamori.settings import Settings  # noqa: E402

SIZES = [(1200, 1600), (1536, 2048), (2048, 2048), (2480, 3508), (1920, 1080), (2894, 4093)]   # (width, height)
KEY = bytes(range(32))


def painterly(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Digital painting: soft colour fields, a few hundred brush strokes with bristle texture, canvas grain."""
    fields = np.stack([mark_images._fractal_noise(height, width, rng, exponent=1.8) for _ in range(3)], axis=2)
    canvas = np.clip(0.55 + 0.18 * fields, 0, 1)
    y, x_ = np.mgrid[0:height, 0:width].astype(np.float32)
    short = min(height, width)
    for _ in range(220):
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        length, breadth = rng.uniform(0.03, 0.12) * short, rng.uniform(0.004, 0.015) * short
        angle, reach = rng.uniform(0, np.pi), int(length) + 2
        rows = slice(max(0, int(cy) - reach), min(height, int(cy) + reach))
        cols = slice(max(0, int(cx) - reach), min(width, int(cx) + reach))
        u = (x_[rows, cols] - cx) * np.cos(angle) + (y[rows, cols] - cy) * np.sin(angle)
        v = -(x_[rows, cols] - cx) * np.sin(angle) + (y[rows, cols] - cy) * np.cos(angle)
        alpha = (np.clip(1.2 - np.hypot(u / length, v / breadth), 0, 1) * rng.uniform(0.3, 0.8))[..., None]
        colour = np.clip(canvas[min(int(cy), height - 1), min(int(cx), width - 1)] + rng.normal(0, 0.12, 3), 0, 1)
        bristle = (1 + 0.08 * np.sin(v * 6.0))[..., None]
        canvas[rows, cols] = canvas[rows, cols] * (1 - alpha) + colour * bristle * alpha
    grain = mark_images._fractal_noise(height, width, rng, exponent=0.3)[..., None]
    return np.clip(canvas + 0.012 * grain, 0, 1).astype(np.float32)


def photograph(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Natural 1/f texture with sensor grain."""
    picture = mark_images.photo_texture(height, width, rng)
    return np.clip(picture + rng.normal(0, 0.008, picture.shape), 0, 1).astype(np.float32)


def toned_screentone(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A manga page in colour: the screentone page under a soft colour wash (a grey page keeps to 256 colours and
    goes out as a palette PNG, which the client rule does not touch)."""
    wash = np.stack([0.75 + 0.25 * mark_images._fractal_noise(height, width, rng, exponent=2.0) for _ in range(3)], axis=2)
    return np.clip(mark_images.screentone(height, width, rng) * np.clip(wash, 0.5, 1.0), 0, 1).astype(np.float32)


KINDS = {"flat": mark_images.flat_anime, "painterly": painterly, "screentone": mark_images.screentone,
         "screentone_colour": toned_screentone, "sketch": mark_images.sketch, "photo": photograph}


def protect(png: bytes, site: sites.Site):
    return pipeline.protect(png, settings=Settings(), key=KEY, today=datetime.date(2026, 12, 2),
                            rng=np.random.default_rng(0), site=site, font=visible.signature_font(Settings().signature))


def encode_details(protected) -> dict:
    return next(step.details for step in protected.report if step.step == "encode")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-kind", type=int, default=6, help="pictures of each kind (sizes taken in turn)")
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    before_site = dataclasses.replace(sites.X, client_min_pixels_per_byte=None)
    counts = defaultdict(Counter)
    losses = defaultdict(list)
    for kind, draw in KINDS.items():
        for index in range(args.per_kind):
            width, height = SIZES[index % len(SIZES)]
            buffer = io.BytesIO()
            Image.fromarray(imageio.to_uint8(draw(height, width, rng))).save(buffer, "PNG")
            png = buffer.getvalue()
            before, after = protect(png, before_site), protect(png, sites.X)
            details = encode_details(after)
            chosen = ("png8" if details["format"] == "png" else "x_reencodes" if details["client_reencodes"] else
                      f"q{details['quality']}" if details["quality"] != 85 else
                      "progressive" if details["progressive"] else "q85")
            counts[kind]["n"] += 1
            counts[kind]["before"] += x.client_reencode_reason(before.data) is not None
            counts[kind]["after"] += x.client_reencode_reason(after.data) is not None
            counts[kind][chosen] += 1
            counts[kind]["mark_read"] += bool(after.mark_verified)
            if "reencode_psnr_db" in details:
                losses[kind].append((details["reencode_psnr_db"], details["lower_quality"], details["lower_psnr_db"]))
            print(f"{kind:17s} {width}x{height}: {before.width * before.height / len(before.data):5.2f} px/byte "
                  f"before, {after.width * after.height / len(after.data):5.2f} after; chosen {chosen}"
                  + (f"; X's second encode {details['reencode_psnr_db']} dB, best kept quality "
                     f"{details['lower_quality']} {details['lower_psnr_db']} dB" if "reencode_psnr_db" in details else ""),
                  flush=True)
    total = Counter()
    print("\nkind               outputs  re-encoded before  after   chosen                          mark read")
    for kind, count in counts.items():
        total.update(count)
        chosen = ", ".join(f"{name} {count[name]}" for name in ("png8", "q85", "progressive", "x_reencodes")
                           if count[name]) + "".join(f", {name} {value}" for name, value in count.items()
                                                    if name[0] == "q" and name[1:].isdigit() and name != "q85")
        print(f"{kind:17s} {count['n']:7d}  {count['before'] / count['n']:16.0%}  {count['after'] / count['n']:5.0%}"
              f"   {chosen:31s} {count['mark_read']}/{count['n']}")
    print(f"{'all':17s} {total['n']:7d}  {total['before'] / total['n']:16.0%}  {total['after'] / total['n']:5.0%}"
          f"   ({total['before']} and {total['after']} of {total['n']})")


if __name__ == "__main__":
    main()
