"""Bring files and registry keys to a wanted state, record what was made, undo
exactly that.

The installer and the autostart option describe what they want as items
(``FileItem``, ``LinkItem``, ``KeyItem``); ``apply`` compares each with what is
there, writes only what differs (so a second run changes nothing) and keeps a
receipt (JSON in the data folder) of every file, folder, link and registry key it
made. ``undo`` reads the receipt and removes those, and nothing else: a file that
changed since we wrote it is left in place and reported, and a folder or key we
created is removed only once it is empty.

Registry writes go through the small ``Registry`` interface so that Windows'
HKCU handling is tested on any OS with an in-memory registry.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Literal, Protocol

from ..atomic import write_atomic

RECEIPT_VERSION = 1


class Registry(Protocol):
    """The default values of keys under HKEY_CURRENT_USER, by subkey path
    (backslash-separated, e.g. ``Software\\Mozilla\\NativeMessagingHosts\\x``)."""

    def exists(self, key: str) -> bool: ...
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str) -> None:
        """Create the key (and missing parents) and set its default value."""
    def delete(self, key: str) -> None:
        """Delete the key with its values; it has no subkeys."""
    def children(self, key: str) -> list[str]:
        """The names of the key's subkeys."""
    def has_values(self, key: str) -> bool:
        """The key holds a value (the default one included)."""


class WindowsRegistry:
    """HKEY_CURRENT_USER through ``winreg`` (Windows only)."""

    def __init__(self) -> None:
        import winreg  # Windows-only module: imported where it exists

        self._winreg = winreg

    def exists(self, key: str) -> bool:
        try:
            self._winreg.CloseKey(self._winreg.OpenKey(self._winreg.HKEY_CURRENT_USER, key))
        except OSError:
            return False
        return True

    def get(self, key: str) -> str | None:
        try:
            return self._winreg.QueryValue(self._winreg.HKEY_CURRENT_USER, key)
        except OSError:
            return None

    def set(self, key: str, value: str) -> None:
        with self._winreg.CreateKeyEx(self._winreg.HKEY_CURRENT_USER, key, 0, self._winreg.KEY_WRITE) as handle:
            self._winreg.SetValueEx(handle, "", 0, self._winreg.REG_SZ, value)

    def delete(self, key: str) -> None:
        self._winreg.DeleteKey(self._winreg.HKEY_CURRENT_USER, key)

    def children(self, key: str) -> list[str]:
        with self._winreg.OpenKey(self._winreg.HKEY_CURRENT_USER, key) as handle:
            count = self._winreg.QueryInfoKey(handle)[0]
            return [self._winreg.EnumKey(handle, index) for index in range(count)]

    def has_values(self, key: str) -> bool:
        with self._winreg.OpenKey(self._winreg.HKEY_CURRENT_USER, key) as handle:
            return self._winreg.QueryInfoKey(handle)[1] > 0


@dataclass(frozen=True)
class FileItem:
    path: Path
    content: bytes
    mode: int
    groups: tuple[str, ...]     # who needs it: browser names, "launcher", "autostart"


@dataclass(frozen=True)
class LinkItem:
    path: Path
    target: Path
    groups: tuple[str, ...]


@dataclass(frozen=True)
class KeyItem:
    key: str
    value: str
    groups: tuple[str, ...]


Item = FileItem | LinkItem | KeyItem

Verb = Literal[
    "create", "update", "unchanged", "create-folder", "create-key",
    "remove", "remove-folder", "remove-key", "keep-changed", "missing", "keep-foreign",
]


@dataclass(frozen=True)
class Change:
    """One thing done (or, in a dry run, that would be done)."""

    verb: Verb
    target: str


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def _entry_id(entry: dict) -> tuple[str, str]:
    return (entry["kind"], entry.get("path") or entry["key"])


def _item_entry(item: Item) -> dict:
    if isinstance(item, FileItem):
        return {"kind": "file", "path": str(item.path), "sha256": _sha256(item.content), "groups": sorted(item.groups)}
    if isinstance(item, LinkItem):
        return {"kind": "link", "path": str(item.path), "target": str(item.target), "groups": sorted(item.groups)}
    return {"kind": "key", "key": item.key, "value": item.value, "groups": sorted(item.groups)}


class DamagedReceipt(ValueError):
    """The receipt exists but cannot be read: omamori no longer knows what it made."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


class Receipt:
    """The record of what omamori made: a list of entries in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        raw = _read(path)
        try:
            data = json.loads(raw) if raw else {}
            self.entries: list[dict] = list(data.get("entries", []))
            self.notes: dict = dict(data.get("notes", {}))
            for entry in self.entries:
                _entry_id(entry)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise DamagedReceipt(path) from exc
        self._saved = self._text()

    def _text(self) -> bytes:
        entries = sorted(self.entries, key=_entry_id)
        body = {"version": RECEIPT_VERSION, "notes": self.notes, "entries": entries}
        return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode()

    def find(self, kind: str, name: str) -> dict | None:
        for entry in self.entries:
            if _entry_id(entry) == (kind, name):
                return entry
        return None

    def record(self, entry: dict) -> None:
        old = self.find(*_entry_id(entry))
        if old is not None:
            if "groups" in entry:
                entry = {**entry, "groups": sorted(set(old["groups"]) | set(entry["groups"]))}
            self.entries.remove(old)
        self.entries.append(entry)

    def save(self) -> None:
        """Write the receipt if it changed; delete it once it is empty."""
        if not self.entries:
            self.path.unlink(missing_ok=True)
            return
        text = self._text()
        if text != self._saved or not self.path.exists():
            write_atomic(self.path, text, mode=0o644)
            self._saved = text


def _missing_dirs(path: Path) -> list[Path]:
    """The folders above ``path`` that do not exist yet, outermost first."""
    missing = []
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    return missing[::-1]


def _missing_keys(key: str, registry: Registry) -> list[str]:
    parts = key.split("\\")
    missing = []
    for depth in range(len(parts) - 1, 0, -1):
        parent = "\\".join(parts[:depth])
        if registry.exists(parent):
            break
        missing.append(parent)
    return missing[::-1]


def apply(items: Iterable[Item], *, receipt: Receipt, registry: Registry | None, dry_run: bool) -> list[Change]:
    """Make every item true, recording it in ``receipt`` (saved unless dry run)."""
    changes: list[Change] = []
    planned: set[Path] = set()      # folders a dry run would have made already
    items = list(items)
    for folder in _missing_dirs(receipt.path) if items else ():
        # The receipt's own folder, when we make it, is ours to remove too.
        planned.add(folder)
        changes.append(Change("create-folder", str(folder)))
        receipt.record({"kind": "dir", "path": str(folder)})
    for item in items:
        if isinstance(item, KeyItem):
            changes += _apply_key(item, receipt, _need(registry), dry_run)
            continue
        new_dirs = [folder for folder in _missing_dirs(item.path) if folder not in planned]
        planned.update(new_dirs)
        for folder in new_dirs:
            changes.append(Change("create-folder", str(folder)))
            receipt.record({"kind": "dir", "path": str(folder)})
        if isinstance(item, FileItem):
            old = _read(item.path)
            current = old == item.content and (os.name == "nt" or (item.path.stat().st_mode & 0o777) == item.mode)
            verb: Verb = "unchanged" if current else ("create" if old is None else "update")
            if not dry_run and verb != "unchanged":
                write_atomic(item.path, item.content, mode=item.mode)
        else:
            old_target = os.readlink(item.path) if item.path.is_symlink() else None
            verb = "unchanged" if old_target == str(item.target) else ("create" if old_target is None else "update")
            if not dry_run and verb != "unchanged":
                item.path.parent.mkdir(parents=True, exist_ok=True)
                item.path.unlink(missing_ok=True)
                item.path.symlink_to(item.target)
        changes.append(Change(verb, str(item.path)))
        receipt.record(_item_entry(item))
    if not dry_run:
        receipt.save()
    return changes


def _apply_key(item: KeyItem, receipt: Receipt, registry: Registry, dry_run: bool) -> list[Change]:
    changes = []
    for parent in _missing_keys(item.key, registry):
        changes.append(Change("create-key", f"HKCU\\{parent}"))
        receipt.record({"kind": "parent-key", "key": parent})
    old = registry.get(item.key) if registry.exists(item.key) else None
    verb: Verb = "unchanged" if old == item.value else ("create" if old is None else "update")
    if not dry_run and verb != "unchanged":
        registry.set(item.key, item.value)
    changes.append(Change(verb, f"HKCU\\{item.key} = {item.value}"))
    receipt.record(_item_entry(item))
    return changes


def _need(registry: Registry | None) -> Registry:
    if registry is None:
        raise RuntimeError("a registry item on a machine without a registry")
    return registry


_CONTAINERS = ("dir", "parent-key")


def undo(
    receipt: Receipt, *, groups: set[str] | None, registry: Registry | None, dry_run: bool,
    ours: Callable[[dict], bool],
) -> list[Change]:
    """Remove what the receipt records for ``groups`` (None: everything).

    An entry shared with a group that stays (Chrome's registry key, used by
    Brave too) only loses the removed groups. Folders and parent keys omamori
    created go once nothing but what this undo removes is left in them.

    The receipt is a file anyone who can write there can change: an entry that
    names something ``ours`` does not accept (a place omamori never writes to)
    is never touched, only reported and forgotten.
    """
    changes: list[Change] = []
    gone: set[str] = set()
    for entry in list(receipt.entries):
        if not ours(entry):
            changes.append(Change("keep-foreign", _entry_id(entry)[1]))
            receipt.entries.remove(entry)
            continue
        if entry["kind"] in _CONTAINERS:
            continue
        keep = set() if groups is None else set(entry["groups"]) - groups
        if keep:
            entry["groups"] = sorted(keep)
            continue
        change = _remove(entry, _need(registry) if entry["kind"] == "key" else None, dry_run)
        changes.append(change)
        if change.verb != "keep-changed":
            gone.add(_entry_id(entry)[1])
        # A file someone changed since is theirs now: left in place, forgotten.
        receipt.entries.remove(entry)
    finished = all(e["kind"] in _CONTAINERS for e in receipt.entries)
    if finished:
        gone.add(str(receipt.path))
        if not dry_run:
            receipt.path.unlink(missing_ok=True)
    # Innermost first, so a folder emptied by removing its subfolder goes too.
    containers = sorted(
        (e for e in receipt.entries if e["kind"] in _CONTAINERS), key=lambda e: len(_entry_id(e)[1]), reverse=True
    )
    for entry in containers:
        name = _entry_id(entry)[1]
        if entry["kind"] == "dir":
            folder = Path(name)
            removable = folder.is_dir() and all(str(child) in gone for child in folder.iterdir())
            target = name
        else:
            reg = _need(registry)
            removable = reg.exists(name) and not reg.has_values(name) and all(
                f"{name}\\{child}" in gone for child in reg.children(name)
            )
            target = f"HKCU\\{name}"
        if removable:
            changes.append(Change("remove-folder" if entry["kind"] == "dir" else "remove-key", target))
            gone.add(name)
            receipt.entries.remove(entry)
            if dry_run:
                continue
            if entry["kind"] == "dir":
                Path(name).rmdir()
            else:
                _need(registry).delete(name)
    if finished:
        # Folders still holding someone else's files are theirs now.
        receipt.entries.clear()
    elif not dry_run:
        receipt.save()
    return changes


def _remove(entry: dict, registry: Registry | None, dry_run: bool) -> Change:
    if entry["kind"] == "key":
        assert registry is not None
        name = f"HKCU\\{entry['key']}"
        if not registry.exists(entry["key"]):
            return Change("missing", name)
        if registry.get(entry["key"]) != entry["value"]:
            return Change("keep-changed", name)
        if not dry_run:
            registry.delete(entry["key"])
        return Change("remove", name)
    path = Path(entry["path"])
    if entry["kind"] == "link":
        if not path.is_symlink():
            return Change("missing", str(path))
        if os.readlink(path) != entry["target"]:
            return Change("keep-changed", str(path))
    else:
        data = _read(path)
        if data is None:
            return Change("missing", str(path))
        if _sha256(data) != entry["sha256"]:
            return Change("keep-changed", str(path))
    if not dry_run:
        path.unlink()
    return Change("remove", str(path))
