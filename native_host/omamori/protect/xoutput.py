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

X's web client encodes some files once more before they leave the browser (section 10): a JPEG with fewer than
6 pixels per byte is drawn on a canvas and sent as JPEG 0.85 (``platforms.x.client_reencode_reason``); detailed
art (screentone, photographs, texture, and the mark's own fine pattern) often is one. ``encode_jpeg_for_x`` with
``min_pixels_per_byte`` then picks what costs the picture least (docs/x-client.md has the figures):

* the same pixels as a progressive JPEG, when that is small enough (free: the pixels do not change);
* else the highest quality (down to MIN_CLIENT_QUALITY) that the client uploads as it is, when its single encode
  loses less (PSNR against the pixels omamori made) than X's second encode of the q85 file would;
* else the q85 file, knowing that X's client encodes it once more (``Output.uploaded`` is what then reaches X,
  as modelled, and the mark is read back from it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .. import imageio
from ..errors import ImageError
from ..imageio import PaletteArt
from ..platforms import x

X_MAX_SIDE = 4096                 # pixels; X fits uploads inside this square
X_MAX_BYTES = 5_000_000           # bytes; X's web upload limit ("5 MB", taken as decimal to be safe)
X_JPEG_QUALITY = 85               # X re-encodes JPEGs above this quality
SMALLEST_SIDE = 256               # pixels; we never shrink below this to meet the byte limit
MIN_CLIENT_QUALITY = 75           # lowest quality tried to stay under X's client rule (the mark is tuned at 85)


@dataclass(frozen=True)
class ClientChoice:
    """What was weighed when X's web client would encode the q85 JPEG once more (fewer than 6 pixels per byte).

    ``uploaded``: what reaches X, as modelled (``platforms.x.client_upload``): the output itself, or the client's
    re-encode of it when ``reencoded``. ``reencode_psnr_db``: PSNR of X's second encode of the q85 file against
    the pixels omamori made; ``lower_quality``, ``lower_psnr_db``: the highest quality the client would upload as
    it is, and its PSNR (None when even MIN_CLIENT_QUALITY is too dense).
    """

    reencoded: bool
    uploaded: bytes
    reencode_psnr_db: float
    lower_quality: int | None
    lower_psnr_db: float | None


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
    progressive: bool = False     # a progressive JPEG (chosen to stay under X's client rule)
    client: ClientChoice | None = None     # set when X's web client would have re-encoded the q85 file

    @property
    def mime(self) -> str:
        return "image/jpeg" if self.format == "jpeg" else "image/png"


def resize_palette(art: PaletteArt, *, width: int, height: int) -> PaletteArt:
    """Palette art resampled by nearest neighbour (keeps hard pixel edges and the palette)."""
    rows = ((np.arange(height) + 0.5) * art.indices.shape[0] / height).astype(np.intp)
    cols = ((np.arange(width) + 0.5) * art.indices.shape[1] / width).astype(np.intp)
    return PaletteArt(indices=art.indices[rows[:, None], cols[None, :]], colours=art.colours)


def encode_jpeg_for_x(image: np.ndarray, *, max_bytes: int = X_MAX_BYTES,
                      min_pixels_per_byte: float | None = None) -> Output:
    """JPEG q85 4:2:0 of a float32 HxWx3 image already inside X_MAX_SIDE.

    Scales down (keeping the aspect ratio) while the file is over ``max_bytes``;
    raises ``ImageError("output_too_large")`` if even SMALLEST_SIDE would not do.
    ``min_pixels_per_byte``: the site's client re-encodes a JPEG denser than this (X: 6); the output is then the
    one that costs the picture least (see the module docstring), with ``client`` saying what was weighed.
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
        current = imageio.resize_8bit(image, width=new_w, height=new_h)
        data = imageio.encode_jpeg(current, quality=X_JPEG_QUALITY, subsampling="4:2:0")
    shrunk = (width, height) if current is not image else None
    output = Output(data=data, format="jpeg", width=current.shape[1], height=current.shape[0],
                    quality=X_JPEG_QUALITY, shrunk_from=shrunk)
    if min_pixels_per_byte is None or not _too_dense(output, min_pixels_per_byte):
        return output
    return _for_client(current, output, min_pixels_per_byte=min_pixels_per_byte)


def _too_dense(output: Output, min_pixels_per_byte: float) -> bool:
    """Would the client re-encode this JPEG (fewer than ``min_pixels_per_byte`` pixels per byte)?"""
    return output.width * output.height < min_pixels_per_byte * len(output.data)


def _for_client(image: np.ndarray, baseline: Output, *, min_pixels_per_byte: float) -> Output:
    """The output that costs ``image`` least when X's client would re-encode ``baseline`` (q85, too dense)."""
    progressive = replace(baseline, data=imageio.encode_jpeg(image, quality=X_JPEG_QUALITY, progressive=True),
                          progressive=True)
    if not _too_dense(progressive, min_pixels_per_byte):
        return progressive
    reencoded = x.client_upload(baseline.data)
    reencode_psnr = _psnr(image, reencoded)
    lower = _highest_quality_kept(image, baseline, min_pixels_per_byte=min_pixels_per_byte)
    lower_psnr = _psnr(image, lower.data) if lower else None
    if lower is not None and lower_psnr >= reencode_psnr:
        return replace(lower, client=ClientChoice(False, lower.data, reencode_psnr, lower.quality, lower_psnr))
    return replace(baseline, client=ClientChoice(True, reencoded, reencode_psnr,
                                                 lower.quality if lower else None, lower_psnr))


def _highest_quality_kept(image: np.ndarray, baseline: Output, *, min_pixels_per_byte: float) -> Output | None:
    """The progressive JPEG of the highest quality in MIN_CLIENT_QUALITY..84 the client uploads as it is, or None."""
    best = None
    low, high = MIN_CLIENT_QUALITY, X_JPEG_QUALITY - 1
    while low <= high:                     # file size grows with quality: bisect
        quality = (low + high) // 2
        candidate = replace(baseline, data=imageio.encode_jpeg(image, quality=quality, progressive=True),
                            quality=quality, progressive=True)
        if _too_dense(candidate, min_pixels_per_byte):
            high = quality - 1
        else:
            best, low = candidate, quality + 1
    return best


def _psnr(image: np.ndarray, data: bytes) -> float:
    """PSNR (dB, all three channels) of a JPEG's decoded pixels against the float32 HxWx3 ``image`` they encode."""
    decoded = imageio.decode(data).image
    mse = float(np.mean(np.square(decoded - image, dtype=np.float64)))
    return 10 * math.log10(1 / mse) if mse > 0 else math.inf


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


def encode_png_lossless(image: np.ndarray) -> Output:
    """Lossless RGB PNG of a float32 HxWx3 sRGB image in [0, 1], with no metadata: the web profile's output
    when asked for (``lossless``), for sites that keep a PNG as it is (X would convert it)."""
    data = imageio.encode_png(image, compress_level=9)
    return Output(data=data, format="png", width=int(image.shape[1]), height=int(image.shape[0]), quality=None,
                  shrunk_from=None)
