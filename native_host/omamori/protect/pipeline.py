"""The protection pipeline: composes the steps from the settings and reports every decision.

    decode (orientation, metadata, colour)  ->  transparency  ->  downscale
    ->  signature  ->  cloak  ->  mark  ->  X-aware encode  ->  verify

Each step is a function over float32 HxWx3 arrays in [0, 1]; each leaves one
``report.Decision`` in the report, including the steps that were not applied
and why. Palette art kept as PNG8 takes a shorter route (palette_route.py): its
palette is preserved, so the cloak and the mark (which need full colour) are
reported as not applied. The mark's attempts are marking.py's.
"""
from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from .. import cloak, imageio, mark, webmeta
from ..errors import ImageError, StateError
from ..settings import Settings
from . import report, sites, visible, xoutput
from .fingerprint import perceptual_hash
from .marking import Marked, mark_encode_verify, reads
from .palette_route import protect_palette
from .prepare import downscale, flatten
from .report import Decision
from .sites import Site

Progress = Callable[[str, float], None]
# Share of the progress bar at which each step starts (the cloak, when on, fills 0.35-0.80).
_PROGRESS_AT = {"decode": 0.0, "signature": 0.25, "cloak": 0.35, "mark": 0.80, "encode": 0.85, "verify": 0.92}


@dataclass(frozen=True)
class Protected:
    """A protected image and the report of how it was made."""

    data: bytes
    mime: str
    format: str                   # "jpeg" | "png"
    width: int
    height: int
    mark_id: str | None
    mark_verified: bool | None    # None when no mark was embedded
    report: tuple[Decision, ...]
    original_sha256: str
    output_sha256: str
    original_fingerprint: int     # 64-bit perceptual hash of the original (upright, flattened)


@dataclass(frozen=True)
class Examined:
    """What ``examine`` found in an image: the mark detection and the perceptual hash."""

    detection: mark.Detection
    fingerprint: int
    width: int
    height: int


def protect(data: bytes, *, settings: Settings, key: bytes, today: datetime.date, rng: np.random.Generator,
            font: visible.SignatureFont, progress: Progress | None = None, web: webmeta.WebProfile | None = None,
            title: str = "", site: Site = sites.X,
            cloak_models: Callable[[], tuple[cloak.TinyVAE, ...]] | None = None) -> Protected:
    """Protect an image file's bytes as ``settings`` say; see the module docstring.

    ``key``: the user's secret mark key; ``today``: the day carried in the mark;
    ``rng``: randomness of the tiled lattice and the cloak; ``font``: the signature's font as the caller
    resolved it for ``settings.signature`` (``visible.signature_font``); ``progress(step,
    fraction 0-1)`` is called as steps begin. Raises ``ImageError`` for images
    that cannot be used (see imageio), ``image_too_small`` when the mark is on
    and the image is under ``mark.MIN_SIDE``, and ``output_too_large``. A signature no font can draw
    never stops the protection: the image gets the mark without it, and its report step says so
    (``details.warning``).
    ``web``: the web output profile (rights metadata, optionally a lossless
    PNG, a C2PA manifest signed by ``web.signer``, naming ``title``); None is the X profile, whose output
    carries no metadata at all. ``site``: where the image is posted; its limits shape the output
    (protect/sites.py). ``cloak_models()``: the cloak's models, called only when the cloak is on (the host's
    ``Host.cloak_models``); None, or a ``model_missing`` from it: the cloak is not installed.
    """
    tell = progress or (lambda step, fraction: None)

    def stage(step: str) -> None:
        tell(step, _PROGRESS_AT[step])

    encode = xoutput.encode_png_lossless if web and web.lossless else \
        partial(xoutput.encode_jpeg_for_x, max_bytes=site.max_bytes,
                min_pixels_per_byte=site.client_min_pixels_per_byte)
    max_side = _max_side(settings, site)
    payload = _payload(settings, key, today) if settings.mark.enabled else None
    stage("decode")
    # Big full-colour images are scaled down while decoding (far less memory); the report still says so.
    decoded = imageio.decode(data, max_side=max_side)
    decisions = [report.orientation(decoded), report.metadata(decoded), report.colour(decoded)]
    if decoded.palette is not None and settings.output.keep_png8 and site.keeps_png8:
        palette = protect_palette(decoded, settings=settings, font=font, payload=payload, key=key,
                                  max_side=max_side, site=site, rng=rng, stage=stage)
        output, fingerprint, mark_id, verified = palette.output, palette.fingerprint, palette.mark_id, palette.verified
        decisions += palette.decisions
    else:
        # Each step rebinds ``image`` so the previous full-size array is freed at once (16 MP is 200 MB).
        source_size = decoded.original_size
        image = flatten(decoded.image, alpha=decoded.alpha)
        decisions.append(report.transparency(flattened=decoded.alpha is not None))
        del decoded
        image = downscale(image, max_side=max_side)
        decisions.append(report.downscale(source_size, image.shape, limit=max_side, settings=settings, site=site))
        fingerprint = perceptual_hash(image)
        if payload is not None and min(image.shape[:2]) < mark.MIN_SIDE:
            raise ImageError("image_too_small", width=image.shape[1], height=image.shape[0],
                             min_side=mark.MIN_SIDE)
        stage("signature")
        # In place: this array belongs to the pipeline (decoded here), and a copy would cost 200 MB at 16 MP.
        image, signed = sign(image, settings=settings, font=font, rng=rng)
        decisions.append(signed)
        stage("cloak")
        # The cloak sees the mark embedded after it (at the person's strength; a site's raise, a retry are stronger).
        then = partial(mark.embed, key=key, payload=payload, strength=settings.mark.strength) \
            if payload is not None else None
        image, cloaked = _cloak_step(image, settings=settings, cloak_models=cloak_models, rng=rng, tell=tell,
                                     then=then)
        decisions.append(cloaked)
        stage("mark")
        if payload is not None:
            handed_over = [image]    # so that mark_encode_verify holds the only reference and can free it
            del image
            marked = mark_encode_verify(handed_over, key=key, payload=payload, strength=settings.mark.strength,
                                        site=site, encode=encode, stage=stage)
            output, mark_id = marked.kept.output, payload.id
            decisions += _mark_decisions(marked, payload, settings=settings, site=site, signed=signed.applied)
            verified = reads(marked.kept.detection, payload)
        else:
            decisions.append(report.mark_off())
            stage("encode")
            output = encode(image)
            decisions += [report.encoded(output, site), report.nothing_to_verify()]
            mark_id = verified = None
    if web is not None:      # metadata segments only: the verified pixels stay as they are
        output = replace(output, data=webmeta.write(output.data, web.rights, today=today))
        decisions.append(Decision("rights", True, *webmeta.describe(web.rights, today=today)))
        if web.signer is not None:     # last: the manifest's hash binds every other byte of the file
            from .. import c2pa_manifest      # the C2PA library loads in 0.1 s: only when a manifest is wanted
            output = replace(output, data=c2pa_manifest.sign(output.data, format=output.format,
                                                             identity=web.signer, title=title or "image"))
            decisions.append(Decision("c2pa", True, *c2pa_manifest.describe(web.signer)))
    tell("done", 1.0)
    return Protected(
        data=output.data, mime=output.mime, format=output.format, width=output.width, height=output.height,
        mark_id=mark_id, mark_verified=verified, report=tuple(decisions),
        original_sha256=hashlib.sha256(data).hexdigest(), output_sha256=hashlib.sha256(output.data).hexdigest(),
        original_fingerprint=fingerprint,
    )


def sign(image: np.ndarray, *, settings: Settings, font: visible.SignatureFont,
         rng: np.random.Generator) -> tuple[np.ndarray, Decision]:
    """The signature step of the full-colour route: float32 HxWx3 ``image`` with ``settings.signature`` drawn on it
    in ``font`` (blended in place: ``image`` must be the caller's own to change), and the step's decision (drawn;
    off; no font; too small to read, then ``image`` is returned as it was). ``rng`` offsets the tiled lattice.
    ``protect`` and ``signature.preview`` both draw with it, so that the preview is what will be posted."""
    if font.found is None:
        return image, report.signature_not_drawn(font.problem)
    layer = visible.signature_layer(image.shape[0], image.shape[1], signature=settings.signature, font=font.found,
                                    rng=rng)
    if not layer.readable:
        return image, report.signature_too_small(image.shape)
    image = visible.apply_layer(image, layer, opacity=settings.signature.drawn_opacity, out=image)
    return image, report.signature_drawn(settings, font.found, layer, image.shape)


def examine(data: bytes, *, key: bytes) -> Examined:
    """Look for the mark (under ``key``) in an image file and compute its perceptual hash."""
    decoded = imageio.decode(data, max_side=xoutput.X_MAX_SIDE)     # our outputs never exceed it
    image = flatten(decoded.image, alpha=decoded.alpha)
    return Examined(detection=mark.detect(image, key=key), fingerprint=perceptual_hash(image),
                    width=decoded.original_size[0], height=decoded.original_size[1])


def full_colour(data: bytes, *, settings: Settings) -> np.ndarray:
    """The float32 HxWx3 image in [0, 1] that ``protect`` hands to its full-colour steps, from image file bytes:
    decoded (orientation applied, colour in sRGB), transparency flattened onto white, fitted inside the
    settings' max side. For callers that show what a step does (``cloak.preview``) without protecting. A
    palette image kept as PNG8 (``output.keep_png8``) takes another route in ``protect``, without the cloak."""
    decoded = imageio.decode(data, max_side=_max_side(settings))
    return downscale(flatten(decoded.image, alpha=decoded.alpha), max_side=_max_side(settings))


def thumbnail(data: bytes, *, max_side: int) -> bytes:
    """A small JPEG (quality 80, no metadata) of an image file's bytes, fitted inside ``max_side`` x ``max_side``
    pixels, transparency flattened onto white: what the ledger keeps and an evidence sheet shows."""
    decoded = imageio.decode(data, max_side=max_side)
    return imageio.encode_jpeg(downscale(flatten(decoded.image, alpha=decoded.alpha), max_side=max_side),
                               quality=80)


def _max_side(settings: Settings, site: Site = sites.X) -> int:
    chosen = settings.output.max_side
    return min(chosen, site.max_side) if chosen else site.max_side


def _payload(settings: Settings, key: bytes, today: datetime.date) -> mark.Payload:
    return mark.Payload(creator_id=mark.creator_id(key), day=today, no_ai_training=settings.mark.no_ai_training)


def _cloak_step(image: np.ndarray, *, settings: Settings,
                cloak_models: Callable[[], tuple[cloak.TinyVAE, ...]] | None,
                rng: np.random.Generator, tell: Progress,
                then: Callable[[np.ndarray], np.ndarray] | None) -> tuple[np.ndarray, Decision]:
    """The cloak, when on and installed, and its decision; ``then``: what the pipeline does to its result (the
    mark), which the cloak takes into account."""
    if not settings.cloak.enabled:
        return image, report.cloak_off()
    try:
        models = cloak_models() if cloak_models is not None else None
    except StateError as error:          # a model damaged: protect without the cloak
        if error.code != "model_missing":
            return image, report.cloak_failed(error)
        models = None
    if models is None:
        return image, report.cloak_unavailable()
    start, end = _PROGRESS_AT["cloak"], _PROGRESS_AT["mark"]
    cloaked = cloak.apply(image, models, strength=settings.cloak.strength, rng=rng, then=then,
                          progress=lambda step, fraction: tell("cloak", start + (end - start) * fraction))
    return cloaked, report.cloak_applied(settings.cloak.strength)


def _mark_decisions(marked: Marked, payload: mark.Payload, *, settings: Settings, site: Site,
                    signed: bool) -> list[Decision]:
    """The mark, encode and verify decisions of the full-colour route (``signed``: the signature was drawn)."""
    kept = marked.kept
    verified = reads(kept.detection, payload)
    small_verified = kept.small is not None and reads(kept.small, payload)
    details = {"confidence": kept.detection.confidence,
               "attempt_confidences": [attempt.detection.confidence for attempt in marked.attempts],
               "false_positive_probability": kept.detection.false_positive_probability,
               "small_confidence": kept.small.confidence if kept.small is not None else 0.0,
               "reads_at_small": small_verified}
    return [report.mark_added(payload, strength=kept.strength, psnr_db=kept.psnr_db, retried=marked.retried,
                              raised=marked.raised, raised_for_site=kept.raised_for_site, settings=settings,
                              site=site),
            report.encoded(kept.output, site),
            report.verified(kept.detection, reads=verified, reads_small=small_verified, details=details, site=site,
                            signed=signed, retried=marked.retried)]
