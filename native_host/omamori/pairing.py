"""Pairing the extension with the companion server (``omamori serve``).

Any web page can open ``ws://127.0.0.1:<port>``, and Firefox's extension origin
(``moz-extension://<uuid>``) is random per profile, so the Origin header alone
cannot tell our extension from a page or a local program. Pairing adds a
secret: ``omamori serve --pair`` makes a random token, prints it once, and the
person pastes it into the extension's options; every connection must present it.

Only the token's SHA-256 is stored (owner-only file in the config folder), so
the token is shown exactly once and cannot be read back; a new pairing replaces
the old one. Comparison is constant-time.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from .atomic import write_atomic
from .errors import StateError

TOKEN_BYTES = 16        # 128 bits, shown as 32 hex digits


class PairingState(enum.Enum):
    UNPAIRED = "unpaired"   # no token yet: the server refuses every connection
    PAIRED = "paired"


@dataclass(frozen=True)
class Pairing:
    token_sha256: str | None

    @property
    def state(self) -> PairingState:
        return PairingState.PAIRED if self.token_sha256 else PairingState.UNPAIRED

    def accepts(self, token: str | None) -> bool:
        """Whether ``token`` is the paired one (constant-time in its content)."""
        if not token or not self.token_sha256:
            return False
        presented = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
        return hmac.compare_digest(presented, self.token_sha256)


class PairingFile:
    """The pairing stored at ``path``, read again whenever the file changes.

    A running server holds one of these, so ``omamori serve --pair`` (or
    ``--unpair``) in another terminal takes effect at once: the old token,
    perhaps leaked, stops working without a restart, and the new one works.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None
        self._pairing = Pairing(None)

    def current(self) -> Pairing:
        try:
            stat = self.path.stat()
            seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)   # pair() renames a new file in place
        except OSError:
            seen = None
        if seen != self._seen:
            self._seen, self._pairing = seen, load(self.path)
        return self._pairing

    def accepts(self, token: str | None) -> bool:
        return self.current().accepts(token)


def pairing_file(config_dir: Path) -> Path:
    return config_dir / "pairing.json"


def load(path: Path) -> Pairing:
    """The stored pairing; unpaired if there is none. A damaged file counts as
    unpaired (the server then refuses everyone until ``--pair``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        digest = data["token_sha256"]
    except FileNotFoundError:
        return Pairing(None)
    except (OSError, ValueError, KeyError, TypeError):
        return Pairing(None)
    valid = isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    return Pairing(digest if valid else None)


def pair(path: Path) -> str:
    """Make a new token, store its hash (replacing any old pairing) and return
    it: the caller shows it to the person once and keeps it nowhere."""
    token = secrets.token_hex(TOKEN_BYTES)
    body = {"token_sha256": hashlib.sha256(token.encode()).hexdigest()}
    write_atomic(path, (json.dumps(body) + "\n").encode(), mode=0o600)
    return token


def unpair(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise StateError("storage_unwritable", path=str(path), reason=exc.strerror or str(exc)) from exc
