"""The palette route: palette art the site keeps as a PNG8 stays one, so the signature and the mark are drawn
with palette colours, the cloak (which needs full colour) is left out, and the PNG8 is read back like any output.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import imageio, mark
from ..imageio import Decoded
from ..settings import Settings
from . import report, visible, xoutput
from .fingerprint import perceptual_hash
from .marking import reads, served_small
from .sites import Site


@dataclass(frozen=True)
class PaletteProtected:
    """The PNG8 made, the original's perceptual hash, the mark (None when none was added) and the decisions."""

    output: xoutput.Output
    fingerprint: int
    mark_id: str | None
    verified: bool | None
    decisions: tuple[report.Decision, ...]


def protect_palette(decoded: Decoded, *, settings: Settings, font: visible.SignatureFont,
                    payload: mark.Payload | None, key: bytes, max_side: int, site: Site, rng: np.random.Generator,
                    stage: Callable[[str], None]) -> PaletteProtected:
    """Protect ``decoded`` (its ``palette`` set) as a PNG8 fitted inside ``max_side`` px: the signature in
    ``font``, the mark carrying ``payload`` (None: the mark is off) under ``key``. ``stage(step)`` is called as
    the signature, mark, encode and verify steps begin."""
    art = decoded.palette
    source_colours = len(art.colours)
    decisions = [report.transparency(kept=decoded.alpha is not None)]
    full_height, full_width = art.indices.shape          # decoded.image may be scaled down already
    width, height = imageio.fitted_size(full_width, full_height, max_side=max_side)
    if (width, height) != (full_width, full_height):
        art = xoutput.resize_palette(art, width=width, height=height)
    decisions.append(report.downscale(decoded.original_size, (height, width), limit=max_side, settings=settings,
                                      site=site, nearest=True))
    fingerprint = perceptual_hash(decoded.image)

    stage("signature")
    layer = None if font.found is None else \
        visible.signature_layer(height, width, signature=settings.signature, font=font.found, rng=rng)
    signed = layer is not None and layer.readable
    if layer is None:
        decisions.append(report.signature_not_drawn(font.problem))
    elif not signed:
        decisions.append(report.signature_too_small((height, width)))
    else:
        art = visible.apply_layer_to_palette(art, layer, opacity=settings.signature.drawn_opacity)
        decisions.append(report.signature_drawn(settings, font.found, layer, (height, width), palette=True))
    decisions.append(report.cloak_not_on_palette() if settings.cloak.enabled else report.cloak_off())

    stage("mark")
    if payload is None:
        decisions.append(report.mark_off())
    elif min(height, width) < mark.MIN_SIDE:
        decisions.append(report.mark_palette_too_small(width, height, signed=signed))
        payload = None
    else:
        indices, colours, covered = mark.embed_palette(art.indices, art.colours, key=key, payload=payload,
                                                       strength=settings.mark.strength)
        if covered == 0:           # 256 colours already, not all grey: no room for a twin
            decisions.append(report.mark_palette_full(signed=signed))
            payload = None
        else:
            art = imageio.PaletteArt(indices=indices, colours=colours)
            decisions.append(report.mark_palette_added(payload, covered=covered, settings=settings))

    stage("encode")
    output = xoutput.encode_palette_for_x(art)
    decisions.append(report.encoded_palette(output, colours=len(art.colours), source_colours=source_colours))
    if payload is None:
        decisions.append(report.nothing_to_verify())
        return PaletteProtected(output, fingerprint, None, None, tuple(decisions))

    stage("verify")
    saved = imageio.decode(output.data).image
    detection = mark.detect(saved, key=key)
    verified = reads(detection, payload)
    # the site serves a picture that already fits its smallest size as the stored PNG itself
    fits = max(saved.shape[:2]) <= site.check_side
    small = (detection if fits else mark.detect(served_small(saved, site), key=key)) if verified else None
    small_verified = small is not None and reads(small, payload)
    decisions.append(report.verified(detection, reads=verified, reads_small=small_verified, details={
        "confidence": detection.confidence, "false_positive_probability": detection.false_positive_probability,
        "small_confidence": small.confidence if small is not None else 0.0, "reads_at_small": small_verified},
        site=site, signed=signed, palette=True))
    return PaletteProtected(output, fingerprint, payload.id, verified, tuple(decisions))
