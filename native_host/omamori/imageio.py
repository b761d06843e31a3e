"""The only place where Pillow decodes and encodes image files.

Everything hostile about image files is handled here, at the edge, so the
engine only ever sees a clean, upright, sRGB ``float32`` array:

* only still JPEG, PNG, WebP (and single-frame GIF) are opened -- no other
  Pillow plugin ever parses user bytes; animations and videos are refused
  (``unsupported_format``), anything else is ``not_an_image``;
* the pixel count is checked from the header before any pixel is decoded
  (``image_too_large``), so a decompression bomb costs nothing; so is a JPEG's
  number of scans (``image_too_complex``): each scan of a progressive JPEG
  passes over the whole image, so 60,000 tiny scans keep the decoder busy for
  minutes;
* a file cut short or corrupt is ``image_damaged``;
* the EXIF orientation is applied, then every piece of metadata (EXIF with
  GPS, XMP, IPTC, comments, text chunks, colour profile) is left behind:
  outputs are built from pixels alone;
* an embedded ICC profile is converted to sRGB; CMYK, 16-bit, greyscale,
  bilevel and palette images become RGB, and transparency is kept apart as
  an alpha plane for the pipeline to decide on.
"""
from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError
# Registering exactly the plugins of _OPENABLE (Image.open would otherwise load every plugin to find WebP).
from PIL import GifImagePlugin, JpegImagePlugin, PngImagePlugin, WebPImagePlugin  # noqa: F401

from .errors import ImageError

MAX_PIXELS = 60_000_000          # largest image decoded (width x height), see the image_too_large message
# Scans in one JPEG: libjpeg's progressive files have 10, mozjpeg's a few more; 256 is the limit image decoders
# adopted after libjpeg-turbo's audit. Each scan passes over the whole image (its cost: docs/reliability.md).
MAX_JPEG_SCANS = 256
_JPEG_MARKER_AFTER_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7]")    # not a stuffed 0xFF byte, not a restart marker
_OPENABLE = ("JPEG", "PNG", "WEBP", "GIF")   # the JPEG plugin also opens MPO: camera JPEGs with a second image
_FORMAT_NAMES = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}

# Magic numbers of files people attach that are not still images we open.
# (prefix offset, prefix) -> what it is; checked only when Pillow did not identify the file.
# Still pictures in a format X does not take, which the person can convert (``still_format_unsupported``):
_OTHER_STILL = ((0, b"II*\x00", "TIFF"), (0, b"MM\x00*", "TIFF"), (0, b"BM", "BMP"))
_VIDEO_OR_OTHER = (
    (4, b"ftyp", "mp4/mov/heic/avif"),
    (0, b"\x1aE\xdf\xa3", "webm/mkv"),
    (0, b"RIFF", "riff (avi)"),
    (0, b"FLV", "flv"),
    (0, b"\x00\x00\x01\x00", "ico"),
    (0, b"8BPS", "psd"),
    (0, b"\xff\x0a", "jpeg xl"),
    (4, b"jP  ", "jpeg 2000"),
)
_LOOKS_LIKE_OURS = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")

_ORIENTATION_TRANSPOSE = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}
_ROW_BLOCK = 256                  # rows converted at a time, to keep temporaries small


@dataclass(frozen=True)
class PaletteArt:
    """A palette image (PNG8 / GIF, or a PNG with at most 256 colours).

    ``indices``: uint8 HxW, upright. ``colours``: float32 Kx4 RGBA in [0, 1]
    (sRGB), K <= 256; alpha 0 is fully transparent.
    """

    indices: np.ndarray
    colours: np.ndarray


@dataclass(frozen=True)
class ColourSource:
    """What the file's colours were and what was done to make them sRGB."""

    mode: str                     # Pillow mode of the file, e.g. "RGB", "CMYK", "I;16", "P"
    bits: int                     # bits per channel in the file (8 or 16; 1 for bilevel)
    profile: str | None           # description of the embedded ICC profile, if any
    converted: bool               # True if an ICC profile other than sRGB was converted to sRGB


@dataclass(frozen=True)
class Decoded:
    """A decoded image, upright and stripped of metadata.

    ``image``: float32 HxWx3 sRGB in [0, 1] (for palette art: its colours, with
    transparency ignored). ``alpha``: float32 HxW in [0, 1], or None when the
    file has no transparent pixel. ``orientation``: the EXIF orientation that
    was applied (1: none). ``removed_metadata``: kinds found and left behind,
    among "exif", "gps", "xmp", "iptc", "comment", "text", "icc".
    ``original_size``: the file's (width, height), upright.
    """

    image: np.ndarray
    alpha: np.ndarray | None
    palette: PaletteArt | None
    format: str
    orientation: int
    removed_metadata: tuple[str, ...]
    colour: ColourSource
    original_size: tuple[int, int]    # (width, height) upright, before any scaling down

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


def decode(data: bytes, *, max_pixels: int = MAX_PIXELS, max_side: int | None = None) -> Decoded:
    """Decode an image file's bytes into an upright sRGB array (see ``Decoded``).

    ``max_side`` (pixels): if given, a larger image is scaled down (Lanczos;
    JPEGs first by DCT scaling while decoding) to fit inside ``max_side`` x
    ``max_side`` before it becomes float32 -- a 48 MP canvas never costs 48 MP
    of floats. Palette art's indices are left at full size (they need
    nearest-neighbour scaling); its ``image`` is scaled like any other. Raises ``ImageError`` with code
    ``not_an_image``, ``unsupported_format``, ``image_too_large`` (more than
    ``max_pixels`` pixels) or ``image_damaged``.
    """
    with warnings.catch_warnings():
        # Pillow warns about what we drop anyway (corrupt EXIF, odd chunks): keep stderr quiet;
        # its decompression bomb warning becomes an error so that _open can refuse the file.
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return _decode(data, max_pixels=max_pixels, max_side=max_side)


def _decode(data: bytes, *, max_pixels: int, max_side: int | None) -> Decoded:
    im = _open(data, max_pixels=max_pixels)
    fmt = _FORMAT_NAMES[im.format]
    if fmt == "jpeg":
        _check_jpeg_scans(data)
        upright = _upright_size(im.size, _orientation(_exif(im)))
    if max_side and fmt == "jpeg" and max(im.size) > max_side:
        wanted = fitted_size(*upright, max_side=max_side)
        im.draft(im.mode, wanted if upright == im.size else wanted[::-1])   # stays >= wanted
    try:
        im.load()           # before reading metadata: a PNG may keep its EXIF after the pixels
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError("image_damaged", reason=str(exc)) from exc
    exif = _exif(im)
    removed = _metadata_kinds(im, exif)
    orientation = _orientation(exif)
    if fmt != "jpeg":
        upright = _upright_size(im.size, orientation)
    bits = _bits_per_channel(data, im)
    for method in _ORIENTATION_TRANSPOSE.get(orientation, ()):
        im = im.transpose(method)
    icc = im.info.get("icc_profile") or None
    source_mode = im.mode
    profile_name, transform = _icc_transform(icc, im.mode)
    palette = _palette_art(im, fmt=fmt, transform=transform)
    if max_side and max(im.size) > max_side:
        # also for palette art, whose indices stay full size: 60 MP as float32 RGB is 720 MB
        im = _resized(im, fitted_size(*im.size, max_side=max_side))
    image, alpha = _to_rgb_float(im, transform=transform)
    colour = ColourSource(mode=source_mode, bits=bits, profile=profile_name, converted=transform is not None)
    return Decoded(image=image, alpha=alpha, palette=palette, format=fmt, orientation=orientation,
                   removed_metadata=removed, colour=colour, original_size=upright)


def _upright_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return size[::-1] if orientation >= 5 else size


def fitted_size(width: int, height: int, *, max_side: int) -> tuple[int, int]:
    """(width, height) in pixels scaled down to fit inside ``max_side`` x ``max_side``, aspect kept (never up)."""
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resized(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Lanczos resize to ``size`` (width, height) in a mode Pillow resamples (it premultiplies alpha itself)."""
    if im.mode in ("1", "P", "PA"):
        im = im.convert("RGBA" if im.mode == "PA" or "transparency" in im.info else "RGB")
    elif im.mode.startswith("I;16"):
        im = im.convert("I")
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _open(data: bytes, *, max_pixels: int) -> Image.Image:
    try:
        im = Image.open(io.BytesIO(data), formats=_OPENABLE)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError("image_too_large", max_pixels=max_pixels, reason=str(exc)) from exc
    except UnidentifiedImageError as exc:
        raise _unidentified(data) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError("image_damaged", reason=str(exc)) from exc
    width, height = im.size
    if width * height > max_pixels:
        raise ImageError("image_too_large", width=width, height=height, max_pixels=max_pixels)
    if width < 1 or height < 1:
        raise ImageError("image_damaged", reason="empty image")
    if im.format != "MPO" and getattr(im, "n_frames", 1) > 1:
        raise ImageError("unsupported_format", kind=f"animated {im.format.lower()}")
    return im


def jpeg_scans(data: bytes, *, stop_after: int | None = None) -> int:
    """The number of scans (SOS markers) in a JPEG's bytes, counted without decoding.

    Walks the marker segments (so an EXIF thumbnail's scans are not counted) and
    skips each scan's entropy-coded data; stops counting past ``stop_after``.
    """
    scans, pos = 0, 2                                   # after SOI
    while pos + 4 <= len(data) and (stop_after is None or scans <= stop_after):
        if data[pos] != 0xFF:
            break                                       # damaged: the decoder will say so
        marker = data[pos + 1]
        if marker == 0xFF:                              # fill byte
            pos += 1
            continue
        if marker == 0xD9:                              # EOI
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:    # markers without a length
            pos += 2
            continue
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0xDA:
            scans += 1
            after = _JPEG_MARKER_AFTER_SCAN.search(data, pos)
            pos = after.start() if after else len(data)
    return scans


def _check_jpeg_scans(data: bytes) -> None:
    scans = jpeg_scans(data, stop_after=MAX_JPEG_SCANS)
    if scans > MAX_JPEG_SCANS:
        raise ImageError("image_too_complex", scans=f"more than {MAX_JPEG_SCANS}", limit=MAX_JPEG_SCANS)


def _unidentified(data: bytes) -> ImageError:
    """The error for bytes Pillow (limited to our formats) did not recognise."""
    if data.startswith(_LOOKS_LIKE_OURS) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return ImageError("image_damaged", reason="header unreadable")
    for offset, magic, kind in _OTHER_STILL:
        if data[offset:offset + len(magic)] == magic:
            return ImageError("still_format_unsupported", kind=kind)
    for offset, magic, kind in _VIDEO_OR_OTHER:
        if data[offset:offset + len(magic)] == magic:
            return ImageError("unsupported_format", kind=kind)
    return ImageError("not_an_image")


def _exif(im: Image.Image) -> Image.Exif | None:
    """The parsed EXIF, or None if it is absent or too broken to parse (it is dropped either way)."""
    try:
        exif = im.getexif()
        exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:    # noqa: BLE001 -- Pillow's EXIF parser raises many types on hostile bytes
        return None
    return exif


def _metadata_kinds(im: Image.Image, exif: Image.Exif | None) -> tuple[str, ...]:
    """Kinds of metadata present in the file (all of them are left behind)."""
    kinds = []
    if (exif is not None and len(exif)) or im.info.get("exif"):
        kinds.append("exif")
        if exif is None or exif.get_ifd(ExifTags.IFD.GPSInfo) or ExifTags.IFD.GPSInfo in exif:
            kinds.append("gps")      # unreadable EXIF may hold a location: say it is gone
    info_kinds = {"xmp": ("xmp", "XML:com.adobe.xmp"), "iptc": ("photoshop", "iptc"),
                  "comment": ("comment",), "icc": ("icc_profile",)}
    for kind, keys in info_kinds.items():
        if any(im.info.get(key) for key in keys):
            kinds.append(kind)
    if im.format == "PNG" and getattr(im, "text", None):
        kinds.append("text")
    return tuple(kinds)


def _orientation(exif: Image.Exif | None) -> int:
    value = exif.get(ExifTags.Base.Orientation, 1) if exif is not None else 1
    return value if value in range(1, 9) else 1


def _bits_per_channel(data: bytes, im: Image.Image) -> int:
    if im.mode == "1":
        return 1
    if im.mode.startswith("I"):
        return 16
    if im.format == "PNG" and len(data) > 24 and data[24] == 16:   # IHDR bit depth
        return 16
    return 8


def _icc_transform(icc: bytes | None, mode: str) -> tuple[str | None, ImageCms.ImageCmsTransform | None]:
    """(profile description, transform to sRGB or None when already sRGB/unusable)."""
    if not icc:
        return None, None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        name = (ImageCms.getProfileDescription(source) or "").strip() or "unnamed"
    except (ImageCms.PyCMSError, OSError, ValueError):
        return "unreadable", None
    if "srgb" in name.lower().replace(" ", ""):
        return name, None
    in_mode = {"CMYK": "CMYK", "L": "L", "LA": "L", "I;16": "L", "I": "L"}.get(mode, "RGB")
    try:
        transform = ImageCms.buildTransform(source, ImageCms.createProfile("sRGB"), in_mode, "RGB",
                                            renderingIntent=ImageCms.Intent.PERCEPTUAL)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return name, None
    return name, transform


def _palette_art(im: Image.Image, *, fmt: str, transform) -> PaletteArt | None:
    """The image as palette + indices if it is palette art (PNG/GIF), else None.

    Palette art: a palette or bilevel file, or an RGB(A) PNG with at most 256
    distinct colours (e.g. pixel art saved as truecolour). Greyscale files are
    not palette art: they are usually anti-aliased drawings.
    """
    if fmt not in ("png", "gif"):
        return None
    if im.mode == "P":
        colours = np.array(im.getpalette("RGB"), dtype=np.uint8).reshape(-1, 3)
        alpha = np.full(len(colours), 255, dtype=np.uint8)
        transparency = im.info.get("transparency")
        if isinstance(transparency, int) and transparency < len(alpha):
            alpha[transparency] = 0
        elif isinstance(transparency, bytes):
            alpha[:len(transparency)] = np.frombuffer(transparency, dtype=np.uint8)[:len(alpha)]
        rgba = np.concatenate([colours, alpha[:, None]], axis=1)
        indices = np.asarray(im, dtype=np.uint8)
    elif im.mode in ("1", "RGB", "RGBA"):
        if im.getcolors(256) is None:      # stops counting at 257 colours: cheap for ordinary images
            return None
        rgba_im = im.convert("RGBA")
        found = rgba_im.getcolors(256)
        rgba = np.array([colour for _, colour in found], dtype=np.uint8)
        codes = rgba.astype(np.uint32) @ np.array([1 << 24, 1 << 16, 1 << 8, 1], dtype=np.uint32)
        order = np.argsort(codes)
        rgba, codes = rgba[order], codes[order]
        # In bands of rows: a whole 60 MP image's pixel codes and int64 positions would take 720 MB.
        indices = np.empty((rgba_im.height, rgba_im.width), dtype=np.uint8)
        for top in range(0, rgba_im.height, _ROW_BLOCK):
            band = rgba_im.crop((0, top, rgba_im.width, min(top + _ROW_BLOCK, rgba_im.height)))
            pixels = np.asarray(band, dtype=np.uint8).view(">u4")[..., 0]
            indices[top:top + _ROW_BLOCK] = np.searchsorted(codes, pixels)
    else:
        return None
    if transform is not None:
        strip = Image.fromarray(np.ascontiguousarray(rgba[None, :, :3]), "RGB")
        rgba = np.concatenate([np.asarray(ImageCms.applyTransform(strip, transform))[0], rgba[:, 3:]], axis=1)
    return PaletteArt(indices=indices, colours=rgba.astype(np.float32) / 255)


def _to_rgb_float(im: Image.Image, *, transform) -> tuple[np.ndarray, np.ndarray | None]:
    """(float32 HxWx3 sRGB, float32 HxW alpha or None) from any opened image."""
    alpha = None
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        im = im.convert("RGBA") if im.mode not in ("LA", "La") else im.convert("LA")
        channel = np.asarray(im.getchannel("A"))
        if channel.min() < 255:
            alpha = to_float(channel)
        im = im.convert("RGB") if im.mode == "RGBA" else im.convert("L")
    if im.mode.startswith("I"):        # 16-bit greyscale: scale, do not clip to 8 bits
        grey = np.asarray(im).astype(np.float32) * np.float32(1 / 65535)
        np.clip(grey, 0, 1, out=grey)
        if transform is not None:      # greyscale profiles are applied at 8 bits
            grey = to_float(np.asarray(ImageCms.applyTransform(Image.fromarray(to_uint8(grey), "L"), transform)))
            return grey, alpha
        return np.repeat(grey[..., None], 3, axis=2), alpha
    if im.mode == "1":
        im = im.convert("L")
    if im.mode == "P":
        im = im.convert("RGB")
    if transform is not None and im.mode in ("RGB", "CMYK", "L"):
        im = ImageCms.applyTransform(im, transform)
    elif im.mode != "RGB":
        im = im.convert("RGB")
    return to_float(np.asarray(im)), alpha


def to_float(pixels: np.ndarray) -> np.ndarray:
    """float32 in [0, 1] from uint8 pixels (any shape), without a float64 copy."""
    out = pixels.astype(np.float32)
    out *= np.float32(1 / 255)
    return out


def to_uint8(image: np.ndarray) -> np.ndarray:
    """uint8 pixels (rounded, clipped) from float32 in [0, 1], any shape.

    Works in blocks of rows so that a 16-megapixel image needs no full-size
    float temporaries.
    """
    out = np.empty(image.shape, dtype=np.uint8)
    scratch = np.empty(image[:_ROW_BLOCK].shape, dtype=np.float32)
    for start in range(0, image.shape[0], _ROW_BLOCK):
        block = scratch[:min(_ROW_BLOCK, image.shape[0] - start)]
        np.multiply(image[start:start + _ROW_BLOCK], np.float32(255), out=block)
        np.add(block, np.float32(0.5), out=block)
        np.clip(block, 0, 255, out=block)
        out[start:start + _ROW_BLOCK] = block
    return out


_RESAMPLING = {"lanczos": Image.Resampling.LANCZOS, "bicubic": Image.Resampling.BICUBIC,
               "bilinear": Image.Resampling.BILINEAR, "box": Image.Resampling.BOX}


def resize(image: np.ndarray, *, width: int, height: int,
           resample: Literal["lanczos", "bicubic", "bilinear", "box"] = "lanczos") -> np.ndarray:
    """float32 ``image`` (HxW or HxWxC, any values: pictures, signed perturbations, gradients) resampled to
    ``height`` x ``width`` pixels in float, channel by channel (antialiased when shrinking); a new array.

    Exact to float32; ``resize_8bit`` is faster for a picture about to be encoded.
    """
    if image.shape[:2] == (height, width):
        return image.astype(np.float32, copy=True)
    planes = image if image.ndim == 3 else image[..., None]
    channels = [np.asarray(Image.fromarray(np.ascontiguousarray(planes[..., c], np.float32), mode="F")
                           .resize((width, height), _RESAMPLING[resample])) for c in range(planes.shape[2])]
    resized = np.stack(channels, axis=-1).astype(np.float32)
    return resized if image.ndim == 3 else resized[..., 0]


def resize_8bit(image: np.ndarray, *, width: int, height: int) -> np.ndarray:
    """float32 HxWx3 picture in [0, 1] resampled (Lanczos) to ``height`` x ``width`` pixels through 8-bit
    pixels: several times faster than ``resize`` and rounded to 1/255, as the encoded output is anyway."""
    return to_float(np.asarray(_resized(Image.fromarray(to_uint8(image), "RGB"), (width, height))))


def jpeg_round_trip(image: np.ndarray, *, quality: int, subsampling: str = "4:2:0") -> np.ndarray:
    """float32 HxWx3 in [0, 1]: ``image`` (the same) after a JPEG encode at ``quality`` and a decode."""
    return decode(encode_jpeg(image, quality=quality, subsampling=subsampling)).image


def encode_jpeg(image: np.ndarray, *, quality: int = 85, subsampling: str = "4:2:0",
                progressive: bool = False) -> bytes:
    """JPEG bytes of a float32 HxWx3 sRGB image, with no metadata at all: baseline, or ``progressive`` (the same
    pixels in 4-8 % fewer bytes).

    ``quality``: libjpeg quality 1-100; ``subsampling``: "4:2:0", "4:2:2" or "4:4:4".
    """
    buf = io.BytesIO()
    Image.fromarray(to_uint8(image), "RGB").save(buf, "JPEG", quality=quality, subsampling=subsampling,
                                                 optimize=True, progressive=progressive)
    return buf.getvalue()


def encode_webp(image: np.ndarray, *, quality: int = 80) -> bytes:
    """Lossy WebP bytes of a float32 HxWx3 sRGB image (``quality`` 1-100), as image CDNs serve them."""
    buf = io.BytesIO()
    Image.fromarray(to_uint8(image), "RGB").save(buf, "WEBP", quality=quality)
    return buf.getvalue()


def encode_png(image: np.ndarray, *, compress_level: int = 6) -> bytes:
    """Lossless 8-bit RGB PNG bytes of a float32 HxWx3 sRGB image, with no metadata; ``compress_level`` 0-9
    (zlib: 9 is the smallest file and the slowest)."""
    buf = io.BytesIO()
    Image.fromarray(to_uint8(image), "RGB").save(buf, "PNG", compress_level=compress_level)
    return buf.getvalue()


def encode_png_palette(art: PaletteArt) -> bytes:
    """PNG8 bytes of palette art: its own palette and per-entry transparency, no metadata."""
    im = Image.fromarray(art.indices, "P")
    rgba = to_uint8(art.colours)
    im.putpalette(rgba[:, :3].tobytes(), "RGB")
    params = {}
    if (rgba[:, 3] < 255).any():
        last_transparent = int(np.nonzero(rgba[:, 3] < 255)[0].max())
        params["transparency"] = rgba[:last_transparent + 1, 3].tobytes()
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True, **params)
    return buf.getvalue()
