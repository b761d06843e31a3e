"""The local record of every protection (SQLite, WAL).

One row per protected image: when, the SHA-256 of the original and of the
output, the mark's id, the settings used and a 64-bit perceptual hash of the
original, so that ``verify`` can say "this looks like your image from DATE"
even when the mark did not survive. Nothing here leaves the machine.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

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
    settings TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS protections_output ON protections (sha256_output);
"""
_COLUMNS = ("time", "name", "sha256_original", "sha256_output", "mark_id", "fingerprint",
            "width", "height", "format")


@dataclass(frozen=True)
class Entry:
    time: str            # ISO 8601, UTC
    name: str
    sha256_original: str
    sha256_output: str
    mark_id: str | None
    fingerprint: int     # 64-bit perceptual hash of the original
    width: int
    height: int
    format: str

    def to_dict(self) -> dict[str, Any]:
        row = dict(self.__dict__)
        row["fingerprint"] = f"{self.fingerprint:016x}"
        return row


class Ledger:
    """A connection to the ledger file; create it on first use."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=10, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StateError("storage_unwritable", path=str(path), reason=str(exc)) from exc

    def close(self) -> None:
        self._db.close()

    def record(self, entry: Entry, *, settings: dict[str, Any]) -> None:
        values = entry.to_dict()
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
        rows = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM protections ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [self._entry(row) for row in rows]

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM protections").fetchone()[0]

    def nearest(self, fingerprint: int, *, max_distance: int) -> tuple[Entry, int] | None:
        """The entry whose original looks most like ``fingerprint``, within ``max_distance`` bits."""
        best: tuple[Entry, int] | None = None
        for row in self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM protections"):
            entry = self._entry(row)
            distance = (entry.fingerprint ^ fingerprint).bit_count()
            if distance <= max_distance and (best is None or distance < best[1]):
                best = (entry, distance)
        return best

    def find_output(self, sha256_output: str) -> Entry | None:
        row = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM protections WHERE sha256_output = ? LIMIT 1", (sha256_output,)
        ).fetchone()
        return self._entry(row) if row else None

    @staticmethod
    def _entry(row: tuple) -> Entry:
        values = dict(zip(_COLUMNS, row))
        values["fingerprint"] = int(values["fingerprint"], 16)
        return Entry(**values)


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
