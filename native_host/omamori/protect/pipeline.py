"""The protection pipeline: composes the steps from the settings and reports every decision.

    decode (orientation, metadata, colour)  ->  transparency  ->  downscale
    ->  signature  ->  cloak  ->  mark  ->  X-aware encode  ->  verify

Each step is a function over float32 HxWx3 arrays in [0, 1]; each leaves one
``Decision`` (English and Japanese) in the report, including the steps that
were not applied and why. Palette art kept as PNG8 takes a shorter route: its
palette is preserved, so the cloak and the mark (which need full colour) are
reported as not applied.
"""
from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from .. import cloak, fonts, imageio, mark, webmeta
from ..arrays import luma
from ..catalog import say
from ..errors import ImageError, StateError
from ..imageio import Decoded
from ..settings import Settings
from . import sites, visible, xoutput
from .fingerprint import perceptual_hash
from .sites import Site

Progress = Callable[[str, float], None]
MARK_RETRY_FACTOR = 1.4           # strength multiplier of the one retry when the mark does not read back...
MARK_RETRY_PSNR = 42.3            # ...at most, so that the luma PSNR stays above 42 dB (dB, 8-bit)
MARK_STRENGTH_LIMIT = 4.0         # the highest strength the settings allow

_CORNERS_JA = {"bottom-right": "右下", "bottom-left": "左下", "top-right": "右上", "top-left": "左上"}
_METADATA_NAMES = {                # kind -> (en, ja)
    "exif": ("EXIF camera data", "EXIF(撮影情報)"),
    "gps": ("location (GPS)", "位置情報(GPS)"),
    "xmp": ("XMP", "XMP"),
    "iptc": ("IPTC", "IPTC"),
    "comment": ("comments", "コメント"),
    "text": ("text chunks", "テキスト情報"),
    "icc": ("colour profile", "カラープロファイル"),
}
# Share of the progress bar at which each step starts (the cloak, when on, fills 0.35-0.80).
_PROGRESS_AT = {"decode": 0.0, "signature": 0.25, "cloak": 0.35, "mark": 0.80, "encode": 0.85, "verify": 0.92}


@dataclass(frozen=True)
class Decision:
    """What one step did (``applied``) or why it did not, for people (en, ja) and programs (details)."""

    step: str       # orientation, metadata, colour, transparency, downscale, signature, cloak, mark, encode, verify
    applied: bool
    message_en: str
    message_ja: str
    details: dict[str, Any] = field(default_factory=dict)


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


def protect(data: bytes, *, settings: Settings, key: bytes, today: datetime.date,
            rng: np.random.Generator, progress: Progress | None = None,
            web: webmeta.WebProfile | None = None, title: str = "", site: Site = sites.X,
            cloak_model: Callable[[], cloak.TinyVAE] | None = None) -> Protected:
    """Protect an image file's bytes as ``settings`` say; see the module docstring.

    ``key``: the user's secret mark key; ``today``: the day carried in the mark;
    ``rng``: randomness of the tiled lattice and the cloak; ``progress(step,
    fraction 0-1)`` is called as steps begin. Raises ``ImageError`` for images
    that cannot be used (see imageio), ``image_too_small`` when the mark is on
    and the image is under ``mark.MIN_SIDE``, and ``output_too_large``. A signature no font can draw
    never stops the protection: the image gets the mark without it, and its report step says so
    (``details.warning``).
    ``web``: the web output profile (rights metadata, optionally a lossless
    PNG, a C2PA manifest signed by ``web.signer``, naming ``title``); None is the X profile, whose output
    carries no metadata at all. ``site``: where the image is posted; its limits shape the output
    (protect/sites.py). ``cloak_model()``: the cloak's model, called only when the cloak is on (the host's
    ``Host.cloak_model``); None, or a ``model_missing`` from it: the cloak is not installed.
    """
    tell = progress or (lambda step, fraction: None)
    encode = webmeta.encode_png_lossless if web and web.lossless else \
        partial(xoutput.encode_jpeg_for_x, max_bytes=site.max_bytes,
                min_pixels_per_byte=site.client_min_pixels_per_byte)
    tell("decode", _PROGRESS_AT["decode"])
    # Big full-colour images are scaled down while decoding (far less memory); the report still says so.
    decoded = imageio.decode(data, max_side=_max_side(settings, site))
    report = [_orientation_decision(decoded), _metadata_decision(decoded), _colour_decision(decoded)]
    font, font_problem = _signature_font(settings)
    if decoded.palette is not None and settings.output.keep_png8 and site.keeps_png8:
        output, fingerprint, mark_id, verified = _protect_palette(
            decoded, settings=settings, font=font, font_problem=font_problem, rng=rng, tell=tell, report=report,
            key=key, today=today, site=site)
    else:
        # Each step rebinds ``image`` so the previous full-size array is freed at once (16 MP is 200 MB).
        source_size = decoded.original_size
        image = flatten(decoded.image, alpha=decoded.alpha)
        report.append(_transparency_decision(flattened=decoded.alpha is not None))
        del decoded
        image = downscale(image, max_side=_max_side(settings, site))
        report.append(_downscale_decision(source_size, image.shape, settings, site))
        fingerprint = perceptual_hash(image)
        if settings.mark.enabled and min(image.shape[:2]) < mark.MIN_SIDE:
            raise ImageError("image_too_small", width=image.shape[1], height=image.shape[0],
                             min_side=mark.MIN_SIDE)
        tell("signature", _PROGRESS_AT["signature"])
        if font is not None:
            layer = _signature_layer(image.shape, settings=settings, font=font, rng=rng)
            # In place: this array belongs to the pipeline (decoded here), and a copy would cost 200 MB at 16 MP.
            image = visible.apply_layer(image, layer, opacity=settings.signature.opacity, out=image)
            report.append(_signature_decision(settings, font, layer, image.shape))
            del layer                            # a tiled layer is 64 MB at 16 MP
        else:
            report.append(_signature_not_drawn(font_problem))
        tell("cloak", _PROGRESS_AT["cloak"])
        # The cloak sees the mark embedded after it (at the first attempt's strength; a retry is stronger).
        then = partial(mark.embed, key=key, payload=_payload(settings, key, today),
                       strength=settings.mark.strength) if settings.mark.enabled else None
        image = _cloak_step(image, settings=settings, cloak_model=cloak_model, rng=rng, tell=tell, report=report,
                            then=then)
        tell("mark", _PROGRESS_AT["mark"])
        if settings.mark.enabled:
            handed_over = [image]    # so that _mark_encode_verify holds the only reference and can free it
            del image
            output, mark_id, verified = _mark_encode_verify(handed_over, settings=settings, key=key, today=today,
                                                            site=site,
                                                            tell=tell, report=report, encode=encode)
        else:
            report.append(_mark_off())
            tell("encode", _PROGRESS_AT["encode"])
            output = encode(image)
            report.append(_encode_decision(output, site))
            report.append(_nothing_to_verify())
            mark_id = verified = None
    if web is not None:      # metadata segments only: the verified pixels stay as they are
        output = replace(output, data=webmeta.write(output.data, web.rights, today=today))
        report.append(Decision("rights", True, *webmeta.describe(web.rights, today=today)))
        if web.signer is not None:     # last: the manifest's hash binds every other byte of the file
            from .. import c2pa_manifest      # the C2PA library loads in 0.1 s: only when a manifest is wanted
            output = replace(output, data=c2pa_manifest.sign(output.data, format=output.format,
                                                             identity=web.signer, title=title or "image"))
            report.append(Decision("c2pa", True, *c2pa_manifest.describe(web.signer)))
    tell("done", 1.0)
    return Protected(
        data=output.data, mime=output.mime, format=output.format, width=output.width, height=output.height,
        mark_id=mark_id, mark_verified=verified, report=tuple(report),
        original_sha256=hashlib.sha256(data).hexdigest(), output_sha256=hashlib.sha256(output.data).hexdigest(),
        original_fingerprint=fingerprint,
    )


def examine(data: bytes, *, key: bytes) -> Examined:
    """Look for the mark (under ``key``) in an image file and compute its perceptual hash."""
    decoded = imageio.decode(data, max_side=xoutput.X_MAX_SIDE)     # our outputs never exceed it
    image = flatten(decoded.image, alpha=decoded.alpha)
    return Examined(detection=mark.detect(image, key=key), fingerprint=perceptual_hash(image),
                    width=decoded.original_size[0], height=decoded.original_size[1])


# -- steps over arrays -----------------------------------------------------------------------------------------
def flatten(image: np.ndarray, *, alpha: np.ndarray | None, background: float = 1.0) -> np.ndarray:
    """float32 HxWx3 ``image`` composited over a flat grey level ``background`` (0-1; 1 is white)
    using ``alpha`` (float32 HxW, 0-1); the image itself when ``alpha`` is None."""
    if alpha is None:
        return image
    weight = alpha[..., None]
    return image * weight + np.float32(background) * (1 - weight)


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


def downscale(image: np.ndarray, *, max_side: int) -> np.ndarray:
    """float32 HxWx3 image fitted inside ``max_side`` x ``max_side`` pixels (never enlarged)."""
    height, width = image.shape[:2]
    new_w, new_h = imageio.fitted_size(width, height, max_side=max_side)
    if (new_w, new_h) == (width, height):
        return image
    return imageio.resize_8bit(image, width=new_w, height=new_h)


# -- routes ----------------------------------------------------------------------------------------------------
def _mark_encode_verify(handed_over: list[np.ndarray], *, settings: Settings, key: bytes, today: datetime.date,
                        site: Site, tell: Progress, report: list[Decision],
                        encode: Callable[[np.ndarray], xoutput.Output]) -> tuple[xoutput.Output, str, bool]:
    """Mark, encode and read the mark back, from the encoded file and from the site's smallest served size of it
    (``site.check_side``); once more,
    stronger (within MARK_RETRY_PSNR), if either does not read.

    ``handed_over``: a list holding the only reference to the float32 HxWx3 image; it is emptied, so the
    float image is freed once marked and only an 8-bit copy (a quarter of the size) waits for the retry:
    at 16 MP, reading the mark back then needs 144 MB less. Returns (output, mark id, verified).
    """
    payload = _payload(settings, key, today)
    strength = settings.mark.strength
    image = handed_over.pop()
    unmarked = imageio.to_uint8(image)     # what a retry starts from
    attempts = []                          # (output, strength, psnr, full-size detection, small detection)
    while True:
        marked = mark.embed(image, key=key, payload=payload, strength=strength)
        del image
        psnr = _luma_psnr(marked, unmarked)
        tell("encode", _PROGRESS_AT["encode"])
        output = encode(marked)
        del marked
        tell("verify", _PROGRESS_AT["verify"])
        # What reaches the site: the file itself, or the site's web client's re-encode of it (xoutput.ClientChoice).
        saved = imageio.decode(output.client.uploaded if output.client else output.data).image
        detection = mark.detect(saved, key=key)
        small = mark.detect(_served_small(saved, site), key=key) if _reads(detection, payload) else None
        del saved
        attempts.append((output, strength, psnr, detection, small))
        stronger = float(min(MARK_STRENGTH_LIMIT, strength * MARK_RETRY_FACTOR,
                             strength * 10 ** ((psnr - MARK_RETRY_PSNR) / 20)))
        if len(attempts) > 1 or (small is not None and _reads(small, payload)) or stronger <= strength * 1.01:
            break
        strength = stronger
        image = imageio.to_float(unmarked)
    # The retry is kept if it reads at full size (it is the stronger mark); else the first attempt, if that did.
    output, strength, psnr, detection, small = max(attempts, key=lambda a: (_reads(a[3], payload), a is attempts[-1]))
    verified = _reads(detection, payload)
    small_verified = small is not None and _reads(small, payload)
    retried = len(attempts) > 1
    raised = retried and output is attempts[-1][0]
    why_en = (", raised once because the first attempt did not read back from the saved file or from "
              f"{site.name}'s smallest size") if raised else ""
    why_ja = f"。最初の試行では保存したファイルか {site.name} の最小サイズから読み取れなかったため一度強めました" \
        if raised else ""
    report.append(Decision(
        "mark", True,
        f"Added the invisible ownership mark {payload.id} (strength {strength:.2g}, {psnr:.1f} dB{why_en}).",
        f"見えない所有者の透かし {payload.id} を入れました(強さ {strength:.2g}、{psnr:.1f} dB{why_ja})。",
        {"id": payload.id, "strength": strength, "psnr_db": psnr, "retried": retried,
         "no_ai_training": settings.mark.no_ai_training}))
    report.append(_encode_decision(output, site))
    details = {"confidence": detection.confidence,
               "attempt_confidences": [a[3].confidence for a in attempts],
               "false_positive_probability": detection.false_positive_probability,
               "small_confidence": small.confidence if small is not None else 0.0,
               "reads_at_small": small_verified}
    report.append(_verify_decision(detection, verified, small_verified, details, site=site, retried=retried))
    return output, payload.id, verified


def _reads(detection: mark.Detection, payload: mark.Payload) -> bool:
    return detection.marked and detection.payload == payload


def _served_small(image: np.ndarray, site: Site) -> np.ndarray:
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


def _luma_psnr(marked: np.ndarray, unmarked: np.ndarray) -> float:
    """PSNR (dB) of the 8-bit luma of ``marked`` (float32) against ``unmarked`` (uint8), on every 4th row."""
    rows = slice(None, None, 4)
    difference = 255 * (luma(imageio.to_uint8(marked[rows]) / np.float32(255)) - luma(unmarked[rows] / np.float32(255)))
    mse = float(np.mean(np.square(difference, dtype=np.float64)))
    return 99.0 if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def _protect_palette(decoded: Decoded, *, settings: Settings, font: fonts.FoundFont | None,
                     font_problem: StateError | None, rng: np.random.Generator, tell: Progress,
                     report: list[Decision], key: bytes, today: datetime.date, site: Site):
    """The palette route: signature and mark drawn with palette colours, saved as a PNG8 that the site keeps.
    Returns (output, fingerprint, mark id, verified)."""
    art = decoded.palette
    colours = len(art.colours)
    report.append(_transparency_decision(kept=decoded.alpha is not None))
    full_height, full_width = art.indices.shape          # decoded.image may be scaled down already
    width, height = imageio.fitted_size(full_width, full_height, max_side=_max_side(settings, site))
    if (width, height) != (full_width, full_height):
        art = xoutput.resize_palette(art, width=width, height=height)
    report.append(_downscale_decision(decoded.original_size, (height, width), settings, site, nearest=True))
    fingerprint = perceptual_hash(decoded.image)

    tell("signature", _PROGRESS_AT["signature"])
    if font is not None:
        layer = _signature_layer((height, width), settings=settings, font=font, rng=rng)
        art = visible.apply_layer_to_palette(art, layer, opacity=settings.signature.opacity)
        decision = _signature_decision(settings, font, layer, (height, width))
        report.append(Decision(
            decision.step, True,
            decision.message_en + " Drawn with the image's own palette colours, so the palette is kept.",
            decision.message_ja + "パレットを保つため、画像自身のパレットの色で描きました。",
            {**decision.details, "palette": True}))
    else:
        report.append(_signature_not_drawn(font_problem))
    if settings.cloak.enabled:
        report.append(Decision(
            "cloak", False,
            "The cloak was not applied: it needs full colour and would destroy the palette. "
            "To cloak this image, turn off “keep palette PNGs” (output.keep_png8) in the settings.",
            "クロークはかけていません。フルカラーが必要で、パレットを壊してしまうためです。"
            "かけるには設定の「パレット PNG を保つ」(output.keep_png8)をオフにしてください。",
            {"reason": "palette"}))
    else:
        report.append(_cloak_off())
    tell("mark", _PROGRESS_AT["mark"])
    payload = _payload(settings, key, today)
    if not settings.mark.enabled:
        report.append(_mark_off())
        payload = None
    elif min(height, width) < mark.MIN_SIDE:
        report.append(Decision(
            "mark", False,
            f"The invisible mark was not added: the image is {width} x {height} pixels, and the mark needs at "
            f"least {mark.MIN_SIDE} on each side. The visible signature protects it; to mark it, use a larger "
            "image.",
            f"見えない透かしは入れていません。画像が {width} x {height} ピクセルで、透かしには各辺 {mark.MIN_SIDE} "
            "ピクセル以上が必要です。見える署名は入っています。透かしを入れるには、大きめの画像を使ってください。",
            {"reason": "image_too_small", "min_side": mark.MIN_SIDE}))
        payload = None
    else:
        marked_indices, marked_colours, covered = mark.embed_palette(
            art.indices, art.colours, key=key, payload=payload, strength=settings.mark.strength)
    if payload is not None and covered == 0:           # 256 colours already, not all grey: no room for a twin
        report.append(Decision(
            "mark", False,
            "The invisible mark was not added: the palette already has 256 colours, so there is no room for the "
            "mark's twin colours. The visible signature protects it; to add the mark, turn off “keep palette "
            "PNGs” (output.keep_png8; the image is then saved as JPEG).",
            "見えない透かしは入れていません。パレットがすでに 256 色あり、透かし用の色を足す余地がないためです。"
            "見える署名は入っています。透かしを入れるには「パレット PNG を保つ」(output.keep_png8)をオフにしてください"
            "(JPEG で保存されます)。",
            {"reason": "palette_full"}))
        payload = None
    elif payload is not None:
        art = imageio.PaletteArt(indices=marked_indices, colours=marked_colours)
        part_en = "" if covered > 0.999 else f" on {covered:.0%} of the picture (the palette had no room for the rest)"
        part_ja = "" if covered > 0.999 else f"(パレットに空きがなく、画像の {covered:.0%} の部分のみ)"
        report.append(Decision(
            "mark", True,
            f"Added the invisible ownership mark {payload.id}{part_en}, with palette colours one grey level "
            "darker and lighter than the image's own, so the image stays a palette PNG.",
            f"見えない所有者の透かし {payload.id} を入れました{part_ja}。画像自身の色より 1 階調だけ暗い色と明るい色を"
            "パレットに使ったので、パレット PNG のままです。",
            {"id": payload.id, "strength": settings.mark.strength, "palette": True, "covered": covered,
             "no_ai_training": settings.mark.no_ai_training}))
    tell("encode", _PROGRESS_AT["encode"])
    output = xoutput.encode_palette_for_x(art)
    report.append(Decision(
        "encode", True,
        f"Saved as a palette PNG with {len(art.colours)} colours ({len(output.data):,} bytes), which X keeps "
        f"as it is; no metadata.",
        f"{len(art.colours)} 色のパレット PNG として保存しました({len(output.data):,} バイト)。X でもそのまま"
        f"保たれます。メタデータは含みません。",
        {"format": "png", "bytes": len(output.data), "colours": len(art.colours), "source_colours": colours}))
    if payload is None:
        report.append(_nothing_to_verify())
        return output, fingerprint, None, None
    tell("verify", _PROGRESS_AT["verify"])
    saved = imageio.decode(output.data).image
    detection = mark.detect(saved, key=key)
    verified = _reads(detection, payload)
    # the site serves a picture that already fits its smallest size as the stored PNG itself
    fits = max(saved.shape[:2]) <= site.check_side
    small = (detection if fits else mark.detect(_served_small(saved, site), key=key)) if verified else None
    small_verified = small is not None and _reads(small, payload)
    report.append(_verify_decision(detection, verified, small_verified, {
        "confidence": detection.confidence, "false_positive_probability": detection.false_positive_probability,
        "small_confidence": small.confidence if small is not None else 0.0, "reads_at_small": small_verified},
        site=site, palette=True))
    return output, fingerprint, payload.id, verified


def _verify_decision(detection: mark.Detection, verified: bool, small_verified: bool, details: dict[str, Any], *,
                     site: Site, retried: bool = False, palette: bool = False) -> Decision:
    """What reading the mark back from the saved file (``verified``) and from the site's smallest size found, and
    what to do next (a palette image has no stronger mark to offer)."""
    if verified and small_verified:
        return Decision(
            "verify", True,
            f"Checked: the mark reads back from the saved file (confidence {detection.confidence:.2f}) and from "
            f"{site.name}'s smallest size ({site.check_side} px).",
            f"確認済み:保存したファイルからも、{site.name} の最小サイズ({site.check_side} px)からも透かしを読み取れました"
            f"(信頼度 {detection.confidence:.2f})。",
            details)
    sturdier_en = "post a larger image" if palette else "post a larger image or raise the mark strength"
    sturdier_ja = "大きめの画像を使ってください" if palette else "大きめの画像を使うか透かしの強さを上げてください"
    if verified:
        return Decision(
            "verify", True,
            f"Checked: the mark reads back from the saved file (confidence {detection.confidence:.2f}), but not "
            f"from {site.name}'s smallest size ({site.check_side} px){', even stronger' if retried else ''}: a copy "
            f"that {site.name} serves at that size may not prove it is yours. For a sturdier mark, {sturdier_en}.",
            f"確認済み:保存したファイルから透かしを読み取れました(信頼度 {detection.confidence:.2f})が、"
            f"{site.name} の最小サイズ({site.check_side} px){'では強めても' if retried else 'では'}読み取れませんでした。"
            f"そのサイズの複製では証明できないことがあります。より強い透かしには、{sturdier_ja}。",
            details)
    if palette:
        advice_en = ("post a larger image, or turn off “keep palette PNGs” (output.keep_png8) so that it is saved "
                     "as JPEG with a stronger mark")
        advice_ja = "大きめの画像を使うか、「パレット PNG を保つ」(output.keep_png8)をオフにしてください(JPEG で保存されます)"
    else:
        advice_en, advice_ja = sturdier_en, sturdier_ja
    return Decision(
        "verify", False,
        f"The mark could not be read back from the saved file{', even stronger' if retried else ''}. The visible "
        f"signature still protects it; for a readable mark, {advice_en}.",
        f"保存したファイルから透かしを読み取れませんでした{'(強めても不可)' if retried else ''}。見える署名は入っています。"
        f"透かしを読めるようにするには、{advice_ja}。",
        details)


def _payload(settings: Settings, key: bytes, today: datetime.date) -> mark.Payload:
    return mark.Payload(creator_id=mark.creator_id(key), day=today, no_ai_training=settings.mark.no_ai_training)


def _cloak_step(image: np.ndarray, *, settings: Settings, cloak_model: Callable[[], cloak.TinyVAE] | None,
                rng: np.random.Generator, tell: Progress, report: list[Decision],
                then: Callable[[np.ndarray], np.ndarray] | None) -> np.ndarray:
    """The cloak, when on and installed; ``then``: what the pipeline does to its result (the mark), which the
    cloak takes into account."""
    if not settings.cloak.enabled:
        report.append(_cloak_off())
        return image
    try:
        vae = cloak_model() if cloak_model is not None else None
    except StateError as error:          # its model damaged: protect without the cloak
        if error.code != "model_missing":
            report.append(Decision("cloak", False, f"The cloak was not applied. {error.message_en}",
                                   f"クロークはかけていません。{error.message_ja}",
                                   {"reason": error.code, **error.details}))
            return image
        vae = None
    if vae is None:
        report.append(Decision(
            "cloak", False,
            "The cloak is on but not installed on this computer, so it was not applied. Run `omamori models "
            "fetch` to install it, or turn the cloak off.",
            "クロークはオンですが、このコンピューターに入っていないためかけていません。`omamori models fetch` "
            "で入れるか、クロークをオフにしてください。",
            {"reason": "unavailable"}))
        return image
    start, end = _PROGRESS_AT["cloak"], _PROGRESS_AT["mark"]
    cloaked = cloak.apply(image, vae, strength=settings.cloak.strength, rng=rng, then=then,
                          progress=lambda step, fraction: tell("cloak", start + (end - start) * fraction))
    report.append(Decision(
        "cloak", True,
        f"Applied the cloak (strength {settings.cloak.strength:g}). {say('cloak.limits', 'en')}",
        f"クロークをかけました(強さ {settings.cloak.strength:g})。{say('cloak.limits', 'ja')}",
        {"strength": settings.cloak.strength}))
    return cloaked


# -- decisions -------------------------------------------------------------------------------------------------
def _max_side(settings: Settings, site: Site = sites.X) -> int:
    chosen = settings.output.max_side
    return min(chosen, site.max_side) if chosen else site.max_side


def _signature_layer(shape, *, settings: Settings, font: fonts.FoundFont,
                     rng: np.random.Generator) -> visible.SignatureLayer:
    sig = settings.signature
    return visible.render_signature(shape[0], shape[1], text=sig.text, font=font, placement=sig.placement,
                                    corner=sig.corner, size=sig.size, rng=rng)


def _orientation_decision(decoded: Decoded) -> Decision:
    if decoded.orientation == 1:
        return Decision("orientation", False, "The image was already upright.", "画像はもともと正しい向きでした。",
                        {"exif_orientation": 1})
    return Decision("orientation", True,
                    f"Turned the image upright as its camera orientation tag said (EXIF orientation "
                    f"{decoded.orientation}).",
                    f"カメラの向き情報(EXIF の向き {decoded.orientation})に従って、画像を正しい向きにしました。",
                    {"exif_orientation": decoded.orientation})


def _metadata_decision(decoded: Decoded) -> Decision:
    kinds = decoded.removed_metadata
    if not kinds:
        return Decision("metadata", False, "The image carried no metadata; none is written to the output.",
                        "画像にメタデータはありませんでした。出力にも書き込みません。", {"removed": []})
    names_en = ", ".join(_METADATA_NAMES[k][0] for k in kinds)
    names_ja = "、".join(_METADATA_NAMES[k][1] for k in kinds)
    gps_en = " Your location never leaves this computer." if "gps" in kinds else ""
    gps_ja = "位置情報はこのコンピューターの外に出ません。" if "gps" in kinds else ""
    return Decision("metadata", True, f"Removed all metadata ({names_en}).{gps_en}",
                    f"メタデータをすべて削除しました({names_ja})。{gps_ja}", {"removed": list(kinds)})


def _colour_decision(decoded: Decoded) -> Decision:
    colour = decoded.colour
    en: list[str] = []
    ja: list[str] = []
    if colour.converted:
        en.append(f"Converted the colours from the embedded profile “{colour.profile}” to sRGB, which X and "
                  f"browsers show.")
        ja.append(f"埋め込みのカラープロファイル「{colour.profile}」から、X とブラウザーが表示する sRGB に色を変換しました。")
    elif colour.mode == "CMYK":
        en.append("Converted CMYK to RGB with a simple formula (the file has no usable colour profile); check "
                  "the colours before posting.")
        ja.append("CMYK を簡易的な式で RGB に変換しました(使えるカラープロファイルがないため)。投稿前に色を確認してください。")
    elif colour.profile == "unreadable":
        en.append("The embedded colour profile could not be read; the colours were taken as sRGB.")
        ja.append("埋め込みのカラープロファイルを読めなかったため、色を sRGB として扱いました。")
    if colour.bits == 16:
        en.append("Reduced 16 bits per channel to 8, as X shows images.")
        ja.append("チャンネルあたり 16 ビットを、X の表示と同じ 8 ビットにしました。")
    if colour.mode in ("L", "LA", "I", "I;16", "I;16B", "I;16L", "1"):
        en.append("Greyscale image: saved with RGB channels (it still looks the same).")
        ja.append("グレースケール画像です。RGB で保存しました(見た目は変わりません)。")
    details = {"mode": colour.mode, "bits": colour.bits, "profile": colour.profile, "converted": colour.converted}
    if not en:
        return Decision("colour", False, "The colours are already sRGB; nothing to convert.",
                        "色はすでに sRGB なので、変換していません。", details)
    return Decision("colour", True, " ".join(en), "".join(ja), details)


def _transparency_decision(*, flattened: bool = False, kept: bool = False) -> Decision:
    if flattened:
        return Decision("transparency", True,
                        "Filled the transparent areas with white, as X shows transparent images.",
                        "透明な部分を白で塗りました(X でも透明部分は白で表示されます)。", {"background": "white"})
    if kept:
        return Decision("transparency", False,
                        "Kept the transparency: the image stays a palette PNG (PNG8), which X keeps as it is.",
                        "透明部分はそのままです。パレット PNG(PNG8)のままなので、X でもそのまま表示されます。",
                        {"kept": True})
    return Decision("transparency", False, "The image has no transparent areas.", "画像に透明な部分はありません。")


def _nothing_to_verify() -> Decision:
    return Decision("verify", False, "Nothing to verify: no invisible mark was added.",
                    "見えない透かしを入れていないため、確認は不要です。")


def _downscale_decision(source_size: tuple[int, int], shape, settings: Settings, site: Site = sites.X, *,
                        nearest: bool = False) -> Decision:
    height, width = shape[:2]
    source_w, source_h = source_size
    before = {"from": [source_w, source_h], "to": [width, height]}
    if (width, height) == (source_w, source_h):
        limit = _max_side(settings, site)
        return Decision("downscale", False, f"Kept the size {width}×{height} (within {limit} px).",
                        f"サイズ {width}×{height} のままです({limit} px 以内)。", before)
    user = settings.output.max_side and settings.output.max_side < site.max_side
    why_en = f"your maximum size of {settings.output.max_side} px" if user else f"{site.name}'s {site.max_side} px limit"
    why_ja = f"設定の最大サイズ {settings.output.max_side} px " if user else f"{site.name} の上限 {site.max_side} px "
    how_en = " (nearest neighbour, so pixel edges stay sharp)" if nearest else ""
    how_ja = "(ピクセルの輪郭を保つため最近傍法)" if nearest else ""
    return Decision("downscale", True,
                    f"Scaled down from {source_w}×{source_h} to {width}×{height} for {why_en}{how_en}.",
                    f"{why_ja}に合わせて {source_w}×{source_h} から {width}×{height} に縮小しました{how_ja}。",
                    {**before, "reason": "max_side" if user else f"{site.id}_limit", "nearest": nearest})


def _signature_decision(settings: Settings, font: fonts.FoundFont, layer: visible.SignatureLayer,
                        shape: tuple[int, ...]) -> Decision:
    """``shape``: the image's (height, width, ...); the details carry where the text is drawn (``box``: left, top,
    right, bottom as fractions of the width and height), so that a crop made later (X's composer) can be checked."""
    sig = settings.signature
    height, width = shape[:2]
    rows, cols = layer.rgba.shape[:2]
    box = [round(max(0, layer.left) / width, 4), round(max(0, layer.top) / height, 4),
           round(min(width, layer.left + cols) / width, 4), round(min(height, layer.top + rows) / height, 4)]
    if sig.placement == "corner":
        where_en, where_ja = f"in the {sig.corner} corner", f"{_CORNERS_JA[sig.corner]}に"
    else:
        where_en, where_ja = "as a diagonal pattern over the whole image", "画像全体に斜めの繰り返し模様として"
    fitted_en = " The text was made smaller to fit the image." if layer.fitted else ""
    fitted_ja = "画像に収まるよう文字を小さくしました。" if layer.fitted else ""
    return Decision(
        "signature", True,
        f"Drew your signature “{sig.text}” {where_en} at {sig.opacity:.0%} opacity ({font.family}, "
        f"{layer.font_px} px).{fitted_en}",
        f"署名「{sig.text}」を{where_ja}不透明度 {sig.opacity:.0%} で描きました({font.family}、{layer.font_px} px)。"
        f"{fitted_ja}",
        {"text": sig.text, "placement": sig.placement, "corner": sig.corner, "opacity": sig.opacity,
         "font": font.path, "font_px": layer.font_px, "fitted": layer.fitted, "box": box})


def _signature_font(settings: Settings) -> tuple[fonts.FoundFont | None, StateError | None]:
    """The font for the signature, or None and why (None, None: the signature is off)."""
    if not settings.signature.enabled:
        return None, None
    try:
        return fonts.find_font(settings.signature.text, font_path=settings.signature.font_path), None
    except StateError as problem:
        if problem.code != "font_missing":
            raise
        return None, problem


def _signature_not_drawn(problem: StateError | None) -> Decision:
    """The signature step when nothing was drawn: off in the settings, or (loudly) no font could draw it."""
    if problem is None:
        return Decision("signature", False, "The visible signature is off in your settings.",
                        "見える署名は設定でオフになっています。")
    missing = problem.details["missing"]
    return Decision(
        "signature", False,
        f"YOUR SIGNATURE WAS NOT DRAWN: no font on this computer can draw “{missing}”. The image carries the "
        "invisible mark only. Change the signature text in omamori's options (or choose a font file), then "
        "protect the image again.",
        f"署名は描かれていません: 「{missing}」を描けるフォントがこのコンピューターにありません。画像には見えない"
        "透かしだけが入っています。omamori の設定で署名の文字を変える(またはフォントファイルを指定する)と、"
        "もう一度保護できます。",
        {"reason": "font_missing", "missing": missing, "warning": True, "font_path": problem.details["font_path"]})


def _mark_off() -> Decision:
    return Decision("mark", False, "The invisible mark is off in your settings.",
                    "見えない透かしは設定でオフになっています。")


def _cloak_off() -> Decision:
    return Decision("cloak", False, "The cloak is off in your settings.", "クロークは設定でオフになっています。")


def _encode_decision(output: xoutput.Output, site: Site = sites.X) -> Decision:
    if output.format == "png":          # the web profile's lossless PNG
        return Decision("encode", True,
                        f"Saved as a lossless PNG ({output.width}×{output.height}, {len(output.data):,} bytes) "
                        f"for your website; X would convert it, so post the JPEG there.",
                        f"Web サイト用に可逆圧縮の PNG で保存しました({output.width}×{output.height}、"
                        f"{len(output.data):,} バイト)。X では変換されるので、X には JPEG を使ってください。",
                        {"format": "png", "lossless": True, "bytes": len(output.data)})
    size_en = f"{output.width}×{output.height}, {len(output.data):,} bytes"
    if site.keeps_png8 and output.client and output.client.reencoded:     # said by _client_sentences
        en = f"Saved as JPEG quality {output.quality} with 4:2:0 colour ({size_en}); no metadata."
        ja = (f"JPEG(品質 {output.quality}、4:2:0)で保存しました({output.width}×{output.height}、"
              f"{len(output.data):,} バイト)。メタデータは含みません。")
    elif site.keeps_png8:
        en = (f"Saved as JPEG quality {output.quality} with 4:2:0 colour ({size_en}), which {site.name} keeps "
              f"without re-encoding; no metadata.")
        ja = (f"JPEG(品質 {output.quality}、4:2:0)で保存しました({output.width}×{output.height}、"
              f"{len(output.data):,} バイト)。{site.name} で再圧縮されない形式です。メタデータは含みません。")
    else:
        en = (f"Saved as JPEG quality {output.quality} with 4:2:0 colour ({size_en}), within {site.name}'s "
              f"{site.max_side} px and {site.limit_en} limits: {site.name}'s app re-encodes every image once more, "
              f"here at its own size and a quality at least as high, never shrinking it; no metadata.")
        ja = (f"JPEG(品質 {output.quality}、4:2:0)で保存しました({output.width}×{output.height}、"
              f"{len(output.data):,} バイト)。{site.name} の上限 {site.max_side} px・{site.limit_ja} 以内なので、"
              f"{site.name} のアプリはどの画像も再圧縮しますが、この画像は同じサイズ・同等以上の品質のままで縮小しません。"
              f"メタデータは含みません。")
    details = {"format": "jpeg", "quality": output.quality, "subsampling": "4:2:0", "bytes": len(output.data),
               "shrunk_from": list(output.shrunk_from) if output.shrunk_from else None,
               "progressive": output.progressive, "client_reencodes": bool(output.client and output.client.reencoded)}
    client_en, client_ja = _client_sentences(output, site)
    en += client_en
    ja += client_ja
    if output.client:
        details.update(reencode_psnr_db=round(output.client.reencode_psnr_db, 2),
                       lower_quality=output.client.lower_quality,
                       lower_psnr_db=None if output.client.lower_psnr_db is None else round(output.client.lower_psnr_db, 2))
    if output.shrunk_from:
        en += (f" It was scaled down from {output.shrunk_from[0]}×{output.shrunk_from[1]} to stay under "
               f"{site.name}'s {site.limit_en} limit.")
        ja += (f"{site.name} の上限 {site.limit_ja} に収めるため、{output.shrunk_from[0]}×{output.shrunk_from[1]} "
               f"から縮小しました。")
    return Decision("encode", True, en, ja, details)


def _client_sentences(output: xoutput.Output, site: Site) -> tuple[str, str]:
    """What the site's web client does with the file when it re-encodes dense JPEGs (X: under 6 pixels per byte)."""
    if site.client_min_pixels_per_byte is None:
        return "", ""
    rule_en = f"fewer than {site.client_min_pixels_per_byte:g} pixels per byte"
    rule_ja = f"1 バイトあたり {site.client_min_pixels_per_byte:g} ピクセル未満"
    choice = output.client
    if choice is None and output.progressive:
        return (f" Progressive, so that {site.name}'s web client uploads it as it is (the same pixels in a "
                f"baseline file would have {rule_en}, which it encodes once more).",
                f"プログレッシブ形式なので、{site.name} の Web 版はそのままアップロードします(同じ画素のベースライン形式だと"
                f"{rule_ja}になり、もう一度圧縮されます)。")
    if choice is None:
        return "", ""
    if not choice.reencoded:
        return (f" Quality {output.quality}, so that {site.name}'s web client uploads it as it is: at 85 it would "
                f"have {rule_en} and the client would encode it once more, which loses more "
                f"({choice.lower_psnr_db:.1f} dB here against {choice.reencode_psnr_db:.1f} dB).",
                f"品質を {output.quality} にしたので、{site.name} の Web 版はそのままアップロードします。品質 85 だと"
                f"{rule_ja}になり、もう一度圧縮されて画質がより落ちます({choice.lower_psnr_db:.1f} dB に対し "
                f"{choice.reencode_psnr_db:.1f} dB)。")
    if choice.lower_quality:
        why_en = (f"that costs the picture less than quality {choice.lower_quality}, the highest it would keep "
                  f"({choice.reencode_psnr_db:.1f} dB against {choice.lower_psnr_db:.1f} dB)")
        why_ja = (f"そのほうが、Web 版がそのまま送る最高の品質 {choice.lower_quality} より画質の損失が小さくなります"
                  f"({choice.lower_psnr_db:.1f} dB に対し {choice.reencode_psnr_db:.1f} dB)")
    else:
        why_en = f"no quality from {xoutput.MIN_CLIENT_QUALITY} up is small enough for it to keep the file as it is"
        why_ja = f"品質 {xoutput.MIN_CLIENT_QUALITY} 以上ではどれも、そのまま送られる大きさに収まりません"
    return (f" {site.name}'s web client will encode this detailed image once more before uploading it (JPEG 0.85: "
            f"{rule_en}): {why_en}. The mark was read back from that second encode.",
            f"細部の多いこの画像は、{site.name} の Web 版がアップロード前にもう一度圧縮します(JPEG 0.85、{rule_ja})。"
            f"{why_ja}。透かしはその再圧縮後の画像から読み取れることを確認しています。")
