"""The invisible mark on the full-colour route: embed (stronger from the start where the site asks for it and the
picture has room), encode, read back from what reaches the site; once more, stronger, when it does not read.

Each try is an ``Attempt``; the one kept is the retry when it reads at full size (it is the stronger mark), else
the first when that did.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import imageio, mark
from ..arrays import luma
from . import xoutput
from .prepare import downscale
from .sites import Site

RETRY_FACTOR = 1.4           # the mark is at most this many times the person's strength (the one retry when it
                             # does not read back, a site's raise: sites.py)...
RETRY_PSNR = 42.3            # ...and a retry keeps the luma PSNR above 42 dB (dB, 8-bit)
STRENGTH_LIMIT = 4.0         # the highest strength the settings allow
PSNR_BAND_ROWS = 256         # rows of the luma PSNR computed at a time (8-bit and float copies of a band, not the image)


@dataclass(frozen=True)
class Attempt:
    """One try: the file it made, the strength it marked at, and what reading the mark back found."""

    output: xoutput.Output
    strength: float
    psnr_db: float                    # luma PSNR of the marked pixels against the unmarked ones (dB, 8-bit)
    detection: mark.Detection         # read from what reaches the site (the file, or its web client's re-encode)
    small: mark.Detection | None      # read from the site's smallest served size; None if the full size did not read
    raised_for_site: bool = False     # marked stronger than asked, for the site's target PSNR (site_raise)


@dataclass(frozen=True)
class Marked:
    """Every attempt made, in order, and the one kept."""

    attempts: tuple[Attempt, ...]
    kept: Attempt

    @property
    def retried(self) -> bool:
        return len(self.attempts) > 1

    @property
    def raised(self) -> bool:
        """The stronger retry is the one kept."""
        return self.retried and self.kept is self.attempts[-1]


def mark_encode_verify(handed_over: list[np.ndarray], *, key: bytes, payload: mark.Payload, strength: float,
                       site: Site, encode: Callable[[np.ndarray], xoutput.Output],
                       stage: Callable[[str], None]) -> Marked:
    """Mark at ``strength`` (or stronger where the site asks for it: ``site_raise``), encode and read the mark back
    from the encoded file and from the site's smallest served size of it (``site.check_side``); once more, stronger
    (within RETRY_PSNR and RETRY_FACTOR times ``strength``), if either does not read.

    ``handed_over``: a list holding the only reference to the float32 HxWx3 image; it is emptied, so the float
    image is freed once marked and only an 8-bit copy (a quarter of the size) waits for the retry: at 16 MP,
    reading the mark back then needs 144 MB less. ``stage(step)`` is called as each encode and verify begins.
    """
    def attempt(image: np.ndarray, at: float, *, first: bool) -> Attempt:
        marked = mark.embed(image, key=key, payload=payload, strength=at)
        psnr_db = luma_psnr(marked, unmarked)
        raised = site_raise(site, psnr_db) if first else 1.0
        if raised > 1.0:
            del marked
            at = min(STRENGTH_LIMIT, at * raised)
            marked = mark.embed(image, key=key, payload=payload, strength=at)
            psnr_db = luma_psnr(marked, unmarked)
        del image
        stage("encode")
        output = encode(marked)
        del marked
        stage("verify")
        # What reaches the site: the file itself, or the site's web client's re-encode of it (xoutput.ClientChoice).
        saved = imageio.decode(output.client.uploaded if output.client else output.data).image
        detection = mark.detect(saved, key=key)
        small = mark.detect(served_small(saved, site), key=key) if reads(detection, payload) else None
        return Attempt(output=output, strength=at, psnr_db=psnr_db, detection=detection, small=small,
                       raised_for_site=raised > 1.0)

    unmarked = imageio.to_uint8(handed_over[0])        # what a retry starts from
    first = attempt(handed_over.pop(), strength, first=True)
    stronger = float(min(STRENGTH_LIMIT, strength * RETRY_FACTOR,
                         first.strength * 10 ** ((first.psnr_db - RETRY_PSNR) / 20)))
    if (first.small is not None and reads(first.small, payload)) or stronger <= first.strength * 1.01:
        return Marked(attempts=(first,), kept=first)
    retry = attempt(imageio.to_float(unmarked), stronger, first=False)
    return Marked(attempts=(first, retry), kept=retry if reads(retry.detection, payload) or
                  not reads(first.detection, payload) else first)


def site_raise(site: Site, psnr_db: float) -> float:
    """How many times stronger to make a first mark whose luma PSNR is ``psnr_db`` for ``site``: as much as keeps
    the site's ``mark_psnr_target_db``, at most RETRY_FACTOR; 1.0 for a site without one, and for a raise under
    10 %, not worth a second embed."""
    if site.mark_psnr_target_db is None:
        return 1.0
    raised = min(RETRY_FACTOR, 10 ** ((psnr_db - site.mark_psnr_target_db) / 20))
    return raised if raised > 1.1 else 1.0


def reads(detection: mark.Detection, payload: mark.Payload) -> bool:
    """The detection found this very payload."""
    return detection.marked and detection.payload == payload


def served_small(image: np.ndarray, site: Site) -> np.ndarray:
    """``image`` as the site serves it smallest, decoded: fitted inside ``site.check_side`` px (Lanczos; enlarged
    too where the site does) and encoded as the site's check says (X's ``small``: JPEG q85 4:2:0; Bluesky's
    ``feed_fullsize``: WebP q80)."""
    height, width = image.shape[:2]
    if site.check_enlarges and max(height, width) < site.check_side:
        scale = site.check_side / max(height, width)
        small = imageio.resize_8bit(image, width=max(1, round(width * scale)), height=max(1, round(height * scale)))
    else:
        small = downscale(image, max_side=site.check_side)
    if site.check_format == "webp":
        return imageio.decode(imageio.encode_webp(small, quality=site.check_quality)).image
    return imageio.jpeg_round_trip(small, quality=site.check_quality)


def luma_psnr(marked: np.ndarray, unmarked: np.ndarray) -> float:
    """PSNR (dB) of the 8-bit luma of ``marked`` (float32) against ``unmarked`` (uint8), over every pixel, a band
    of rows at a time. (Every 4th row was biased by up to 0.9 dB where the mark's cells are 4 px: each sampled row
    fell at the same place between two cells.)"""
    squares = 0.0
    for top in range(0, len(marked), PSNR_BAND_ROWS):
        rows = slice(top, top + PSNR_BAND_ROWS)
        difference = luma(imageio.to_uint8(marked[rows]) / np.float32(255)) - luma(unmarked[rows] / np.float32(255))
        squares += float(np.sum(np.square(255 * difference, dtype=np.float64)))
    mse = squares / (marked.shape[0] * marked.shape[1])
    return 99.0 if mse == 0 else float(10 * np.log10(255.0**2 / mse))
