"""The tiled signature at two opacities side by side on the bundled sample, with the luma PSNR of each.

    python bench/tiled_opacity.py [--before 0.55] [--after 0.2] [--out artifacts/screenshots/tiled-opacity-before-after.png]

The signature alone (no mark, no cloak, no JPEG) is drawn with the default text, size and font over the whole
sample (1200 x 900), the lattice at the same offset for both, so the two halves differ only in opacity. The
PSNR (dB) is of the 8-bit luma against the unsigned picture (marking.luma_psnr): how much the text takes over.
"""
from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from omamori import imageio
from omamori.protect import visible
from omamori.protect.marking import luma_psnr
from omamori.settings import Settings

OUT = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots" / "tiled-opacity-before-after.png"
HALF_WIDTH = 600        # pixels: each picture in the side-by-side image
CAPTION_PX = 28


def signed(picture: np.ndarray, *, opacity: float) -> np.ndarray:
    """``picture`` (float32 HxWx3) with the default signature tiled over it at ``opacity``."""
    signature = Settings().signature
    font = visible.signature_font(signature).found
    layer = visible.render_signature(*picture.shape[:2], text=signature.text, font=font, placement="tiled",
                                     size=signature.size, rng=np.random.default_rng(0))
    return visible.apply_layer(picture, layer, opacity=opacity)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=float, default=0.55, help="the opacity before (default 0.55)")
    parser.add_argument("--after", type=float, default=Settings().signature.tiled_opacity,
                        help="the opacity after (default: the tiled default in settings.py)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    picture = imageio.decode(resources.files("omamori").joinpath("data/sample.png").read_bytes()).image
    unsigned = imageio.to_uint8(picture)
    halves = []
    for opacity in (args.before, args.after):
        drawn = signed(picture, opacity=opacity)
        psnr = luma_psnr(drawn, unsigned)
        print(f"tiled at opacity {opacity:.2f}: luma PSNR {psnr:.1f} dB against the unsigned sample")
        half = Image.fromarray(imageio.to_uint8(drawn))
        half = half.resize((HALF_WIDTH, round(half.height * HALF_WIDTH / half.width)), Image.Resampling.LANCZOS)
        framed = Image.new("RGB", (half.width, half.height + CAPTION_PX + 8), "white")
        framed.paste(half, (0, CAPTION_PX + 8))
        ImageDraw.Draw(framed).text((8, 6), f"opacity {opacity:.2f} - luma PSNR {psnr:.1f} dB", fill="black",
                                    font_size=CAPTION_PX - 6)
        halves.append(framed)
    both = Image.new("RGB", (2 * HALF_WIDTH + 12, halves[0].height), "white")
    both.paste(halves[0], (0, 0))
    both.paste(halves[1], (HALF_WIDTH + 12, 0))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    both.save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
