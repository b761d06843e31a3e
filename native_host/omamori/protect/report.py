"""What each protection step did, or why it did not: one ``Decision`` per step, for people and for programs.

A decision carries its sentence as a catalog key and fields (``report.<step>.…`` in data/catalog.json), put
into words only where it is shown (the protocol sends both languages); ``details`` are the figures programs
read (docs/protocol.md). The functions here choose the sentence from what a step found; the steps themselves
are the pipeline's and its routes'.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import fonts, mark
from ..catalog import Message
from ..errors import OmamoriError, StateError
from ..imageio import Decoded
from ..settings import Settings
from . import visible, xoutput
from .sites import Site

_GREYSCALE_MODES = ("L", "LA", "I", "I;16", "I;16B", "I;16L", "1")


@dataclass(frozen=True)
class Decision:
    """What one step did (``applied``) or why it did not: ``message`` for people, ``details`` for programs."""

    step: str       # orientation, metadata, colour, transparency, downscale, signature, cloak, mark, encode,
    applied: bool   # verify; rights and c2pa for the web profile
    message: Message
    details: dict[str, Any] = field(default_factory=dict)
    # Set when the person asked for this step and it was not applied: a short "no cloak: ... — do this" for the
    # summary line and the reply's ``skipped`` list (docs/protocol.md).
    skipped: Message | None = None


def _sentences(first: Message, *more: Message) -> Message:
    return Message(first.key, first.fields, then=(*first.then, *more))


# -- decoding --------------------------------------------------------------------------------------------------
def orientation(decoded: Decoded) -> Decision:
    if decoded.orientation == 1:
        return Decision("orientation", False, Message("report.orientation.upright"), {"exif_orientation": 1})
    return Decision("orientation", True, Message("report.orientation.turned", {"orientation": decoded.orientation}),
                    {"exif_orientation": decoded.orientation})


def metadata(decoded: Decoded) -> Decision:
    kinds = decoded.removed_metadata
    if not kinds:
        return Decision("metadata", False, Message("report.metadata.none"), {"removed": []})
    removed = Message("report.metadata.removed",
                      {"kinds": tuple(Message(f"report.metadata.kind.{kind}") for kind in kinds)})
    if "gps" in kinds:
        removed = _sentences(removed, Message("report.metadata.gps_stays_here"))
    return Decision("metadata", True, removed, {"removed": list(kinds)})


def colour(decoded: Decoded) -> Decision:
    found = decoded.colour
    sentences = []
    if found.converted:
        sentences.append(Message("report.colour.profile_converted", {"profile": found.profile}))
    elif found.mode == "CMYK":
        sentences.append(Message("report.colour.cmyk"))
    elif found.profile == "unreadable":
        sentences.append(Message("report.colour.profile_unreadable"))
    if found.bits == 16:
        sentences.append(Message("report.colour.bits16"))
    if found.mode in _GREYSCALE_MODES:
        sentences.append(Message("report.colour.greyscale"))
    details = {"mode": found.mode, "bits": found.bits, "profile": found.profile, "converted": found.converted}
    if not sentences:
        return Decision("colour", False, Message("report.colour.srgb"), details)
    return Decision("colour", True, _sentences(*sentences), details)


# -- shape -----------------------------------------------------------------------------------------------------
def transparency(*, flattened: bool = False, kept: bool = False) -> Decision:
    if flattened:
        return Decision("transparency", True, Message("report.transparency.flattened"), {"background": "white"})
    if kept:
        return Decision("transparency", False, Message("report.transparency.kept"), {"kept": True})
    return Decision("transparency", False, Message("report.transparency.none"))


def downscale(source_size: tuple[int, int], shape, *, limit: int, settings: Settings, site: Site,
              nearest: bool = False) -> Decision:
    """``source_size``: (width, height) decoded; ``shape``: the image's (height, width, ...) now; ``limit``: the
    side it was fitted inside (pixels)."""
    height, width = shape[:2]
    source_w, source_h = source_size
    sizes = {"from": [source_w, source_h], "to": [width, height]}
    if (width, height) == (source_w, source_h):
        return Decision("downscale", False,
                        Message("report.downscale.kept", {"width": width, "height": height, "limit": limit}), sizes)
    user = bool(settings.output.max_side and settings.output.max_side < site.max_side)
    why = Message("report.downscale.for_your_maximum", {"max_side": settings.output.max_side}) if user else \
        Message("report.downscale.for_the_site", {"site": site.name, "max_side": site.max_side})
    return Decision("downscale", True,
                    Message("report.downscale.scaled", {
                        "from_width": source_w, "from_height": source_h, "width": width, "height": height,
                        "why": why, "how": Message("report.downscale.nearest") if nearest else ""}),
                    {**sizes, "reason": "max_side" if user else f"{site.id}_limit", "nearest": nearest})


# -- signature -------------------------------------------------------------------------------------------------
def signature_drawn(settings: Settings, font: fonts.FoundFont, layer: visible.SignatureLayer,
                    shape: tuple[int, ...], *, palette: bool = False) -> Decision:
    """``shape``: the image's (height, width, ...); the details carry where the text is drawn (``box``: left, top,
    right, bottom as fractions of the width and height), so that a crop made later (X's composer) can be checked.
    ``palette``: drawn with the image's own palette colours."""
    sig = settings.signature
    height, width = shape[:2]
    rows, cols = layer.rgba.shape[:2]
    box = [round(max(0, layer.left) / width, 4), round(max(0, layer.top) / height, 4),
           round(min(width, layer.left + cols) / width, 4), round(min(height, layer.top + rows) / height, 4)]
    where = Message(f"report.signature.corner.{sig.corner}") if sig.placement == "corner" else \
        Message("report.signature.tiled")
    drawn = Message("report.signature.drawn", {"text": sig.text, "where": where, "opacity": sig.drawn_opacity,
                                               "family": font.family, "font_px": layer.font_px})
    if layer.fitted:
        drawn = _sentences(drawn, Message("report.signature.fitted"))
    details = {"text": sig.text, "placement": sig.placement, "corner": sig.corner, "opacity": sig.drawn_opacity,
               "font": font.path, "font_px": layer.font_px, "fitted": layer.fitted, "box": box}
    if palette:
        drawn = _sentences(drawn, Message("report.signature.palette"))
        details["palette"] = True
    return Decision("signature", True, drawn, details)


def signature_too_small(shape: tuple[int, ...]) -> Decision:
    """``shape``: the image's (height, width, ...), too small for the signature's text to be read."""
    height, width = shape[:2]
    size = {"width": width, "height": height}
    return Decision("signature", False, Message("report.signature.too_small", size),
                    {"reason": "image_too_small", "min_font_px": visible.MIN_READABLE_PX},
                    skipped=Message("report.skipped.signature_too_small", size))


def signature_not_drawn(problem: StateError | None) -> Decision:
    """The signature step when nothing was drawn: off in the settings, or (loudly) no font could draw it."""
    if problem is None:
        return Decision("signature", False, Message("report.signature.off"))
    missing = problem.details["missing"]
    return Decision("signature", False, Message("report.signature.not_drawn", {"missing": missing}),
                    {"reason": "font_missing", "missing": missing, "warning": True,
                     "font_path": problem.details["font_path"]},
                    skipped=Message("report.skipped.signature_font", {"missing": missing}))


# -- cloak -----------------------------------------------------------------------------------------------------
def cloak_off() -> Decision:
    return Decision("cloak", False, Message("report.cloak.off"))


def cloak_unavailable() -> Decision:
    return Decision("cloak", False, Message("report.cloak.unavailable"), {"reason": "unavailable"},
                    skipped=Message("report.skipped.cloak_not_installed"))


def cloak_failed(error: OmamoriError) -> Decision:
    return Decision("cloak", False, _sentences(Message("report.cloak.failed"), error.message),
                    {"reason": error.code, **error.details}, skipped=Message("report.skipped.cloak_failed"))


def cloak_applied(strength: float) -> Decision:
    return Decision("cloak", True, _sentences(Message("report.cloak.applied", {"strength": strength}),
                                              Message("cloak.limits")), {"strength": strength})


def cloak_not_on_palette() -> Decision:
    return Decision("cloak", False, Message("report.cloak.palette"), {"reason": "palette"},
                    skipped=Message("report.skipped.cloak_palette"))


# -- mark ------------------------------------------------------------------------------------------------------
def mark_off() -> Decision:
    return Decision("mark", False, Message("report.mark.off"))


def mark_added(payload: mark.Payload, *, strength: float, psnr_db: float, retried: bool, raised: bool,
               raised_for_site: bool, settings: Settings, site: Site) -> Decision:
    """``retried``: a second, stronger attempt was made; ``raised``: it is the one kept; ``raised_for_site``: the
    kept one was marked stronger than asked, for the site's smallest size (marking.site_raise)."""
    why = Message("report.mark.raised", {"site": site.name}) if raised else \
        Message("report.mark.raised_for_site", {"site": site.name}) if raised_for_site else ""
    return Decision("mark", True,
                    Message("report.mark.added", {"id": payload.id, "strength": strength, "psnr": psnr_db,
                                                  "raised": why}),
                    {"id": payload.id, "strength": strength, "psnr_db": psnr_db, "retried": retried,
                     "raised_for_site": raised_for_site, "no_ai_training": settings.mark.no_ai_training})


def still_protected(signed: bool) -> Message:
    """What protects an image whose mark is missing: its visible signature, or (``signed`` False) nothing."""
    return Message("report.mark.signature_still" if signed else "report.mark.nothing_shows_it")


def mark_palette_too_small(width: int, height: int, *, signed: bool) -> Decision:
    """``signed``: the visible signature was drawn."""
    return Decision("mark", False, Message("report.mark.palette_too_small", {
                        "width": width, "height": height, "min_side": mark.MIN_SIDE,
                        "signature": still_protected(signed)}),
                    {"reason": "image_too_small", "min_side": mark.MIN_SIDE},
                    skipped=Message("report.skipped.mark_too_small", {"min_side": mark.MIN_SIDE}))


def mark_palette_full(*, signed: bool) -> Decision:
    """``signed``: the visible signature was drawn."""
    return Decision("mark", False, Message("report.mark.palette_full", {"signature": still_protected(signed)}),
                    {"reason": "palette_full"}, skipped=Message("report.skipped.mark_palette_full"))


def mark_palette_added(payload: mark.Payload, *, covered: float, settings: Settings) -> Decision:
    """``covered``: the share of the picture (0-1) whose colours got twins to carry the mark."""
    part = "" if covered > 0.999 else Message("report.mark.palette_part", {"covered": covered})
    return Decision("mark", True, Message("report.mark.palette_added", {"id": payload.id, "part": part}),
                    {"id": payload.id, "strength": settings.mark.strength, "palette": True, "covered": covered,
                     "no_ai_training": settings.mark.no_ai_training})


# -- encode ----------------------------------------------------------------------------------------------------
def encoded(output: xoutput.Output, site: Site) -> Decision:
    """A full-colour output: the web profile's lossless PNG, or a JPEG within ``site``'s limits."""
    size = {"width": output.width, "height": output.height, "bytes": len(output.data)}
    if output.format == "png":
        return Decision("encode", True, Message("report.encode.png_lossless", size),
                        {"format": "png", "lossless": True, "bytes": len(output.data)})
    jpeg = {**size, "quality": output.quality, "site": site.name}
    limit = Message(f"report.limit.{site.id}")
    if site.keeps_png8 and output.client and output.client.reencoded:      # said by _client_sentence
        said = Message("report.encode.jpeg", jpeg)
    elif site.keeps_png8:
        said = Message("report.encode.jpeg_kept", jpeg)
    else:
        said = Message("report.encode.jpeg_app_reencodes", {**jpeg, "max_side": site.max_side, "limit": limit})
    details = {"format": "jpeg", "quality": output.quality, "subsampling": "4:2:0", "bytes": len(output.data),
               "shrunk_from": list(output.shrunk_from) if output.shrunk_from else None,
               "progressive": output.progressive, "client_reencodes": bool(output.client and output.client.reencoded)}
    client = _client_sentence(output, site)
    if client is not None:
        said = _sentences(said, client)
    if output.client:
        choice = output.client
        details.update(reencode_psnr_db=round(choice.reencode_psnr_db, 2), lower_quality=choice.lower_quality,
                       lower_psnr_db=None if choice.lower_psnr_db is None else round(choice.lower_psnr_db, 2))
    if output.shrunk_from:
        said = _sentences(said, Message("report.encode.shrunk", {
            "from_width": output.shrunk_from[0], "from_height": output.shrunk_from[1], "site": site.name,
            "limit": limit}))
    return Decision("encode", True, said, details)


def _client_sentence(output: xoutput.Output, site: Site) -> Message | None:
    """What the site's web client does with the file when it re-encodes dense JPEGs (X: under 6 pixels per byte)."""
    if site.client_min_pixels_per_byte is None:
        return None
    rule = Message("report.encode.client_rule", {"pixels_per_byte": site.client_min_pixels_per_byte})
    choice = output.client
    if choice is None and output.progressive:
        return Message("report.encode.client_progressive", {"site": site.name, "rule": rule})
    if choice is None:
        return None
    psnr = {"reencode_psnr_db": choice.reencode_psnr_db, "lower_psnr_db": choice.lower_psnr_db}
    if not choice.reencoded:
        return Message("report.encode.client_quality", {"quality": output.quality, "site": site.name, "rule": rule,
                                                        **psnr})
    why = Message("report.encode.client_costs_less", {"lower_quality": choice.lower_quality, **psnr}) \
        if choice.lower_quality else \
        Message("report.encode.client_no_quality_fits", {"min_quality": xoutput.MIN_CLIENT_QUALITY})
    return Message("report.encode.client_reencodes", {"site": site.name, "rule": rule, "why": why})


def encoded_palette(output: xoutput.Output, *, colours: int, source_colours: int) -> Decision:
    return Decision("encode", True, Message("report.encode.palette", {"colours": colours, "bytes": len(output.data)}),
                    {"format": "png", "bytes": len(output.data), "colours": colours, "source_colours": source_colours})


# -- verify ----------------------------------------------------------------------------------------------------
def nothing_to_verify() -> Decision:
    return Decision("verify", False, Message("report.verify.nothing"))


def verified(detection: mark.Detection, *, reads: bool, reads_small: bool, details: dict[str, Any], site: Site,
             signed: bool, retried: bool = False, palette: bool = False) -> Decision:
    """What reading the mark back from the saved file (``reads``) and from the site's smallest size
    (``reads_small``) found, and what to do next (a palette image has no stronger mark to offer); ``signed``:
    the visible signature was drawn."""
    checked = {"confidence": detection.confidence, "site": site.name, "check_side": site.check_side}
    if reads and reads_small:
        return Decision("verify", True, Message("report.verify.everywhere", checked), details)
    sturdier = Message("report.verify.advice_larger" if palette else "report.verify.advice_larger_or_stronger")
    if reads:
        even = Message("report.verify.not_at_small_even_stronger") if retried else ""
        return Decision("verify", True, Message("report.verify.not_at_small",
                                                {**checked, "even_stronger": even, "advice": sturdier}), details)
    advice = Message("report.verify.advice_palette") if palette else sturdier
    even = Message("report.verify.unread_even_stronger") if retried else ""
    return Decision("verify", False, Message("report.verify.unread", {"even_stronger": even, "advice": advice,
                                                                      "signature": still_protected(signed)}),
                    details)
