"""Bluesky's image pipeline, from its open source: what the web app sends, what is stored, what is served.

Unlike X, Bluesky publishes the code of both ends, and the model follows it (the API mirrors platforms/x.py):

* ``client_upload``: the web app (bluesky-social/social-app, ``compressImage`` in src/lib/media/image/compress.ts,
  called for every attached image when the post is sent) draws the image on a canvas fitted inside 2000 x 2000
  (sides rounded down) and encodes JPEG, searching for the highest quality (1-100, by halving) whose file is at
  most 1,000,000 bytes; when the search falls to quality 13 or below it starts again with the box 0.8 times
  smaller, four times at most. Every image is re-encoded, whatever its size.
* ``store``: the PDS keeps the uploaded blob as it is; a post refuses an image blob over 1,000,000 bytes
  (the ``app.bsky.embed.images`` lexicon's maxSize).
* ``serve``: the image CDN's presets (bluesky-social/atproto, packages/bsky/src/image/uri.ts and sharp.ts):
  ``feed_thumbnail`` fitted inside 2000 x 2000 and ``feed_fullsize`` inside 1000 x 1000 (the names as the source
  has them), enlarged when smaller (``min: true``), Lanczos (sharp's default kernel), re-encoded as JPEG quality
  100 (the ``@jpeg`` the app asks for; sharp's default subsampling 4:2:0) or WebP (sharp's default quality 80),
  metadata dropped.

Assumptions of the model (not in the source): the browser's canvas scales bilinearly and its JPEG encoder is
libjpeg-turbo's at 4:2:0 (approximated by Pillow's); a transparent pixel comes out black on the canvas; the
production CDN does what the open code's presets document.
"""
from __future__ import annotations

import io
import math

from PIL import Image

from . import x

MAX_SIDE = 2000                      # pixels: the web app fits every image inside MAX_SIDE x MAX_SIDE
MAX_BYTES = 1_000_000                # bytes: the app's target, and the largest image blob a post accepts
SHRINK = 0.8                         # the app's box shrinks by this when no quality above 13 fits
MIN_QUALITY = 13                     # at or below this, the app shrinks instead of lowering the quality
SHRINK_ATTEMPTS = 4
SERVED = {"feed_thumbnail": (2000, 2000), "feed_fullsize": (1000, 1000)}   # preset -> box (fit inside, enlarge)
SERVED_FORMATS = {"jpeg": 100, "webp": 80}                                   # format -> quality
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


def client_upload(data: bytes) -> bytes:
    """The bytes Bluesky's web app uploads for an attached file: always a canvas JPEG (see the module docstring).

    Raises ValueError for a file the app cannot read, or when no quality and size it tries fits MAX_BYTES
    (the app then refuses the post: "Unable to compress image").
    """
    source = x._canvas_pixels(_open(data))
    box = MAX_SIDE
    low, high = 0, 101               # the quality searched for lies in (low, high); high is exclusive
    attempts = 0
    best = None
    while high - low > 1 and attempts < SHRINK_ATTEMPTS:
        quality = math.floor((low + high) / 2 + 0.5)          # JavaScript's Math.round
        if quality <= MIN_QUALITY:
            low, high, attempts = 0, 101, attempts + 1
            box = math.floor(box * SHRINK)
            continue
        encoded = _encode_jpeg(_contain(source, box), quality=quality)
        if len(encoded) <= MAX_BYTES:
            low, best = quality, encoded
        else:
            high = quality
    if best is None:
        raise ValueError("Bluesky's app cannot compress this image under 1,000,000 bytes")
    return best


def store(data: bytes) -> bytes:
    """What Bluesky keeps of an uploaded image blob: the blob itself. Raises ValueError over MAX_BYTES (the post is
    refused) or for a file that is not an image."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"an image blob of a post is at most {MAX_BYTES:,} bytes (got {len(data):,})")
    _open(data)
    return data


def serve(stored: bytes, variant: str, *, format: str = "jpeg") -> bytes:
    """The bytes Bluesky's CDN serves for a stored image at a preset ``variant`` (a key of SERVED) in ``format``
    ("jpeg", as the app asks, or "webp"). Raises ValueError for an unknown preset or format."""
    if variant not in SERVED or format not in SERVED_FORMATS:
        raise ValueError(f"Bluesky serves {', '.join(SERVED)} as {' or '.join(SERVED_FORMATS)}; "
                         f"got {variant!r} as {format!r}")
    im = x._flatten(_open(stored))
    box = SERVED[variant]
    scale = min(box[0] / im.width, box[1] / im.height)       # min: true -- smaller images are enlarged
    size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
    if size != im.size:
        im = im.resize(size, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    if format == "jpeg":
        im.save(buf, "JPEG", quality=SERVED_FORMATS["jpeg"], subsampling="4:2:0")
    else:
        im.save(buf, "WEBP", quality=SERVED_FORMATS["webp"])
    return buf.getvalue()


def _contain(im: Image.Image, box: int) -> Image.Image:
    """The app's containImageRes: scaled (bilinear, as a canvas draws) to fit inside ``box``, sides rounded down."""
    if im.width <= box and im.height <= box:
        return im
    scale = box / max(im.width, im.height)
    return im.resize((math.floor(im.width * scale), math.floor(im.height * scale)), Image.Resampling.BILINEAR)


def _encode_jpeg(im: Image.Image, *, quality: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, subsampling="4:2:0")
    return buf.getvalue()


def _open(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Exception as error:   # Pillow raises several kinds for bytes it cannot read
        raise ValueError(f"Bluesky's app takes JPEG, PNG, WebP and GIF images ({error})") from error
