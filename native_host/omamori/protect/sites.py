"""The sites omamori makes images for, and what each keeps: the output profile the pipeline encodes to.

X keeps a JPEG of quality 85 or less, inside 4096 px and 5 MB, and palette PNGs, as they are (xoutput.py).
Bluesky's web app (bluesky-social/social-app, ``compressImage``) re-encodes every image it uploads to a JPEG
inside 2000 x 2000 px and under 1,000,000 bytes, at the highest quality that fits (and shrinks it when even a low
quality does not): a file already within both limits is re-encoded at its own size and a quality at or above
omamori's, never shrunk; a palette PNG would become a JPEG anyway, so it gets omamori's full-colour route (with
the mark). platforms/bluesky.py models it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..platforms import x


@dataclass(frozen=True)
class Site:
    """Where the protected image goes, and the limits its output keeps to."""

    id: str                 # "x" | "bluesky": the protect request's ``profile`` for it
    name: str               # as people write it, in both languages
    max_side: int           # pixels: the output fits inside max_side x max_side
    max_bytes: int          # bytes: the output is at most this
    keeps_png8: bool        # the site keeps a palette PNG as it is
    check_side: int         # pixels: the mark is read back from a copy fitted inside this (the smallest size
                            # the site serves that shows the whole picture)...
    check_enlarges: bool    # ...enlarged to it when smaller (Bluesky's CDN does)...
    check_format: str       # ..."jpeg" (4:2:0) or "webp"...
    check_quality: int      # ...at this quality (its byte limit as people read it: ``report.limit.<id>``)
    client_min_pixels_per_byte: float | None = None   # the site's web client re-encodes a JPEG denser than this
    mark_psnr_target_db: float | None = None   # dB: the mark starts as strong as keeps this luma PSNR, up to 1.4
                                               # times the person's strength (marking.RETRY_FACTOR)


X = Site(id="x", name="X", max_side=4096, max_bytes=5_000_000, keeps_png8=True, check_side=680,
         check_enlarges=False, check_format="jpeg", check_quality=85,
         client_min_pixels_per_byte=x.CLIENT_MIN_JPEG_PIXELS_PER_BYTE)
# Bluesky's limit is 1,000,000 bytes (the app.bsky.embed.images lexicon's maxSize); one byte under it, so that
# the file is "under 1,000,000 bytes" whichever way the site counts. Its CDN's smaller preset (feed_fullsize)
# fits the image inside 1000 px, enlarging smaller ones, as JPEG q100 or WebP q80: the WebP is the harsher. It
# smooths away the mark's one grey level on flat colour and gradients, so there the mark starts stronger, as
# far as 44.5 dB (the bar is 44; docs/mark.md "On Bluesky" has the figures).
BLUESKY = Site(id="bluesky", name="Bluesky", max_side=2000, max_bytes=999_999, keeps_png8=False, check_side=1000,
               check_enlarges=True, check_format="webp", check_quality=80, mark_psnr_target_db=44.5)
SITES = {site.id: site for site in (X, BLUESKY)}
