"""Pairing the extension with the companion server (``omamori serve``).

Any web page can open ``ws://127.0.0.1:<port>``, and Firefox's extension origin
(``moz-extension://<uuid>``) is random per profile, so the Origin header alone
cannot tell our extension from a page or a local program. Pairing adds a
secret: ``omamori serve --pair`` makes a random token, prints it once, and the
person pastes it into the extension's options; every connection must present it.

Only the token's SHA-256 is stored (owner-only file in the config folder), so
the token is shown exactly once and cannot be read back; a new pairing replaces
the old one.

The token never crosses the socket: a program that took the port first (at
login, or while the server was down) must learn nothing and must not pass for
the server. Both sides hold the pairing key K = SHA-256(token) and prove it
without revealing it (docs/protocol.md, "Mutual authentication"):

  client -> server  auth.hello      client nonce Nc (32 random bytes)
  server -> client  auth.challenge  server nonce Ns, HMAC(K, "server" | Nc | Ns)
  client -> server  auth.proof      HMAC(K, "client" | Nc | Ns)

The client sends nothing else until the server's proof checks out; afterwards
every frame each way carries HMAC(S, direction | sequence number | kind |
payload) with the per-connection key S = HMAC(K, "session" | Nc | Ns), so a
frame cannot be forged, replayed, reordered or reflected. This module is the
sans-I/O part; ``transports/websocket.py`` moves the bytes.
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
NONCE_BYTES = 32
MAC_BYTES = 32          # HMAC-SHA256
AUTH_VERSION = 1
# Labels keep the three uses of K apart: the server's proof is never the client's, nor a session key.
_SERVER_PROOF = b"omamori-pairing-v1 server proof"
_CLIENT_PROOF = b"omamori-pairing-v1 client proof"
_SESSION_KEY = b"omamori-pairing-v1 session key"
# Each direction numbers its frames from 0; a frame's MAC covers its direction, number and kind (text or binary).
TO_SERVER, TO_CLIENT = b"to-server", b"to-client"


class PairingState(enum.Enum):
    UNPAIRED = "unpaired"   # no token yet: the server refuses every connection
    PAIRED = "paired"


@dataclass(frozen=True)
class Pairing:
    token_sha256: str | None

    @property
    def state(self) -> PairingState:
        return PairingState.PAIRED if self.token_sha256 else PairingState.UNPAIRED

    @property
    def key(self) -> bytes | None:
        """The pairing key K, or None when unpaired."""
        return bytes.fromhex(self.token_sha256) if self.token_sha256 else None


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

    @property
    def key(self) -> bytes | None:
        return self.current().key


def pairing_key(token: str) -> bytes:
    """K for a token as the person pasted it (what the extension computes; the server stores it)."""
    return hashlib.sha256(token.encode("utf-8")).digest()


def new_nonce() -> bytes:
    return secrets.token_bytes(NONCE_BYTES)


def server_proof(key: bytes, client_nonce: bytes, server_nonce: bytes) -> bytes:
    return _hmac(key, _SERVER_PROOF, client_nonce, server_nonce)


def client_proof(key: bytes, client_nonce: bytes, server_nonce: bytes) -> bytes:
    return _hmac(key, _CLIENT_PROOF, client_nonce, server_nonce)


def proof_matches(expected: bytes, presented: object) -> bool:
    """A hex proof from a message against the expected bytes (constant-time)."""
    if not isinstance(presented, str) or len(presented) != 2 * MAC_BYTES:
        return False
    try:
        return hmac.compare_digest(expected, bytes.fromhex(presented))
    except ValueError:
        return False


def nonce_from(value: object) -> bytes | None:
    """A nonce from a message (hex), or None when it is not one."""
    if not isinstance(value, str) or len(value) != 2 * NONCE_BYTES:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


class Channel:
    """The MACs of one authenticated connection, for the side that ``sends`` in one direction.

    ``seal`` gives the frame to send (text: 64 hex digits of MAC, then the text; binary: 32 bytes of MAC, then the
    bytes); ``open`` gives the payload of a received frame, or raises ``ValueError`` when its MAC is wrong (forged,
    replayed, reordered, or sent the other way). Sealing and opening must happen in wire order.
    """

    def __init__(self, key: bytes, client_nonce: bytes, server_nonce: bytes, *, sends: bytes) -> None:
        self._session = _hmac(key, _SESSION_KEY, client_nonce, server_nonce)
        self._sends = sends
        self._receives = TO_CLIENT if sends == TO_SERVER else TO_SERVER
        self._sent = 0
        self._received = 0

    def seal(self, payload: str | bytes) -> str | bytes:
        mac = self._mac(self._sends, self._sent, payload)
        self._sent += 1
        return mac.hex() + payload if isinstance(payload, str) else mac + bytes(payload)

    def open(self, frame: str | bytes) -> str | bytes:
        if isinstance(frame, str):
            presented, payload = frame[:2 * MAC_BYTES], frame[2 * MAC_BYTES:]
            expected = self._mac(self._receives, self._received, payload)
            if not proof_matches(expected, presented):
                raise ValueError("bad MAC on a text frame")
        else:
            presented_bytes, payload = bytes(frame[:MAC_BYTES]), bytes(frame[MAC_BYTES:])
            if not hmac.compare_digest(presented_bytes, self._mac(self._receives, self._received, payload)):
                raise ValueError("bad MAC on a binary frame")
        self._received += 1
        return payload

    def _mac(self, direction: bytes, number: int, payload: str | bytes) -> bytes:
        kind, data = (b"T", payload.encode("utf-8")) if isinstance(payload, str) else (b"B", payload)
        return _hmac(self._session, direction, number.to_bytes(8, "big"), kind, data)


def _hmac(key: bytes, *parts: bytes) -> bytes:
    # Every part but the last has a fixed length for its position, so the concatenation is unambiguous.
    return hmac.new(key, b"".join(parts), hashlib.sha256).digest()


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
