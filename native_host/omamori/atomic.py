"""Atomic file writes: the old file or the complete new one, never half of one; owner-only folders."""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import StateError


def owner_only(path: Path) -> None:
    """Take every permission of group and others off ``path`` (the owner's stay as they are)."""
    os.chmod(path, stat.S_IMODE(path.stat().st_mode) & 0o700)


def private_folder(path: Path) -> None:
    """Create ``path`` owner-only (0700), and take group and others off it when it was made before this."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        owner_only(path)
    except OSError as exc:
        raise StateError("storage_unwritable", path=str(path), reason=exc.strerror or str(exc)) from exc


def write_private(path: Path, data: bytes) -> None:
    """``write_atomic`` of an owner-only file into an owner-only folder (the key, the settings)."""
    private_folder(path.parent)
    write_atomic(path, data, mode=0o600)


def write_new(path: Path, data: bytes, *, mode: int = 0o600) -> bool:
    """Write ``data`` to ``path`` only if no file is there, complete or not at all; whether it was written.

    Two processes that race to create the same file: exactly one wins, and the
    loser sees the winner's complete file (a hard link is created atomically
    and never replaces anything).
    """
    def link(tmp: str) -> bool:
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    return _through_temporary(path, data, mode=mode, publish=link)


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Either the old file or the complete new one exists afterwards, never a
    partial one. ``mode`` is applied before the rename.
    """
    _through_temporary(path, data, mode=mode, publish=lambda tmp: os.replace(tmp, path))


def _through_temporary(path: Path, data: bytes, *, mode: int, publish):
    """``publish(temporary)`` once ``data`` is complete on disk in a temporary file beside ``path``; the
    temporary file never stays behind."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            return publish(tmp)
        finally:
            Path(tmp).unlink(missing_ok=True)       # after a rename: already gone
    except OSError as exc:
        raise StateError("storage_unwritable", path=str(path), reason=exc.strerror or str(exc)) from exc
