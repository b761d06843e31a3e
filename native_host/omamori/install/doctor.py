"""``omamori doctor``: check the installation end to end, each problem with its fix.

For every browser omamori registered or can see: the manifest is where that
browser looks (on Windows: the HKCU key points at it), it parses and allows our
extension, its ``path`` is an executable launcher, and that launcher starts the
host and answers ``hello`` over the real native messaging framing. Then the
things the host needs: a font that can draw the signature, the key (owner-only),
the ledger.

Doctor only reads: it never creates the key or the ledger.
"""
from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .. import keys, settings as settings_store
from ..catalog import Message
from ..errors import OmamoriError
from ..paths import Paths
from .browsers import HOST_NAME, ExtensionIds, Machine, detect, snap_can_host
from .changes import DamagedReceipt, Registry
from .installer import recorded_extension_dir, registered_targets
from .registration import Target

HELLO_TIMEOUT = 30.0        # seconds: a cold start imports numpy and Pillow and looks up fonts

Status = Literal["ok", "problem", "note"]


@dataclass(frozen=True)
class Finding:
    """One check's result. ``what`` is a catalog key (``doctor.…``) formatted with ``fields``."""

    subject: str
    status: Status
    what: str
    fields: dict[str, Any] = field(default_factory=dict)
    fix: str | Message | None = None          # the command that fixes it (a Message when it needs words)


def run_checks(machine: Machine, paths: Paths, *, registry: Registry | None) -> list[Finding]:
    findings = check_browsers(machine, paths, registry=registry)
    settings = check_settings(paths)
    # the font is looked up for the saved signature text, which damaged settings do not give
    findings += [settings] + ([check_font(paths)] if settings.status == "ok" else [])
    findings += [check_key(paths), check_ledger(paths)]
    return findings


def check_browsers(machine: Machine, paths: Paths, *, registry: Registry | None) -> list[Finding]:
    try:
        extension_dir = recorded_extension_dir(paths)
        targets = registered_targets(machine, paths)
    except DamagedReceipt as damaged:
        return [Finding("browsers", "problem", "install.receipt_damaged", {"path": damaged.path}, fix="omamori install")]
    try:
        ids = ExtensionIds.load(extension_dir)
    except (OSError, ValueError, KeyError):
        ids = None
    registered = {t.browser.name for t in targets}
    findings: list[Finding] = []
    detected = detect(machine)
    for found in detected:
        browser = found.browser
        for sandbox in found.sandboxes:
            if sandbox == "snap" and snap_can_host(browser):
                continue
            findings.append(Finding(browser.label, "note", "doctor.sandboxed",
                                    {"how": sandbox}, fix="omamori serve"))
        if found.native and browser.name not in registered:
            # Maybe left out on purpose (--browser): worth saying, not broken.
            findings.append(Finding(browser.label, "note", "doctor.not_registered", {},
                                    fix=f"omamori install --browser {browser.name}"))
    if not targets and not detected:
        return [Finding("browsers", "problem", "doctor.no_browser", fix=NO_BROWSER_FIX)]
    if not targets:
        return [*findings, Finding("browsers", "problem", "doctor.no_registration", fix="omamori install")]
    answered: dict[str, Finding] = {}
    for target in targets:
        findings.append(check_target(target, ids=ids, registry=registry, answered=answered))
    return findings


def check_target(
    target: Target, *, ids: ExtensionIds | None, registry: Registry | None, answered: dict[str, Finding]
) -> Finding:
    """The first thing wrong with one browser's registration, or ok."""
    browser = target.browser
    subject = browser.label
    reinstall = f"omamori install --browser {browser.name}" if ":" not in browser.name else "omamori install"
    manifest_path = target.manifest
    if target.registry_key is not None:
        assert registry is not None
        value = registry.get(target.registry_key) if registry.exists(target.registry_key) else None
        if not value:
            return Finding(subject, "problem", "doctor.no_key", {"key": f"HKCU\\{target.registry_key}"}, reinstall)
        manifest_path = Path(value)
    try:
        body = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Finding(subject, "problem", "doctor.no_manifest", {"path": manifest_path}, reinstall)
    except (OSError, ValueError) as exc:
        return Finding(subject, "problem", "doctor.bad_manifest", {"path": manifest_path, "reason": exc}, reinstall)
    reason = manifest_problem(body, browser.family, ids)
    if reason:
        return Finding(subject, "problem", "doctor.bad_manifest", {"path": manifest_path, "reason": reason}, reinstall)
    launcher = Path(body["path"])
    if not launcher.is_absolute() or not launcher.is_file():
        return Finding(subject, "problem", "doctor.no_launcher", {"path": launcher}, reinstall)
    if os.name != "nt" and not os.access(launcher, os.X_OK):
        return Finding(subject, "problem", "doctor.not_executable", {"path": launcher}, f"chmod 755 '{launcher}'")
    args = [body["allowed_origins"][0]] if browser.family == "chromium" else [str(manifest_path), body["allowed_extensions"][0]]
    if str(launcher) not in answered:
        answered[str(launcher)] = _hello_finding(subject, launcher, args)
    result = answered[str(launcher)]
    if result.status != "ok":
        return Finding(subject, result.status, result.what, result.fields, result.fix)
    return Finding(subject, "ok", result.what, {"path": manifest_path, **result.fields})


def manifest_problem(body: Any, family: str, ids: ExtensionIds | None) -> str | None:
    """Why this manifest would not let our extension start the host, or None."""
    if not isinstance(body, dict):
        return "not a JSON object"
    if body.get("name") != HOST_NAME:
        return f"name is {body.get('name')!r}, expected {HOST_NAME!r}"
    if body.get("type") != "stdio":
        return "type is not \"stdio\""
    if not isinstance(body.get("path"), str):
        return "no path"
    own, other = ("allowed_extensions", "allowed_origins") if family == "firefox" else ("allowed_origins", "allowed_extensions")
    if family == "firefox" and other in body:
        return "Firefox refuses a manifest with allowed_origins"
    allowed = body.get(own)
    if not isinstance(allowed, list) or not allowed:
        return f"no {own}"
    if ids is not None:
        expected = ids.gecko_id if family == "firefox" else ids.chrome_origin
        if expected not in allowed:
            return f"{own} does not list this extension ({expected})"
    return None


def _hello_finding(subject: str, launcher: Path, args: list[str]) -> Finding:
    try:
        reply = ask_hello(launcher, args)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        return Finding(subject, "problem", "doctor.no_hello", {"path": launcher, "reason": exc}, "omamori install")
    if not reply.get("ok"):
        code = (reply.get("error") or {}).get("code", "?")
        if code == "settings_damaged":      # the host runs; the settings finding says what to do
            return Finding(subject, "ok", "doctor.browser_ok_settings_damaged")
        return Finding(subject, "problem", "doctor.hello_error", {"code": code}, "omamori doctor")
    return Finding(subject, "ok", "doctor.browser_ok", {"version": reply["result"].get("version")})


def ask_hello(launcher: Path, args: list[str], *, timeout: float = HELLO_TIMEOUT) -> dict:
    """Start the launcher as a browser would and return its reply to ``hello``.

    Raises ``subprocess.TimeoutExpired`` if it does not answer in time and
    ``ValueError`` if what comes back is not one framed JSON reply.
    """
    request = json.dumps({"v": 1, "id": "doctor", "type": "hello"}).encode()
    frame = len(request).to_bytes(4, sys.byteorder) + request
    # Closing stdin after the request makes the host exit once it has answered.
    done = subprocess.run([str(launcher), *args], input=frame, capture_output=True,
                          timeout=timeout, cwd=launcher.parent, check=False)
    out = done.stdout
    if len(out) < 4:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise ValueError(f"no reply ({tail[0]})")
    length = int.from_bytes(out[:4], sys.byteorder)
    if len(out) < 4 + length:
        raise ValueError("reply cut short")
    reply = json.loads(out[4:4 + length])
    if not isinstance(reply, dict) or reply.get("id") != "doctor":
        raise ValueError("the reply is not an answer to hello")
    return reply


def check_settings(paths: Paths) -> Finding:
    try:
        settings_store.load(paths.settings_file)
    except OmamoriError as error:
        return Finding("settings", "problem", "doctor.settings_damaged", {"problem": error.message},
                       "omamori settings reset")
    return Finding("settings", "ok", "doctor.settings_ok", {"path": paths.settings_file})


def check_font(paths: Paths) -> Finding:
    from .. import fonts

    try:
        current = settings_store.load(paths.settings_file)
        found = fonts.find_font(current.signature.text, font_path=current.signature.font_path)
    except OmamoriError as error:
        missing = error.details.get("missing") or "?"
        return Finding("font", "problem", "doctor.font_missing", {"code": error.code, "missing": missing},
                       FONT_FIX)
    return Finding("font", "ok", "doctor.font_ok", {"path": found.path})


NO_BROWSER_FIX = Message("doctor.fix_no_browser")
# omamori ships a Japanese font, so what no font draws is a character of the text (an emoji): change the text.
FONT_FIX = Message("doctor.fix_font")


def check_key(paths: Paths) -> Finding:
    path = paths.key_file
    try:
        key = keys.read_key(path)
    except OmamoriError:
        return Finding("key", "problem", "doctor.key_unreadable", {"path": path}, "omamori key import BACKUP-FILE")
    if key is None:
        # A first protect creates it, unless images were protected before (then it was lost).
        return Finding("key", "note", "doctor.key_not_yet", {"path": path})
    if os.name != "nt" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        return Finding("key", "problem", "doctor.key_open", {"path": path, "mode": oct(stat.S_IMODE(path.stat().st_mode))},
                       f"chmod 600 '{path}'")
    return Finding("key", "ok", "doctor.key_ok", {"path": path})


def check_ledger(paths: Paths) -> Finding:
    from ..ledger import Ledger

    path = paths.ledger_file
    if not path.exists():
        folder = next(p for p in (path.parent, *path.parents) if p.exists())
        if os.access(folder, os.W_OK):
            return Finding("ledger", "ok", "doctor.ledger_new", {"path": path})
        return Finding("ledger", "problem", "doctor.ledger_unwritable", {"path": folder}, f"chmod u+rwx '{folder}'")
    try:
        ledger = Ledger(path)
        try:
            count = ledger.count()
        finally:
            ledger.close()
    except (OmamoriError, sqlite3.Error) as exc:  # count() raises sqlite3's own errors
        return Finding("ledger", "problem", "doctor.ledger_broken", {"path": path, "reason": exc},
                       f"mv '{path}' '{path}.broken'")
    return Finding("ledger", "ok", "doctor.ledger_ok", {"path": path, "count": count})
