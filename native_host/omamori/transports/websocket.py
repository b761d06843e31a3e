"""The companion server: the host's requests over a local WebSocket (``omamori serve``).

For browsers that cannot start a native host (Snap Chromium, Flatpak) and for
a long-lived host that keeps its state warm. A thin adapter: messages become
``Request`` objects through the same envelope parser as the stdio host and go
to the same ``Host.handle``; what is added here is only what a socket needs.

A local server is an attack surface (any web page may try ``ws://127.0.0.1``),
so before the handshake completes every request must pass, in this order:

  * ``Host`` is ``127.0.0.1:<port>``, ``localhost:<port>`` or ``[::1]:<port>``
    (DNS rebinding)                                              -> 421
  * the path is ``/`` (nothing else is served, no files)         -> 404
  * ``Origin`` is our Chrome extension or a ``moz-extension://`` -> 403
  * the server is paired (``omamori serve --pair``)              -> 401
  * fewer than ``max_connections`` connections are open          -> 503

Then, on the open WebSocket, both sides prove they hold the pairing key before
anything else is said (``pairing.py``; docs/protocol.md, "Mutual
authentication"); a client that cannot is closed with 1008, and every later
frame carries a MAC. The token itself never crosses the socket, so a program
that takes the port while the server is down learns nothing from the extension.

The server binds to a loopback address only, reads messages of at most
``max_message`` bytes (larger: closed with 1009), and closes a connection idle
for ``idle_timeout`` seconds.

Frames (docs/protocol.md, "WebSocket"), inside their MAC: a text frame is one JSON message, as on
native messaging but never chunked. A binary frame is a 4-byte big-endian
length N, N bytes of a UTF-8 JSON header, then raw bytes: in a request the
header is the request without ``image`` and the bytes are the image; a reply
to a binary request is binary too, its header the reply without
``result.image`` and the bytes that image. No base64 on this path.
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio import server as ws_server
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as HttpRequest, Response as HttpResponse

from ..errors import RequestError
from .. import pairing as pairing_proof
from ..pairing import Channel, Pairing, PairingFile
from ..protocol.codec import MAX_REQUEST_FRAME
from ..protocol.envelope import Event, ProtocolFailure, Request, decode_request, dumps, failure_reply, progress_message
from ..protocol.handlers import Host
from .line import RequestLine
from .worker import WorkerHost

log = logging.getLogger("omamori.server")
_ws_log = logging.getLogger("omamori.server.websockets")
_ws_log.setLevel(logging.INFO)  # websockets' DEBUG lines would log every request line and frame

DEFAULT_PORT = 8765
BINARY_HEADER = 4
_MOZ_ORIGIN = re.compile(r"moz-extension://[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Limits:
    max_message: int = MAX_REQUEST_FRAME    # bytes per incoming message (same as the native host)
    max_connections: int = 4                # open at once, after authentication
    idle_timeout: float = 600.0             # seconds without a message before we close
    open_timeout: float = 10.0              # seconds to finish the handshake, and again to authenticate


def is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def allowed_hosts(port: int) -> frozenset[str]:
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"})


def origin_allowed(origin: str | None, chrome_extension_id: str | None) -> bool:
    if origin is None:
        return False
    if chrome_extension_id and origin == f"chrome-extension://{chrome_extension_id}":
        return True
    return _MOZ_ORIGIN.fullmatch(origin) is not None


def decode_binary(data: bytes) -> Event:
    """A request from a binary frame: header JSON + the image's raw bytes."""
    if len(data) < BINARY_HEADER:
        return ProtocolFailure(RequestError("bad_request", reason="binary frame shorter than its header length"))
    length = int.from_bytes(data[:BINARY_HEADER], "big")
    if length > len(data) - BINARY_HEADER:
        return ProtocolFailure(RequestError("bad_request", reason="binary header length beyond the frame"))
    event = decode_request(data[BINARY_HEADER:BINARY_HEADER + length])
    if isinstance(event, Request):
        return Request(event.id, event.type, {**event.body, "image": bytes(data[BINARY_HEADER + length:])})
    return event


def encode_reply(reply: dict[str, Any], *, binary: bool) -> str | bytes:
    """A reply as a text frame, or, for a binary request whose reply carries
    image bytes, as a binary frame (header + raw bytes)."""
    result = reply.get("result")
    image = result.get("image") if isinstance(result, dict) else None
    if not binary or not isinstance(image, (bytes, bytearray)):
        return dumps(reply)
    header = dumps({**reply, "result": {k: v for k, v in result.items() if k != "image"}}).encode("ascii")
    return len(header).to_bytes(BINARY_HEADER, "big") + header + bytes(image)


class CompanionServer:
    """One server: checks every handshake, then answers requests through ``host``.

    ``host`` is the native host's dispatcher: a ``WorkerHost`` (what ``omamori
    serve`` uses: time limits, a killable worker process) or a plain ``Host``.
    ``handle`` blocks and neither is thread-safe (one pipe, one SQLite
    connection), so every call runs on one thread of our own (``RequestLine``):
    requests are answered one at a time, in order, and the event loop stays free
    for handshakes, pings, refusals and ``cancel`` requests while an image is
    protected. A connection that closes cancels its requests.
    """

    def __init__(self, host: Host | WorkerHost, pairing: Pairing | PairingFile, *, chrome_extension_id: str | None,
                 limits: Limits = Limits()) -> None:
        self.host = host
        self.pairing = pairing
        self.chrome_extension_id = chrome_extension_id
        self.limits = limits
        self._open: set[ServerConnection] = set()
        self._line = RequestLine(host)

    def refusal(self, connection: ServerConnection, request: HttpRequest) -> HttpResponse | None:
        """``process_request``: a refusal response, or None to accept."""
        port = connection.local_address[1]
        peer = connection.remote_address[0] if connection.remote_address else "?"
        checks: list[tuple[bool, HTTPStatus, str]] = [
            (_single(request, "Host") in allowed_hosts(port), HTTPStatus.MISDIRECTED_REQUEST, "host"),
            (urlsplit(request.path).path == "/", HTTPStatus.NOT_FOUND, "path"),
            (origin_allowed(_single(request, "Origin"), self.chrome_extension_id), HTTPStatus.FORBIDDEN, "origin"),
            (self.pairing.key is not None, HTTPStatus.UNAUTHORIZED, "unpaired"),
            (len(self._open) < self.limits.max_connections, HTTPStatus.SERVICE_UNAVAILABLE, "busy"),
        ]
        for passed, status, reason in checks:
            if not passed:
                log.info("refused a connection from %s: %s", peer, reason)
                return connection.respond(status, f"{status.phrase}: {reason}\n")
        self._open.add(connection)
        asyncio.get_running_loop().create_task(self._forget_when_closed(connection))
        return None

    async def _forget_when_closed(self, connection: ServerConnection) -> None:
        await connection.wait_closed()
        self._open.discard(connection)

    async def handler(self, connection: ServerConnection) -> None:
        try:
            channel = await asyncio.wait_for(self._authenticate(connection), self.limits.open_timeout)
        except (asyncio.TimeoutError, ConnectionClosed):
            channel = None
        if channel is None:
            peer = connection.remote_address[0] if connection.remote_address else "?"
            log.info("refused a connection from %s: it did not prove the pairing", peer)
            await connection.close(1008, "not paired")
            return
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    frame = await asyncio.wait_for(connection.recv(), self.limits.idle_timeout)
                except asyncio.TimeoutError:
                    await connection.close(1000, "idle")
                    return
                except ConnectionClosed:
                    return
                try:
                    message = channel.open(frame)
                except ValueError:
                    log.info("closed a connection: a frame without a valid MAC")
                    await connection.close(1008, "bad MAC")
                    return
                binary = isinstance(message, bytes)
                event = decode_binary(message) if binary else decode_request(message)
                if isinstance(event, ProtocolFailure):
                    await _send_quietly(connection, channel, encode_reply(
                        failure_reply(event.id, event.type, event.error), binary=binary))
                else:
                    self._line.submit(event, owner=connection,
                                      progress=_progress_sender(connection, channel, loop, event.id),
                                      done=_reply_sender(connection, channel, loop, binary=binary))
        finally:
            self._line.cancel_all(connection)

    async def _authenticate(self, connection: ServerConnection) -> Channel | None:
        """The pairing handshake (pairing.py): the channel of a client that proved the key, else None."""
        hello = _auth_message(await connection.recv(), "auth.hello")
        client_nonce = pairing_proof.nonce_from(hello.get("nonce"))
        key = self.pairing.key
        if hello.get("auth") != pairing_proof.AUTH_VERSION or client_nonce is None or key is None:
            return None
        server_nonce = pairing_proof.new_nonce()
        await connection.send(json.dumps({
            "type": "auth.challenge", "auth": pairing_proof.AUTH_VERSION, "nonce": server_nonce.hex(),
            "proof": pairing_proof.server_proof(key, client_nonce, server_nonce).hex()}))
        proof = _auth_message(await connection.recv(), "auth.proof").get("proof")
        if not pairing_proof.proof_matches(pairing_proof.client_proof(key, client_nonce, server_nonce), proof):
            return None
        return Channel(key, client_nonce, server_nonce, sends=pairing_proof.TO_CLIENT)

    def serve(self, address: str = "127.0.0.1", port: int = DEFAULT_PORT) -> ws_server.serve:
        """The websockets server, to await or use as an async context manager; loopback only."""
        if not is_loopback(address):
            raise ValueError(f"the companion server listens on loopback only, not {address!r}")
        return ws_server.serve(
            self.handler, address, port,
            process_request=self.refusal,
            compression=None,           # images do not compress; no inflate bombs either
            max_size=self.limits.max_message,
            open_timeout=self.limits.open_timeout,
            logger=_ws_log,
        )

    def close(self) -> None:
        self._line.close(finish_waiting=False)


def _single(request: HttpRequest, name: str) -> str | None:
    """A header that must appear once; a repeated one counts as absent."""
    values = request.headers.get_all(name)
    return values[0] if len(values) == 1 else None


def _auth_message(frame: str | bytes, expected_type: str) -> dict[str, Any]:
    """A handshake message (JSON text) of the expected type; {} for anything else."""
    if not isinstance(frame, str) or len(frame) > 1024:
        return {}
    try:
        message = json.loads(frame)
    except ValueError:
        return {}
    return message if isinstance(message, dict) and message.get("type") == expected_type else {}


def _progress_sender(connection: ServerConnection, channel: Channel, loop: asyncio.AbstractEventLoop,
                     request_id: Any):
    """A progress callback for the request line's thread."""
    def progress(stage: str, fraction: float) -> None:
        _send_from_thread(connection, channel, loop, dumps(progress_message(request_id, stage, fraction)))
    return progress


def _reply_sender(connection: ServerConnection, channel: Channel, loop: asyncio.AbstractEventLoop, *, binary: bool):
    """The ``done`` callback of a request, for the request line's thread."""
    def done(reply: dict[str, Any]) -> None:
        _send_from_thread(connection, channel, loop, encode_reply(reply, binary=binary))
    return done


def _send_from_thread(connection: ServerConnection, channel: Channel, loop: asyncio.AbstractEventLoop,
                      message: str | bytes) -> None:
    """Queue ``message`` on the loop; messages queued one after another are sent in that order."""
    try:
        asyncio.run_coroutine_threadsafe(_send_quietly(connection, channel, message), loop)
    except RuntimeError:        # the loop has closed (the server stopped): nobody to tell
        pass


async def _send_quietly(connection: ServerConnection, channel: Channel, message: str | bytes) -> None:
    # Sealed (numbered) and written in one step on the loop: websockets writes an unfragmented message before its
    # first await, so frames reach the wire in the order of their numbers.
    try:
        await connection.send(channel.seal(message))
    except ConnectionClosed:
        pass
