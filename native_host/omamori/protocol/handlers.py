"""Request dispatch: one small handler per request type, in one table.

``Host.handle(request)`` returns the reply envelope for any request and never
raises: an ``OmamoriError`` becomes a failure reply with its stable code, and
anything else is a bug that is logged and answered with ``internal_error``.
The stdio host, the WebSocket server and the CLI all call this, so the three
answer alike. Handlers read fields, call the engine, and shape the result;
they never print, exit or touch the transport.
"""
from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import logging
import time
from dataclasses import asdict, replace
from importlib import resources
from pathlib import PurePath
from typing import Any, Callable

import numpy as np

from .. import __version__, checklist, cloak, evidence, fonts, imageio, keys, mark, settings as settings_store, webmeta
from ..catalog import LANGUAGES, Message
from ..cloak.models import TinyVAE
from ..cloak.preview import what_ai_sees
from ..errors import OmamoriError, RequestError, internal_error
from ..ledger import Entry, Ledger, now_utc
from ..paths import Paths
from ..protect import pipeline, prepare, sites, visible
from .envelope import PROTOCOL_VERSION, Request, failure_reply, ok_reply, valid_id

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
LEDGER_MATCH_BITS = 10      # perceptual-hash distance that still counts as "looks like"
MAX_HISTORY = 500
THUMBNAIL_SIDE = 256        # pixels: the ledger's picture of each protection (a JPEG of about 10-20 kB)
FOUND_PICTURE_SIDE = 640    # pixels: the picture of the image examined on an evidence sheet
MAX_SOURCE_TEXT = 4096      # characters of an address or time describing where an image was found
SIGNATURE_PREVIEW_SIDE = 640  # pixels: the long side of the signature preview (a JPEG of 25-125 kB)
MAX_NAME = 255              # characters of a protected file's name kept in the ledger (a file system's limit)


class Host:
    """The state one host process keeps: paths, and lazily the ledger, key, the cloak's model and the fonts
    found so far."""

    def __init__(self, paths: Paths, *, transport: str = "native") -> None:
        self.paths = paths
        self.transport = transport
        self._ledger: Ledger | None = None
        self._key: bytes | None = None
        self._cloak_models: tuple[TinyVAE, ...] | None = None
        self._fonts: dict[tuple[str, str], fonts.FoundFont] = {}

    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(self.paths.ledger_file)
        return self._ledger

    def key(self) -> bytes:
        if self._key is None:
            self._key = keys.load_or_create(self.paths.key_file, used_before=self.ledger().count() > 0)
        return self._key

    def cloak_models(self) -> tuple[TinyVAE, ...]:
        """The cloak's models from ``paths.models`` (``cloak.load_models``), loaded on first use (their threads
        live as long as the host). Raises ``StateError("model_missing")`` or ``("model_damaged")``, and tries
        again on the next call."""
        if self._cloak_models is None:
            self._cloak_models = cloak.load_models(self.paths.models)
        return self._cloak_models

    def c2pa_identity(self, *, name: str):
        """The user's C2PA signing identity, made on first use (``name``: the signer's common name then)."""
        from .. import c2pa_manifest
        return c2pa_manifest.load_or_create_identity(self.paths.c2pa, name=name,
                                                     now=datetime.datetime.now(datetime.timezone.utc))

    def own_c2pa_authority(self) -> bytes | None:
        from .. import c2pa_manifest
        identity = c2pa_manifest.load_identity(self.paths.c2pa)
        return identity.authority if identity else None

    def settings(self) -> settings_store.Settings:
        return settings_store.load(self.paths.settings_file)

    def find_font(self, text: str, *, font_path: str = "") -> fonts.FoundFont:
        """``fonts.find_font``, searched once per text and font file (a search may run ``fc-list``). A font not
        found is searched for again next time, so that one installed meanwhile is used."""
        if (text, font_path) not in self._fonts:
            self._fonts[(text, font_path)] = fonts.find_font(text, font_path=font_path)
        return self._fonts[(text, font_path)]

    def signature_font(self, signature: settings_store.SignatureSettings) -> visible.SignatureFont:
        """The font the pipeline draws ``signature`` with, resolved here once rather than for every image."""
        return visible.signature_font(signature, find=self.find_font)

    def cancel(self, request: Request) -> bool:
        """Whether ``request``, running, was stopped: never here (a thread cannot be stopped; ``WorkerHost`` can)."""
        return False

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None

    def handle(self, request: Request, progress: Progress | None = None) -> dict[str, Any]:
        handler = HANDLERS.get(request.type)
        try:
            if handler is None:
                raise RequestError("unknown_type", type=request.type[:64], known=sorted(HANDLERS))
            return ok_reply(request, handler(self, request.body, progress or _ignore_progress))
        except OmamoriError as error:
            return failure_reply(request.id, request.type, error)
        except Exception:  # a bug: keep the host alive, tell the peer nothing private
            log.exception("request %r of type %r failed", request.id, request.type)
            return failure_reply(request.id, request.type, internal_error())


def _ignore_progress(stage: str, fraction: float) -> None:
    pass


# -- field readers -------------------------------------------------------------
def _field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    value = body.get(name, default)
    if value is ...:
        raise RequestError("bad_request", field=name, reason="required")
    if value is not default and (not isinstance(value, kind) or isinstance(value, bool) and kind is int):
        raise RequestError("bad_request", field=name, reason=f"expected {getattr(kind, '__name__', kind)}")
    return value


def image_bytes(body: dict[str, Any]) -> bytes:
    """The request's image: raw bytes (binary transports) or strict base64."""
    value = _field(body, "image", (str, bytes))
    if isinstance(value, bytes):
        return value
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestError("bad_base64", field="image") from exc


def output_profile(body: dict[str, Any]) -> tuple[sites.Site, webmeta.WebProfile | None]:
    """The protect request's ``profile`` ("x", the default, "bluesky" or "web"), ``lossless``, ``c2pa`` (default
    true) and ``rights`` ({creator, copyright, web_statement}) fields: the site whose limits the output keeps (X
    for "web") and the web profile (None for the sites' own, whose output carries no metadata at all). Raises
    ``bad_request``."""
    profile = body.get("profile", "x")
    if profile not in (*sites.SITES, "web"):
        raise RequestError("bad_request", field="profile", reason='"x", "bluesky" or "web"')
    lossless = body.get("lossless", False)
    c2pa = body.get("c2pa", True)
    rights = body.get("rights", {})
    for name, value in (("lossless", lossless), ("c2pa", c2pa)):
        if not isinstance(value, bool):
            raise RequestError("bad_request", field=name, reason="expected bool")
    if not isinstance(rights, dict) or set(rights) - {"creator", "copyright", "web_statement"} or not all(
            isinstance(value, str) and len(value) <= 500 for value in rights.values()):
        raise RequestError("bad_request", field="rights",
                           reason="{creator, copyright, web_statement}: strings of at most 500 characters")
    if profile != "web":
        if lossless or rights or "c2pa" in body:
            raise RequestError("bad_request", field="profile", reason='lossless, rights and c2pa need profile "web"')
        return sites.SITES[profile], None
    return sites.X, webmeta.WebProfile(rights=webmeta.Rights(**{k: v.strip() for k, v in rights.items()}),
                                       lossless=lossless, c2pa=c2pa)


def output_name(name: str, fmt: str) -> str:
    """``art.png`` -> ``art.jpg``: the stem of the user's name, our format."""
    stem = PurePath(name.replace("\\", "/")).stem[:100] or "image"
    return f"{stem}.{'jpg' if fmt == 'jpeg' else fmt}"


# -- handlers ------------------------------------------------------------------
def _key_state(host: Host) -> dict[str, Any]:
    """``hello``'s ``key``: the creator id, or the problem that stops the key from being read (or made)."""
    try:
        return {"present": True, "creator_id": f"{mark.creator_id(host.key()):x}"}
    except OmamoriError as error:
        return {"present": False, "problem": error.to_dict()}


def _font_state(host: Host, current: settings_store.Settings) -> dict[str, Any]:
    """``hello``'s ``font``: the font that draws the signature text, or the problem."""
    try:
        found = host.find_font(current.signature.text, font_path=current.signature.font_path)
    except OmamoriError as error:
        return {"found": False, "problem": error.to_dict()}
    return {"found": True, "path": found.path, "family": found.family}


def handle_hello(host: Host, body: dict[str, Any], progress: Progress) -> dict[str, Any]:
    current = host.settings()
    key, font, cloak_installed = _key_state(host), _font_state(host, current), cloak.available(host.paths.models)
    return {
        "version": __version__,
        "protocol": PROTOCOL_VERSION,
        "transport": host.transport,
        "capabilities": sorted(HANDLERS),
        "settings": current.to_dict(),
        "key": key,
        "font": font,
        "cloak": {"available": cloak_installed},
        "protected_count": host.ledger().count(),
        # The popup shows the checklist beside the count: one request when it opens, not two.
        "checklist": _checklist(current, key, font, cloak_installed),
    }


def handle_status(host: Host, body: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """The checklist of measures (``checklist.checklist``), from the same findings as ``hello``."""
    current = host.settings()
    return {"items": _checklist(current, _key_state(host), _font_state(host, current),
                                cloak.available(host.paths.models))}


def _checklist(current: settings_store.Settings, key: dict[str, Any], font: dict[str, Any],
               cloak_installed: bool) -> list[dict[str, Any]]:
    """The checklist's items as sent, from ``hello``'s findings (``_key_state``, ``_font_state``)."""
    items = checklist.checklist(
        current, font_problem=None if font["found"] else font["problem"]["code"],
        key_problem=None if key["present"] else key["problem"]["code"], cloak_installed=cloak_installed)
    return [asdict(item) for item in items]


def handle_protect(host: Host, body: dict[str, Any], progress: Progress) -> dict[str, Any]:
    started = time.perf_counter()
    data = image_bytes(body)
    name = _field(body, "name", str, "image")
    options = _field(body, "options", dict, {})
    chosen = settings_store.apply_changes(host.settings(), options)
    site, web = output_profile(body)
    if web is not None and web.c2pa:
        web = replace(web, signer=host.c2pa_identity(name=web.rights.creator or "omamori user"))
    protected = pipeline.protect(
        data, settings=chosen, key=host.key(), today=datetime.date.today(), rng=np.random.default_rng(),
        font=host.signature_font(chosen.signature), progress=progress, web=web, title=name, site=site,
        cloak_models=host.cloak_models,
    )
    out_name = output_name(name, protected.format)
    picture = pipeline.thumbnail(protected.data, max_side=THUMBNAIL_SIDE) if chosen.ledger.thumbnails else None
    skipped = [{"step": d.step, "reason": d.details["reason"], "message": d.skipped.both()}
               for d in protected.report if d.skipped is not None]
    host.ledger().record(
        Entry(time=now_utc(), name=out_name, sha256_original=protected.original_sha256,
              sha256_output=protected.output_sha256, mark_id=protected.mark_id,
              fingerprint=protected.original_fingerprint, width=protected.width,
              height=protected.height, format=protected.format, original_name=name[:MAX_NAME],
              # the CLI says which file it wrote once it has (Ledger.set_destination); the browser attaches it
              destination=None if host.transport == "cli" else f"browser:{body.get('profile', 'x')}",
              skipped=tuple(skipped), thumbnail=picture),
        settings=chosen.to_dict(),
    )
    return {
        "image": protected.data,
        "mime": protected.mime,
        "name": out_name,
        "format": protected.format,
        "width": protected.width,
        "height": protected.height,
        "bytes": len(protected.data),
        "elapsed_ms": round((time.perf_counter() - started) * 1000),
        "mark": {"id": protected.mark_id, "verified": protected.mark_verified} if protected.mark_id else None,
        "report": [
            {"step": d.step, "applied": d.applied, "message": d.message.both(), "details": d.details}
            for d in protected.report
        ],
        "skipped": skipped,
    }


def _source(body: dict[str, Any]) -> dict[str, str] | None:
    """Where the image was found (``source``: url, page_url, seen_at; each optional), for the evidence sheet."""
    source = _field(body, "source", dict, None)
    if source is None:
        return None
    unknown = set(source) - {"url", "page_url", "seen_at"}
    if unknown:
        raise RequestError("bad_request", field=f"source.{sorted(unknown)[0]}", reason="unknown field")
    for name, value in source.items():
        if not isinstance(value, str) or len(value) > MAX_SOURCE_TEXT:
            raise RequestError("bad_request", field=f"source.{name}", reason=f"a string of at most {MAX_SOURCE_TEXT}")
    return source


def handle_verify(host: Host, body: dict[str, Any], progress: Progress) -> dict[str, Any]:
    data = image_bytes(body)
    want_report = _field(body, "report", bool, False)
    source = _source(body)
    key = host.key()
    examined = pipeline.examine(data, key=key)
    detection = examined.detection
    found = None
    if detection.marked and detection.payload is not None:
        payload = detection.payload
        found = {
            "id": payload.id,
            "creator_id": f"{payload.creator_id:x}",
            "own": payload.creator_id == mark.creator_id(key),
            "date": payload.day.isoformat(),
            "no_ai_training": payload.no_ai_training,
            "version": payload.version,
        }
    ledger = host.ledger()
    sha256 = hashlib.sha256(data).hexdigest()
    exact = ledger.find_output(sha256)
    similar = (exact, 0) if exact else ledger.nearest(examined.fingerprint, max_distance=LEDGER_MATCH_BITS)
    fp = float(f"{detection.false_positive_probability:.3g}")   # a bound: three figures say all it can
    result: dict[str, Any] = {
        "marked": found is not None,
        "mark": found,
        "confidence": round(float(detection.confidence), 4),
        "false_positive_probability": fp,
        "certainty": evidence.certainty(fp) if found else None,
        "sha256": sha256,
        "width": examined.width,
        "height": examined.height,
        "ledger_match": None if similar is None else {
            "time": similar[0].time, "name": similar[0].name, "original_name": similar[0].original_name,
            "skipped": similar[0].to_dict()["skipped"], "distance": similar[1],
            "exact": exact is not None, "mark_id": similar[0].mark_id,
            "sha256_original": similar[0].sha256_original, "sha256_output": similar[0].sha256_output,
            "width": similar[0].width, "height": similar[0].height,
            "thumbnail": base64.b64encode(similar[0].thumbnail).decode("ascii") if similar[0].thumbnail else None,
        },
        "rights": webmeta.read(data),
        "c2pa": _read_c2pa(host, data),
    }
    result["verdict"] = evidence.verdict(result)
    result["summary"] = {language: evidence.verdict_sentence(result, language) for language in LANGUAGES}
    if want_report:
        html = evidence.sheet(result, found_thumbnail=pipeline.thumbnail(data, max_side=FOUND_PICTURE_SIDE),
                              source=source, version=__version__, made_at=now_utc())
        result["report"] = {"html": html, "name": f"omamori-evidence-{sha256[:12]}.html", "bytes": len(html.encode())}
    return result


def _read_c2pa(host: Host, data: bytes) -> dict | None:
    """The file's C2PA manifest (c2pa_manifest.read), when its bytes hold one: most files never load the library."""
    if b"c2pa" not in data:
        return None
    from .. import c2pa_manifest
    return c2pa_manifest.read(data, own_authority=host.own_c2pa_authority())


def _picture(encoded: bytes, mime: str, pixels: np.ndarray) -> dict[str, Any]:
    """A preview reply's picture: the encoded file and its size in bytes and pixels (``pixels``, HxWxC, is what
    was encoded)."""
    return {"image": encoded, "mime": mime, "bytes": len(encoded), "width": pixels.shape[1], "height": pixels.shape[0]}


def handle_cloak_preview(host: Host, body: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """What the cloak's model sees of ``image``: its reconstruction clean (left) and cloaked (right), as a PNG."""
    started = time.perf_counter()
    data = image_bytes(body)
    options = _field(body, "options", dict, {})
    settings = settings_store.apply_changes(host.settings(), options)
    strength = settings.cloak.strength
    progress("decode", 0.0)
    image = pipeline.full_colour(data, settings=settings)
    seed = _field(body, "seed", int, None)
    if seed is not None and not 0 <= seed < 2 ** 63:
        raise RequestError("bad_request", field="seed", reason="an integer from 0 to 2**63 - 1")
    preview = what_ai_sees(image, host.cloak_models(), strength=strength, rng=np.random.default_rng(seed),
                           progress=progress)
    png = imageio.encode_png(preview)
    progress("done", 1.0)
    return {
        **_picture(png, "image/png", preview),
        "strength": strength,
        "elapsed_ms": round((time.perf_counter() - started) * 1000),
        "limits": Message("cloak.limits").both(),
    }


def sample_picture() -> bytes:
    """The illustration that ships with omamori (1200 x 900 px PNG): what ``omamori sample`` protects and the
    signature preview is drawn on."""
    return resources.files("omamori").joinpath("data/sample.png").read_bytes()


def handle_signature_preview(host: Host, body: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """The signature drawn on the sample picture by protection's own step (``pipeline.sign``) with the saved
    settings and ``options`` over them, checked as ``settings.set`` checks them but not saved; a small JPEG of it and
    the step's decision."""
    options = _field(body, "options", dict, {})
    chosen = settings_store.checked_entry(host.settings(), options)
    image = pipeline.full_colour(sample_picture(), settings=chosen)
    font = host.signature_font(chosen.signature)
    # A fixed lattice offset: the same settings give the same picture, so that only what was changed moves.
    image, signed = pipeline.sign(image, settings=chosen, font=font, rng=np.random.default_rng(0))
    small = prepare.downscale(image, max_side=SIGNATURE_PREVIEW_SIDE)
    jpeg = imageio.encode_jpeg(small, quality=85)
    return {
        **_picture(jpeg, "image/jpeg", small),
        "drawn_on": {"width": image.shape[1], "height": image.shape[0]},
        "signature": {"applied": signed.applied, "message": signed.message.both(), "details": signed.details},
        "skipped": None if signed.skipped is None else {"reason": signed.details["reason"],
                                                        "message": signed.skipped.both()},
        "font": None if font.found is None else {"path": font.found.path, "family": font.found.family},
        "settings": asdict(chosen.signature),
    }


def handle_signature_fonts(host: Host, body: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """The fonts a person may choose for the signature (``signature.font_path``): those that draw every character
    of ``text`` (default: the saved signature text), and the one chosen automatically when none is."""
    text = _field(body, "text", str, None)
    if text is None:
        text = host.settings().signature.text
    elif len(text) > settings_store.MAX_TEXT:
        raise RequestError("bad_request", field="text", reason=f"at most {settings_store.MAX_TEXT} characters")
    try:
        automatic = host.find_font(text)
        chosen_automatically = {"path": automatic.path, "family": automatic.family}
    except OmamoriError as error:
        chosen_automatically = {"problem": error.to_dict()}
    return {"fonts": [{"path": font.path, "family": font.family} for font in fonts.usable_fonts(text)],
            "automatic": chosen_automatically}


def handle_settings_get(host: Host, body: dict[str, Any], progress: Progress) -> dict[str, Any]:
    # The defaults too: the extension's first-run page puts the artist's name before the default signature text.
    return {"settings": host.settings().to_dict(), "defaults": settings_store.Settings().to_dict()}


def handle_settings_set(host: Host, body: dict[str, Any], progress: Progress) -> dict[str, Any]:
    changes = _field(body, "changes", dict)
    return {"settings": settings_store.change(host.paths.settings_file, changes).to_dict()}


def handle_settings_reset(host: Host, body: dict[str, Any], progress: Progress) -> dict[str, Any]:
    # The extension's way out of a damaged settings file, which fails every other request (hello included).
    return {"settings": settings_store.reset(host.paths.settings_file).to_dict()}


def cancel_target(body: dict[str, Any]) -> str | int:
    """The id of the request a ``cancel`` names (its ``request`` field)."""
    target = body.get("request")
    if not valid_id(target):
        raise RequestError("bad_request", field="request", reason="the id of a request in flight")
    return target


def handle_cancel(host: Host, body: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """A ``cancel`` that reaches the dispatcher found nothing to stop: the transports
    (``transports.line``) answer the ones that name a request in flight before it gets here."""
    cancel_target(body)
    return {"cancelled": False}


def handle_history(host: Host, body: dict[str, Any], progress: Progress) -> dict[str, Any]:
    limit = _field(body, "limit", int, 20)
    if not 1 <= limit <= MAX_HISTORY:
        raise RequestError("bad_request", field="limit", reason=f"1-{MAX_HISTORY}")
    ledger = host.ledger()
    return {"items": [entry.to_dict() for entry in ledger.recent(limit)], "total": ledger.count()}


HANDLERS: dict[str, Callable[[Host, dict[str, Any], Progress], dict[str, Any]]] = {
    "hello": handle_hello,
    "protect": handle_protect,
    "verify": handle_verify,
    "cloak.preview": handle_cloak_preview,
    "signature.preview": handle_signature_preview,
    "signature.fonts": handle_signature_fonts,
    "settings.get": handle_settings_get,
    "settings.set": handle_settings_set,
    "settings.reset": handle_settings_reset,
    "history": handle_history,
    "status": handle_status,
    "cancel": handle_cancel,
}
