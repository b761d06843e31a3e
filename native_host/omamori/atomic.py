"""Atomic file writes: the old file or the complete new one, never half of one."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import StateError


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Either the old file or the complete new one exists afterwards, never a
    partial one. ``mode`` is applied before the rename.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StateError("storage_unwritable", path=str(path), reason=exc.strerror or str(exc)) from exc
