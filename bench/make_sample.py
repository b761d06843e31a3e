"""Draw the bundled sample image (an illustration-like picture) and test images of any size.

    python bench/make_sample.py                      # writes native_host/omamori/data/sample.png (1200x900)
    python bench/make_sample.py OUT.png 2048 2048    # any size

The picture has what illustrations have and photos do not: flat colour fills,
dark line art with anti-aliased edges, a soft gradient sky, small details
(stars, hatching) -- and no text, so the signature is the only lettering.
Deterministic for a given size and seed.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "native_host" / "omamori" / "data" / "sample.png"
INK = (38, 30, 52)


def draw_illustration(width: int, height: int, *, seed: int = 7) -> Image.Image:
    """An RGB illustration of ``width`` x ``height`` pixels."""
    rng = np.random.default_rng(seed)
    s = min(width, height) / 900                                  # scale of strokes and details
    # Sky: a vertical gradient from dusk violet to warm orange (rows are constant: PNG packs it well).
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    top, bottom = np.array([70, 60, 140], np.float32), np.array([250, 170, 120], np.float32)
    sky = (top * (1 - t) + bottom * t).astype(np.uint8)
    im = Image.fromarray(np.repeat(sky[:, None, :], width, axis=1), "RGB")
    draw = ImageDraw.Draw(im)
    line = max(2, round(5 * s))

    for _ in range(60):                                           # stars in the upper sky
        x, y = rng.uniform(0, width), rng.uniform(0, height * 0.35)
        r = rng.uniform(1.0, 2.8) * s
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 246, 210))

    sun_x, sun_y, sun_r = width * 0.72, height * 0.42, 110 * s    # the sun with a ring
    draw.ellipse((sun_x - sun_r, sun_y - sun_r, sun_x + sun_r, sun_y + sun_r), fill=(255, 214, 90),
                 outline=INK, width=line)
    draw.arc((sun_x - 1.3 * sun_r, sun_y - 1.3 * sun_r, sun_x + 1.3 * sun_r, sun_y + 1.3 * sun_r), 200, 340,
             fill=(255, 236, 170), width=line)

    def hill(base: float, amp: float, phase: float, colour) -> None:
        xs = np.linspace(0, width, 48)
        ys = height * base - amp * s * np.sin(xs / width * 2 * math.pi * 1.3 + phase)
        points = [(0, height)] + list(zip(xs.tolist(), ys.tolist())) + [(width, height)]
        draw.polygon(points, fill=colour, outline=INK, width=line)

    hill(0.62, 60, 0.3, (96, 150, 120))
    hill(0.72, 45, 2.1, (64, 118, 96))
    hill(0.84, 30, 4.0, (44, 88, 74))

    for i in range(14):                                           # hatching on the nearest hill
        x0 = width * (0.05 + 0.03 * i)
        draw.line((x0, height * 0.93, x0 + 40 * s, height * 0.88), fill=INK, width=max(1, line // 2))

    cx, cy = width * 0.3, height * 0.55                           # a round mascot with big eyes
    body = 120 * s
    draw.ellipse((cx - body, cy - body * 0.9, cx + body, cy + body * 1.1), fill=(250, 236, 226),
                 outline=INK, width=line)
    for ear in (-1, 1):
        ex = cx + ear * body * 0.6
        draw.polygon([(ex - 35 * s, cy - body * 0.7), (ex + 35 * s, cy - body * 0.7), (ex, cy - body * 1.35)],
                     fill=(250, 236, 226), outline=INK, width=line)
        draw.ellipse((cx + ear * 45 * s - 22 * s, cy - 30 * s, cx + ear * 45 * s + 22 * s, cy + 18 * s),
                     fill=INK)
        draw.ellipse((cx + ear * 45 * s - 8 * s, cy - 24 * s, cx + ear * 45 * s + 4 * s, cy - 12 * s),
                     fill=(255, 255, 255))
        draw.ellipse((cx + ear * 80 * s - 20 * s, cy + 30 * s, cx + ear * 80 * s + 20 * s, cy + 50 * s),
                     fill=(240, 150, 160))
    draw.arc((cx - 25 * s, cy + 10 * s, cx + 25 * s, cy + 50 * s), 20, 160, fill=INK, width=line)

    im = im.filter(ImageFilter.GaussianBlur(0.6 * s))             # anti-aliased edges, as drawing apps give
    return im


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    width, height = (int(argv[1]), int(argv[2])) if len(argv) >= 3 else (1200, 900)
    out.parent.mkdir(parents=True, exist_ok=True)
    draw_illustration(width, height).save(out, "PNG", optimize=True)
    print(f"{out}  {width}x{height}  {out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
