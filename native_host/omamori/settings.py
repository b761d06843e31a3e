"""The user's settings: one truth shared by the CLI, the host and the extension.

Settings are frozen dataclasses, grouped by what they control. They are read
from and written to ``settings.json`` in the config folder; ``apply_changes``
takes a partial nested dict (what ``settings.set`` and ``omamori settings set``
send), checks every value and returns new settings, so an invalid change never
reaches the disk.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints, Literal

from .atomic import write_private
from .errors import StateError, OmamoriError
from .fonts import check_signature_text, is_font_file

Placement = Literal["corner", "tiled"]
Corner = Literal["bottom-right", "bottom-left", "top-right", "top-left"]
OnFailure = Literal["ask", "original", "cancel"]
MAX_TEXT = 200                      # characters of the signature text


@dataclass(frozen=True)
class SignatureSettings:
    """The visible signature drawn on the image."""

    enabled: bool = True
    text: str = "AI学習禁止 / No AI training"
    placement: Placement = "corner"
    corner: Corner = "bottom-right"
    opacity: float = 0.55           # 0-1, alpha of the text in a corner
    # 0-1, alpha of the tiled text: lighter, so that the picture stays what one looks at (README.md)
    tiled_opacity: float = 0.2
    size: float = 0.035             # text height as a fraction of the shorter image side
    font_path: str = ""             # a font file; empty: find a CJK-capable system font

    @property
    def drawn_opacity(self) -> float:
        """The opacity the text is drawn at in its placement (0-1)."""
        return self.tiled_opacity if self.placement == "tiled" else self.opacity

    def check(self) -> None:
        _in_range("signature.opacity", self.opacity, 0.05, 1.0)
        _in_range("signature.tiled_opacity", self.tiled_opacity, 0.05, 1.0)
        _in_range("signature.size", self.size, 0.005, 0.25)
        if len(self.text) > MAX_TEXT:
            raise bad_setting("signature.text", self.text, "text_length", limit=MAX_TEXT)
        if self.enabled and not self.text.strip():
            raise bad_setting("signature.text", self.text, "text_empty")


@dataclass(frozen=True)
class MarkSettings:
    """The invisible ownership mark."""

    enabled: bool = True
    no_ai_training: bool = True     # the flag carried in the payload
    strength: float = 1.0           # multiplier of the embedding strength

    def check(self) -> None:
        _in_range("mark.strength", self.strength, 0.25, 4.0)


@dataclass(frozen=True)
class OutputSettings:
    """What the protected file looks like."""

    max_side: int = 0               # pixels; 0: only X's own 4096 limit
    keep_png8: bool = True          # keep palette art as PNG (X keeps PNG8)

    def check(self) -> None:
        if self.max_side and not 256 <= self.max_side <= 4096:
            raise bad_setting("output.max_side", self.max_side, "max_side", low=256, high=4096)


@dataclass(frozen=True)
class CloakSettings:
    """The optional adversarial cloak (off by default)."""

    enabled: bool = False
    strength: float = 1.0

    def check(self) -> None:
        _in_range("cloak.strength", self.strength, 0.25, 2.0)


@dataclass(frozen=True)
class ExtensionSettings:
    """Choices the extension reads; kept here so there is one truth."""

    on_failure: OnFailure = "ask"   # what to attach when protection fails
    block_grok_edits: bool = True   # turn on X's "Block modifications by Grok" for each post with images

    def check(self) -> None:
        pass


@dataclass(frozen=True)
class LedgerSettings:
    """What the local ledger of protections keeps."""

    thumbnails: bool = True         # a small JPEG of each protected image, shown on evidence sheets

    def check(self) -> None:
        pass


@dataclass(frozen=True)
class Settings:
    signature: SignatureSettings = field(default_factory=SignatureSettings)
    mark: MarkSettings = field(default_factory=MarkSettings)
    output: OutputSettings = field(default_factory=OutputSettings)
    cloak: CloakSettings = field(default_factory=CloakSettings)
    extension: ExtensionSettings = field(default_factory=ExtensionSettings)
    ledger: LedgerSettings = field(default_factory=LedgerSettings)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def check(self) -> None:
        for group in dataclasses.fields(self):
            getattr(self, group.name).check()


# Settings omamori no longer has. Every file saved before carries them (a save writes every field), so a load
# drops them rather than calling the file damaged. (The extension keeps its connection in its own storage.)
RETIRED = {"extension": ("connection", "server_url")}


# What a leaf of each type must be: the ``rule.<rule>`` sentence that says so.
_RULE_OF_TYPE = {bool: "bool", int: "int", float: "number", str: "text"}


_SHOWN_START, _SHOWN_END = 20, 40   # characters of a long refused value said back, either side of "…"


def bad_setting(name: str, value: Any, rule: str, **facts: Any) -> OmamoriError:
    """``bad_setting`` naming the setting, the value given and what it may be (``rule.<rule>`` in the
    catalog, its fields from ``facts``), so that the person can fix it without reading docs."""
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > _SHOWN_START + 1 + _SHOWN_END:    # both ends: a file's name is at its path's end
        shown = shown[:_SHOWN_START] + "…" + shown[-_SHOWN_END:]
    return OmamoriError("bad_setting", field=name, value=shown, rule=rule, **facts)


def _in_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise bad_setting(name, value, "range", low=low, high=high)


def _coerce(name: str, kind: Any, value: Any) -> Any:
    """Check one leaf value against its annotated type (JSON types only)."""
    if get_origin(kind) is Literal:
        if value not in get_args(kind):
            raise bad_setting(name, value, "choice", choices=", ".join(get_args(kind)))
        return value
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        try:
            value = float(value) if ok else value
        except OverflowError:        # an integer of hundreds of digits
            ok = False
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise bad_setting(name, value, _RULE_OF_TYPE[kind])
    return value


def _merge(obj: Any, changes: Any, prefix: str) -> Any:
    if not isinstance(changes, dict):
        raise bad_setting(prefix or "settings", changes, "object")
    hints = get_type_hints(type(obj))
    updates = {}
    for key, value in changes.items():
        name = f"{prefix}.{key}" if prefix else key
        if key not in hints:
            raise bad_setting(name, value, "unknown")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            updates[key] = _merge(current, value, name)
        else:
            updates[key] = _coerce(name, hints[key], value)
    return dataclasses.replace(obj, **updates)


def apply_changes(settings: Settings, changes: dict[str, Any]) -> Settings:
    """New settings with ``changes`` (a partial nested dict) applied and checked.

    Dotted keys are accepted too: ``{"signature.text": "@me"}``.
    """
    nested: dict[str, Any] = {}
    for key, value in changes.items():
        target = nested
        *parents, leaf = str(key).split(".")
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise bad_setting(key, value, "conflicting")
        if isinstance(value, dict) and isinstance(target.get(leaf), dict):
            target[leaf].update(value)
        else:
            target[leaf] = value
    updated = _merge(settings, nested, "")
    updated.check()
    return updated


def load(path: Path) -> Settings:
    """Settings from ``path``; defaults when the file does not exist yet.

    Unknown or invalid entries in the file are an error (``bad_setting``)
    rather than silently dropped, so a hand edit with a typo is noticed.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise StateError("storage_unwritable", path=str(path), reason=exc.strerror or str(exc)) from exc
    try:
        stored = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError("settings_damaged", path=str(path), line=exc.lineno, column=exc.colno,
                         rule="settings_json") from exc
    if not isinstance(stored, dict):
        raise StateError("settings_damaged", path=str(path), rule="settings_object")
    for group, names in RETIRED.items():
        if isinstance(stored.get(group), dict):
            for name in names:
                stored[group].pop(name, None)
    try:
        return apply_changes(Settings(), stored)
    except OmamoriError as exc:     # a value the file holds, not one just typed: the file is what needs fixing
        raise StateError("settings_damaged", path=str(path), field=exc.details.get("field"),
                         cause={"code": exc.code, "details": exc.details}, rule="settings_value") from exc


def checked_entry(current: Settings, changes: dict[str, Any]) -> Settings:
    """``current`` with ``changes`` applied, checked as a person's entry is: besides ``apply_changes``' checks, a
    font path with no file is refused (``bad_setting``), and a signature text (or font) that no font can draw,
    naming the characters (``signature_unprintable``), so that it never reaches an image. Nothing is saved."""
    updated = apply_changes(current, changes)
    signature = updated.signature
    if signature.font_path != current.signature.font_path and signature.font_path \
            and not is_font_file(signature.font_path):     # refused now, not at every protection after
        raise bad_setting("signature.font_path", signature.font_path, "font_file")
    if signature.enabled and (signature.text, signature.font_path, signature.enabled) != (
            current.signature.text, current.signature.font_path, current.signature.enabled):
        check_signature_text(signature.text, font_path=signature.font_path)
    return updated


def change(path: Path, changes: dict[str, Any]) -> Settings:
    """Apply ``changes`` to the settings saved at ``path``, check them (``checked_entry``) and save; the new settings."""
    updated = checked_entry(load(path), changes)
    save(updated, path)
    return updated


def reset(path: Path) -> Settings:
    """Save the defaults at ``path``, whatever is there (a damaged file included); the defaults."""
    defaults = Settings()
    save(defaults, path)
    return defaults


def save(settings: Settings, path: Path) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    settings.check()
    write_private(path, json.dumps(settings.to_dict(), ensure_ascii=False, indent=2).encode("utf-8"))
