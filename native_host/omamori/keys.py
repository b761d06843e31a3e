"""The user's secret key: created once, kept owner-only, backed up by export.

The key file is one line of text, ``omamori-key-v1 <64 hex digits> <8 hex
digits of CRC-32>``, so a damaged or hand-edited file is detected instead of
silently producing marks nobody can verify. A missing key is created only when
nothing was ever protected with one (the ledger says); otherwise the user is
asked to restore it, because a new key would disown every earlier mark.
"""
from __future__ import annotations

import os
import secrets
import time
import zlib
from pathlib import Path

from .atomic import private_folder, write_new, write_private
from .errors import OmamoriError, StateError

KEY_BYTES = 32
_MAGIC = "omamori-key-v1"


def format_key(key: bytes) -> str:
    return f"{_MAGIC} {key.hex()} {zlib.crc32(key):08x}\n"


def parse_key(text: str) -> bytes:
    """The key in ``text`` (the key file format); ``key_unreadable`` otherwise."""
    parts = text.split()
    try:
        magic, digits, check = parts
        key = bytes.fromhex(digits)
        valid = magic == _MAGIC and len(key) == KEY_BYTES and int(check, 16) == zlib.crc32(key)
    except ValueError:
        valid = False
    if not valid:
        raise StateError("key_unreadable")
    return key


def read_key(path: Path) -> bytes | None:
    """The key stored at ``path``, or None when there is no file."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError("key_unreadable", path=str(path), reason=exc.strerror or str(exc)) from exc
    return parse_key(text)


def load_or_create(path: Path, *, used_before: bool) -> bytes:
    """The user's key; a new one only if none exists and none was ever used."""
    key = read_key(path)
    if key is not None:
        return key
    if used_before:
        raise StateError("key_missing", path=str(path))
    # Two hosts may start at once on a fresh install: one key is written, and both use the one on disk.
    private_folder(path.parent)
    write_new(path, format_key(secrets.token_bytes(KEY_BYTES)).encode("ascii"), mode=0o600)
    key = read_key(path)
    if key is None:            # written, then removed under our feet
        raise StateError("key_unreadable", path=str(path), reason="removed as it was created")
    return key


def create(path: Path) -> bytes:
    """Write a fresh random key (owner-only), keeping any old file beside it."""
    if path.exists():
        backup(path)
    key = secrets.token_bytes(KEY_BYTES)
    write_private(path, format_key(key).encode("ascii"))
    return key


def backup(path: Path) -> Path:
    """Rename the current key file to ``key.<timestamp>.bak`` (``key.<timestamp>-2.bak``... when a backup made
    in the same second is there: it is never written over) and return it."""
    stamp, number = time.strftime('%Y%m%d-%H%M%S'), 1
    target = path.with_name(f"{path.name}.{stamp}.bak")
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}.{stamp}-{number}.bak")
    os.replace(path, target)
    return target


def import_key(path: Path, text: str, *, replace: bool) -> tuple[bytes, Path | None]:
    """Install the key in ``text`` (a backup); a different existing key needs ``replace``. The key installed and
    the backup the file it replaced was renamed to (None when nothing was replaced). A ``text`` that is not a key
    is ``key_backup_invalid``: the backup is at fault, not the key in use."""
    try:
        key = parse_key(text)
    except StateError:
        raise OmamoriError("key_backup_invalid") from None
    kept = None
    try:
        current = read_key(path)
    except StateError:
        current = None     # a damaged file is kept as a backup below, never lost
        if path.exists():
            kept = backup(path)
    if current is not None and current != key:
        if not replace:
            raise StateError("key_exists", path=str(path))
        kept = backup(path)
    write_private(path, format_key(key).encode("ascii"))
    return key, kept
