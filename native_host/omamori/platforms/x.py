"""X's image pipeline as reported: what its web client sends, what X stores, what it serves.

X documents none of this. The rules are the reported behaviour collected in the project's research notes on X's
web client (sections 5 and 10: X's announcements of 2018-2019, its web build of 2025-07, measurements of served
sizes) and may change without notice; the model is a realistic approximation, not a replica. Three stages:

* ``client_upload``: the web composer sends the file unchanged, unless one of its rules fires
  (``client_reencode_reason``); then it draws the image on a canvas and sends a JPEG at quality 0.85.
* ``store``: what X keeps: a JPEG above quality 85 (or with an EXIF orientation) re-encoded at 85, PNG8 kept,
  another PNG kept only when smaller than its JPEG q85 (or when transparent), WebP always JPEG q85, metadata
  stripped, everything inside 4096 x 4096.
* ``serve``: the size variants of ``https://pbs.twimg.com/media/<id>?name=<variant>``.

Assumptions of the model (not reported): resampling is Lanczos on X's servers and bilinear on the client's canvas;
a variant the stored image already fits in is the stored file itself; a downscaled variant is a JPEG q85 4:2:0
even when X stored a PNG (the harsher case); animated GIFs (which X turns into MP4) are not modelled.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageCms, ImageOps

JPEG_QUALITY = 85                        # X's re-encode quality, and the web client's canvas quality (0.85)
MAX_SIDE = 4096                          # pixels: stored images fit inside MAX_SIDE x MAX_SIDE
MAX_UPLOAD_BYTES = 5 * 1024 * 1024       # bytes: the web client re-encodes a larger file (5,242,880)
CLIENT_MIN_JPEG_PIXELS_PER_BYTE = 6      # X's switch responsive_web_media_upload_target_jpg_pixels_per_byte
SERVED = {                               # variant name -> bounding box in pixels (None: the stored file)
    "orig": None,
    "4096x4096": (4096, 4096),
    "large": (2048, 2048),
    "medium": (1200, 1200),
    "900x900": (900, 900),
    "small": (680, 680),
    "thumb": (150, 150),                 # a 150 x 150 centre crop, not a fit inside
}
CROP_RATIOS = {"16:9": (16, 9), "1:1": (1, 1)}   # X's composer crop tool besides "free"
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")   # the composer's file types (a camera MPO opens as JPEG)

# Reasons client_reencode_reason gives, in the order it checks them.
REASON_SIDE = "side_over_4096"
REASON_BYTES = "over_5_mib"
REASON_ORIENTATION = "exif_orientation"
REASON_CROPPED = "cropped"
REASON_PIXELS_PER_BYTE = "jpeg_under_6_pixels_per_byte"

_ORIENTATION_TAG = 0x0112
_PNG_METADATA_CHUNKS = (b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME")
_JPEG_METADATA_MARKERS = (0xE1, 0xED, 0xFE)   # APP1 (EXIF, XMP), APP13 (IPTC), COM
_LIBJPEG_LUMA_BASE = np.array([          # libjpeg's luminance table at quality 50 (ITU-T T.81 Annex K), row by row
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], dtype=np.int64)


def client_reencode_reason(data: bytes, *, cropped: bool = False) -> str | None:
    """Which of the web client's re-encode rules fires for a file the person attaches, or None.

    ``cropped``: the person cropped or edited the image in X's composer. Rules, in this order:
    ``"side_over_4096"`` (a side over MAX_SIDE pixels), ``"over_5_mib"`` (over MAX_UPLOAD_BYTES),
    ``"exif_orientation"`` (an EXIF orientation other than 1), ``"cropped"``, and
    ``"jpeg_under_6_pixels_per_byte"`` (a JPEG with fewer than CLIENT_MIN_JPEG_PIXELS_PER_BYTE pixels per byte
    of file, i.e. more than 1.33 bits per pixel). A GIF is never re-encoded by the client.

    Raises ValueError for a file X's composer does not accept (anything but JPEG, PNG, WebP, GIF).
    """
    im = _open(data)
    if im.format == "GIF":
        return None
    if max(im.size) > MAX_SIDE:
        return REASON_SIDE
    if len(data) > MAX_UPLOAD_BYTES:
        return REASON_BYTES
    if im.getexif().get(_ORIENTATION_TAG, 1) != 1:
        return REASON_ORIENTATION
    if cropped:
        return REASON_CROPPED
    if _is_jpeg(im) and im.width * im.height < CLIENT_MIN_JPEG_PIXELS_PER_BYTE * len(data):
        return REASON_PIXELS_PER_BYTE
    return None


def client_upload(data: bytes, *, crop: str | tuple | None = None) -> bytes:
    """The bytes X's web client uploads for an attached file: ``data`` itself, or a canvas re-encode.

    ``crop``: what the person did with the composer's crop tool, or None. ``"16:9"`` and ``"1:1"`` crop the
    centre (X's editor starts there); ``"free"`` keeps the whole image but counts as edited; a box
    ``(left, top, right, bottom)`` in pixels of the upright image, or ``("free", box)``, is a free crop.

    When ``client_reencode_reason`` fires, the client draws the image upright (EXIF orientation applied, colour
    profile converted to sRGB) on a canvas no larger than MAX_SIDE and encodes JPEG at quality 0.85; a canvas has
    no alpha in JPEG, so transparent pixels come out black. The browser's encoder (libjpeg-turbo in Chromium,
    4:2:0 chroma) is approximated here by Pillow's JPEG at quality 85, 4:2:0, and the canvas's scaling by
    bilinear resampling; bytes differ from a real browser's, the rules and sizes do not.
    """
    box = _crop_box(crop)
    reason = client_reencode_reason(data, cropped=crop is not None)
    if reason is None:
        return data
    im = _canvas_pixels(_open(data))
    if box is not None:
        im = im.crop(_box_in(box, im.size))
    return _encode_jpeg(_fit_inside(im, (MAX_SIDE, MAX_SIDE), Image.Resampling.BILINEAR))


def store(data: bytes) -> bytes:
    """The bytes X stores for an uploaded file (what ``serve(stored, "orig")`` returns).

    * JPEG: kept as uploaded (metadata stripped: EXIF, XMP, IPTC, comments; not the colour segments) when its
      quality is at most 85, it has no EXIF orientation and fits MAX_SIDE; otherwise re-encoded upright at q85.
    * PNG: a palette PNG (PNG8) is kept, metadata stripped; a transparent PNG stays PNG (reported in 2016,
      unconfirmed since); another PNG becomes the smaller of itself and its JPEG q85.
    * WebP and still GIF: always JPEG q85 (transparency flattened onto white).
    * Anything larger than MAX_SIDE is fitted inside it first (and the PNG rule applied to the fitted image).

    The web client's upload limit is ``client_upload``'s business: ``store`` takes any size.
    """
    im = _open(data)
    fits = max(im.size) <= MAX_SIDE
    box = (MAX_SIDE, MAX_SIDE)
    if _is_jpeg(im):
        upright = im.getexif().get(_ORIENTATION_TAG, 1) == 1
        quality = estimate_jpeg_quality(im)
        if fits and upright and quality is not None and quality <= JPEG_QUALITY:
            return _strip_jpeg_metadata(data)
        return _encode_jpeg(_fit_inside(_flatten(ImageOps.exif_transpose(im)), box, Image.Resampling.LANCZOS))
    if im.format == "PNG":
        transparent = _has_alpha(im)
        if fits and (im.mode == "P" or transparent):
            return _strip_png_metadata(data)
        if fits:
            png = _strip_png_metadata(data)
            jpeg = _encode_jpeg(_flatten(im))
        else:
            fitted = _fit_inside(im.convert("RGBA" if transparent else "RGB"), box, Image.Resampling.LANCZOS)
            if transparent:
                return _encode_png(fitted)
            png, jpeg = _encode_png(fitted), _encode_jpeg(fitted)
        return png if len(png) < len(jpeg) else jpeg
    return _encode_jpeg(_fit_inside(_flatten(im), box, Image.Resampling.LANCZOS))


def serve(stored: bytes, variant: str) -> bytes:
    """The bytes X serves for a stored file at a size ``variant`` (a key of SERVED).

    ``"orig"`` and any variant whose box the stored image fits in are the stored file itself; a larger image is
    fitted inside the box (Lanczos) and encoded JPEG q85 4:2:0; ``"thumb"`` is a 150 x 150 centre crop.
    Raises ValueError for an unknown variant.
    """
    if variant not in SERVED:
        raise ValueError(f"unknown variant {variant!r}; X serves {', '.join(SERVED)}")
    box = SERVED[variant]
    if box is None:
        return stored
    im = _open(stored)
    if variant == "thumb":
        return _encode_jpeg(ImageOps.fit(_flatten(im), box, Image.Resampling.LANCZOS))
    if im.width <= box[0] and im.height <= box[1]:
        return stored
    return _encode_jpeg(_fit_inside(_flatten(im), box, Image.Resampling.LANCZOS))


def estimate_jpeg_quality(image: bytes | Image.Image) -> int | None:
    """The libjpeg quality (1-100) whose luminance table is nearest (L1) to the JPEG's, or None if not a JPEG.

    ``image``: the file's bytes or an opened Pillow image. For other encoders it is the nearest libjpeg
    equivalent, as X's own check must be.
    """
    im = _open(image) if isinstance(image, bytes) else image
    tables = getattr(im, "quantization", None) if _is_jpeg(im) else None
    if not tables:
        return None
    luma = np.array(tables[min(tables)], dtype=np.int64)
    errors = np.abs(_libjpeg_luma_tables() - luma).sum(axis=1)
    return int(np.argmin(errors)) + 1


def _libjpeg_luma_tables() -> np.ndarray:
    """int64 100x64: libjpeg's luminance table at quality 1..100 (row q-1), its jpeg_quality_scaling rule."""
    quality = np.arange(1, 101, dtype=np.int64)
    scale = np.where(quality < 50, 5000 // quality, 200 - 2 * quality)
    return np.clip((_LIBJPEG_LUMA_BASE[None, :] * scale[:, None] + 50) // 100, 1, 255)


def _open(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Exception as error:   # Pillow raises several kinds for bytes it cannot read
        raise ValueError(f"X's composer accepts JPEG, PNG, WebP and GIF only ({error})") from error


def _is_jpeg(im: Image.Image) -> bool:
    return im.format in ("JPEG", "MPO")


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info


def _crop_box(crop: str | tuple | None) -> str | tuple | None:
    """The crop as a named ratio, "free", a 4-tuple box, or None; ValueError for anything else."""
    if isinstance(crop, tuple) and len(crop) == 2 and crop[0] == "free":
        crop = tuple(crop[1])
    if crop is None or crop == "free" or crop in CROP_RATIOS:
        return crop
    if isinstance(crop, tuple) and len(crop) == 4 and crop[0] < crop[2] and crop[1] < crop[3]:
        return crop
    raise ValueError(f"crop must be None, 'free', ('free', box), a box (left, top, right, bottom), "
                     f"or one of {', '.join(CROP_RATIOS)}; got {crop!r}")


def _box_in(crop: str | tuple, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Pixel box of ``crop`` in an image of ``size`` (width, height); a named ratio is centred, as large as fits."""
    width, height = size
    if crop == "free":
        return 0, 0, width, height
    if crop in CROP_RATIOS:
        ratio_w, ratio_h = CROP_RATIOS[crop]
        crop_w = min(width, round(height * ratio_w / ratio_h))
        crop_h = min(height, round(crop_w * ratio_h / ratio_w))
        left, top = (width - crop_w) // 2, (height - crop_h) // 2
        return left, top, left + crop_w, top + crop_h
    left, top, right, bottom = (int(v) for v in crop)
    return max(0, left), max(0, top), min(width, right), min(height, bottom)


def _canvas_pixels(im: Image.Image) -> Image.Image:
    """RGB pixels as a canvas JPEG holds them: upright, sRGB, transparency over black (premultiplied alpha)."""
    icc = im.info.get("icc_profile")
    im = ImageOps.exif_transpose(im)
    im = im.convert("RGBA" if _has_alpha(im) else "RGB")
    if icc:
        try:
            im = ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                           ImageCms.createProfile("sRGB"), outputMode=im.mode)
        except ImageCms.PyCMSError:
            pass   # a browser draws an unreadable profile's pixels as they are
    if im.mode == "RGBA":
        black = Image.new("RGB", im.size, (0, 0, 0))
        black.paste(im, mask=im.getchannel("A"))
        return black
    return im


def _flatten(im: Image.Image) -> Image.Image:
    """RGB copy of any image, transparency flattened onto white."""
    if _has_alpha(im):
        im = im.convert("RGBA")
        white = Image.new("RGB", im.size, (255, 255, 255))
        white.paste(im, mask=im.getchannel("A"))
        return white
    return im.convert("RGB")


def _fit_inside(im: Image.Image, box: tuple[int, int], resample: Image.Resampling) -> Image.Image:
    """Scaled down (never up) to fit inside ``box`` (width, height), keeping the aspect ratio."""
    scale = min(box[0] / im.width, box[1] / im.height)
    if scale >= 1:
        return im
    return im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), resample)


def _encode_jpeg(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "JPEG", quality=JPEG_QUALITY, subsampling="4:2:0")
    return buf.getvalue()


def _encode_png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _strip_jpeg_metadata(data: bytes) -> bytes:
    """The JPEG without its APP1 (EXIF, XMP), APP13 (IPTC) and comment segments; not re-encoded.

    JFIF, ICC (APP2) and Adobe (APP14) segments stay: they change the colours.
    """
    out, i = bytearray(data[:2]), 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if marker == 0xDA:   # start of scan: the rest is image data
            break
        if marker not in _JPEG_METADATA_MARKERS:
            out += data[i:i + 2 + length]
        i += 2 + length
    return bytes(out + data[i:])


def _strip_png_metadata(data: bytes) -> bytes:
    """The PNG without its text, time and EXIF chunks; not re-encoded."""
    out, i = bytearray(data[:8]), 8
    while i + 8 <= len(data):
        length = int.from_bytes(data[i:i + 4], "big")
        if data[i + 4:i + 8] not in _PNG_METADATA_CHUNKS:
            out += data[i:i + 12 + length]
        i += 12 + length
    return bytes(out)
