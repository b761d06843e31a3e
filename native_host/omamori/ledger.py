"""The local record of every protection (SQLite, WAL).

One row per protected image: when, the SHA-256 of the original and of the
output, the mark's id, the settings used, a 64-bit perceptual hash of the
original, so that ``verify`` can say "this looks like your image from DATE"
even when the mark did not survive, and (unless ``ledger.thumbnails`` is off) a
small JPEG of what was posted, so that an evidence sheet can show the picture
even when the file was moved. Nothing here leaves the machine.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .arrays import hamming
from .atomic import owner_only, private_folder
from .errors import StateError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS protections (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256_original TEXT NOT NULL,
    sha256_output TEXT NOT NULL,
    mark_id TEXT,
    fingerprint TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    format TEXT NOT NULL,
    settings TEXT NOT NULL,
    thumbnail BLOB,
    original_name TEXT,
    destination TEXT,
    skipped TEXT
);
CREATE INDEX IF NOT EXISTS protections_output ON protections (sha256_output);
"""
SCHEMA_VERSION = 3       # PRAGMA user_version; 2 added the thumbnail column, 3 the original's name, where the
                         # output went and what was skipped
# Columns added after the first schema, oldest first (version 2 added the first, version 3 the others).
_ADDED_COLUMNS = (("thumbnail", "BLOB"), ("original_name", "TEXT"), ("destination", "TEXT"), ("skipped", "TEXT"))
_COLUMNS = ("time", "name", "sha256_original", "sha256_output", "mark_id", "fingerprint",
            "width", "height", "format", "original_name", "destination", "skipped", "thumbnail")


@dataclass(frozen=True)
class Entry:
    time: str            # ISO 8601, UTC
    name: str            # the output's name as the host gave it (art.jpg for art.png)
    sha256_original: str
    sha256_output: str
    mark_id: str | None
    fingerprint: int     # 64-bit perceptual hash of the original
    width: int
    height: int
    format: str
    original_name: str | None = None   # the name of the file protected (art.png); None in ledgers before version 3
    # where the output went: the file the CLI wrote, or "browser:<profile>" ("browser:x": attached on X in the
    # browser); None when not known (ledgers before version 3, or a CLI stopped before it wrote the file)
    destination: str | None = None
    # the protection steps asked for but not applied, as the protect reply said them: [{step, reason, message}];
    # None when not recorded (ledgers before version 3)
    skipped: tuple[dict[str, Any], ...] | None = None
    thumbnail: bytes | None = None   # a small JPEG of the output; None when thumbnails were off

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON values, without the thumbnail (``has_thumbnail`` says whether there is one)."""
        row = dict(self.__dict__)
        row["fingerprint"] = f"{self.fingerprint:016x}"
        row["skipped"] = None if self.skipped is None else list(self.skipped)
        row["has_thumbnail"] = row.pop("thumbnail") is not None
        return row


def _make_private(path: Path) -> None:
    """The ledger file owner-only (0600) before SQLite opens it: SQLite gives its -wal and -shm files the
    database's mode. Ledgers made before this were readable by everyone: their files are changed too."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            owner_only(file)


BUSY_TIMEOUT_S = 10


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch to WAL, waiting for another host doing the same: SQLite answers that switch "locked" at once,
    without its busy timeout (two hosts opening a new ledger together failed one time in two)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class Ledger:
    """A connection to the ledger file; create it on first use."""

    def __init__(self, path: Path) -> None:
        private_folder(path.parent)
        try:
            _make_private(path)
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            _use_wal(self._db)
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise StateError("storage_unwritable", path=str(path), reason=str(exc)) from exc

    def _migrate(self) -> None:
        """Create the table, or bring an older ledger up to SCHEMA_VERSION (one transaction)."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            exists = self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'protections'").fetchone()
            if not exists:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._db.execute(statement)
            else:
                # What is missing, not what user_version implies: an older omamori that opens a newer ledger
                # writes its own lower version back over the columns already there.
                present = {row[1] for row in self._db.execute("PRAGMA table_info(protections)")}
                for name, kind in _ADDED_COLUMNS:
                    if name not in present:
                        self._db.execute(f"ALTER TABLE protections ADD COLUMN {name} {kind}")
            if version < SCHEMA_VERSION:
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def record(self, entry: Entry, *, settings: dict[str, Any]) -> None:
        values = {**entry.to_dict(), "thumbnail": entry.thumbnail,
                  "skipped": None if entry.skipped is None else json.dumps(entry.skipped, ensure_ascii=False)}
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    f"INSERT INTO protections ({', '.join(_COLUMNS)}, settings) "
                    f"VALUES ({', '.join('?' * len(_COLUMNS))}, ?)",
                    [values[c] for c in _COLUMNS] + [json.dumps(settings, ensure_ascii=False)],
                )
        except sqlite3.Error as exc:
            raise StateError("storage_unwritable", reason=str(exc)) from exc

    def recent(self, limit: int) -> list[Entry]:
        """The newest entries, with their thumbnails (at most 256 px a side: a few kB each), so that ``to_dict``'s
        ``has_thumbnail`` is true where the ledger keeps one."""
        rows = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM protections ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [self._entry(row) for row in rows]

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM protections").fetchone()[0]

    def count_other_than(self, sha256_original: str) -> int:
        """How many protections were of an image other than the one whose SHA-256 is ``sha256_original``."""
        return self._db.execute("SELECT COUNT(*) FROM protections WHERE sha256_original != ?",
                                (sha256_original,)).fetchone()[0]

    def set_destination(self, sha256_output: str, destination: str) -> None:
        """Say where the output with this SHA-256 went (the file the CLI wrote it to), on its newest entry."""
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute("UPDATE protections SET destination = ? WHERE id = (SELECT MAX(id) FROM protections"
                                 " WHERE sha256_output = ?)", (destination, sha256_output))
        except sqlite3.Error as exc:
            raise StateError("storage_unwritable", reason=str(exc)) from exc

    def nearest(self, fingerprint: int, *, max_distance: int) -> tuple[Entry, int] | None:
        """The entry (with its thumbnail) whose original looks most like ``fingerprint``, within ``max_distance``
        bits; the oldest of equally near ones (the earliest protection is the stronger evidence)."""
        best: tuple[int, int] | None = None      # (row id, distance)
        for row_id, stored in self._db.execute("SELECT id, fingerprint FROM protections ORDER BY id"):
            distance = hamming(int(stored, 16), fingerprint)
            if distance <= max_distance and (best is None or distance < best[1]):
                best = (row_id, distance)
        if best is None:
            return None
        row = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM protections WHERE id = ?",
                               (best[0],)).fetchone()
        return self._entry(row), best[1]

    def find_output(self, sha256_output: str) -> Entry | None:
        """The entry (with its thumbnail) whose output has this SHA-256."""
        row = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM protections WHERE sha256_output = ? LIMIT 1", (sha256_output,)
        ).fetchone()
        return self._entry(row) if row else None

    @staticmethod
    def _entry(row: tuple) -> Entry:
        values = dict(zip(_COLUMNS, row))
        values["fingerprint"] = int(values["fingerprint"], 16)
        values["skipped"] = None if values["skipped"] is None else tuple(json.loads(values["skipped"]))
        return Entry(**values)


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
