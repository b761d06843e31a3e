"""Output that X keeps as it is (research/x-web.md section 5; checked against the model omamori.platforms.x).

X re-encodes a JPEG only if its quality is above 85 (or it has an EXIF
orientation), fits images inside 4096 x 4096, converts non-palette PNGs it
finds larger than their JPEG q85, and refuses web uploads over 5 MB. So:

* full-colour images: one JPEG at quality 85 with 4:2:0 chroma, no metadata,
  inside 4096 px -- X stores exactly these bytes, and our pixels (and mark)
  go through one encode that we control instead of two;
* if that JPEG is over 5 MB, the image is scaled down (never the quality:
  a lower quality would weaken the mark) until it fits;
* palette art: a PNG8 with its own palette, which X keeps.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .. import imageio
from ..errors import ImageError
from ..imageio import PaletteArt

X_MAX_SIDE = 4096                 # pixels; X fits uploads inside this square
X_MAX_BYTES = 5_000_000           # bytes; X's web upload limit ("5 MB", taken as decimal to be safe)
X_JPEG_QUALITY = 85               # X re-encodes JPEGs above this quality
SMALLEST_SIDE = 256               # pixels; we never shrink below this to meet the byte limit


@dataclass(frozen=True)
class Output:
    """Encoded bytes and what was decided to make them.

    ``shrunk_from``: (width, height) before scaling down to meet the byte
    limit, or None if the image kept its size.
    """

    data: bytes
    format: str                   # "jpeg" | "png"
    width: int
    height: int
    quality: int | None           # JPEG quality, None for PNG
    shrunk_from: tuple[int, int] | None

    @property
    def mime(self) -> str:
        return "image/jpeg" if self.format == "jpeg" else "image/png"


def fitted_size(width: int, height: int, *, max_side: int) -> tuple[int, int]:
    """(width, height) scaled down to fit inside ``max_side`` x ``max_side`` (never up)."""
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize(image: np.ndarray, *, width: int, height: int) -> np.ndarray:
    """float32 HxWx3 image resampled (Lanczos) to ``height`` x ``width`` pixels.

    Pillow resamples the 8-bit image (several times faster than per-channel
    float, and the output is 8-bit anyway).
    """
    small = Image.fromarray(imageio.to_uint8(image), "RGB").resize(
        (width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return imageio.to_float(np.asarray(small))


def resize_palette(art: PaletteArt, *, width: int, height: int) -> PaletteArt:
    """Palette art resampled by nearest neighbour (keeps hard pixel edges and the palette)."""
    rows = ((np.arange(height) + 0.5) * art.indices.shape[0] / height).astype(np.intp)
    cols = ((np.arange(width) + 0.5) * art.indices.shape[1] / width).astype(np.intp)
    return PaletteArt(indices=art.indices[rows[:, None], cols[None, :]], colours=art.colours)


def encode_jpeg_for_x(image: np.ndarray, *, max_bytes: int = X_MAX_BYTES) -> Output:
    """JPEG q85 4:2:0 of a float32 HxWx3 image already inside X_MAX_SIDE.

    Scales down (keeping the aspect ratio) while the file is over ``max_bytes``;
    raises ``ImageError("output_too_large")`` if even SMALLEST_SIDE would not do.
    """
    height, width = image.shape[:2]
    data = imageio.encode_jpeg(image, quality=X_JPEG_QUALITY, subsampling="4:2:0")
    current = image
    while len(data) > max_bytes:
        # JPEG size grows roughly with the pixel count; aim a little below the limit.
        scale = math.sqrt(max_bytes / len(data)) * 0.95
        new_w, new_h = round(current.shape[1] * scale), round(current.shape[0] * scale)
        if min(new_w, new_h) < SMALLEST_SIDE:
            raise ImageError("output_too_large", bytes=len(data), max_bytes=max_bytes)
        current = resize(image, width=new_w, height=new_h)
        data = imageio.encode_jpeg(current, quality=X_JPEG_QUALITY, subsampling="4:2:0")
    shrunk = (width, height) if current is not image else None
    return Output(data=data, format="jpeg", width=current.shape[1], height=current.shape[0],
                  quality=X_JPEG_QUALITY, shrunk_from=shrunk)


def encode_palette_for_x(art: PaletteArt, *, max_bytes: int = X_MAX_BYTES) -> Output:
    """PNG8 of palette art (inside X_MAX_SIDE), which X keeps unchanged.

    Raises ``ImageError("output_too_large")`` over ``max_bytes``: shrinking
    pixel art would spoil it, so the user chooses a smaller maximum size.
    """
    data = imageio.encode_png_palette(art)
    if len(data) > max_bytes:
        raise ImageError("output_too_large", bytes=len(data), max_bytes=max_bytes)
    height, width = art.indices.shape
    return Output(data=data, format="png", width=width, height=height, quality=None, shrunk_from=None)
