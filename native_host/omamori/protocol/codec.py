"""The native messaging codec: bytes in, requests out; replies in, framed bytes out.

Sans-I/O in the manner of the websockets and h11 protocol layers: the codec
never touches a file descriptor. A transport feeds it what it read
(``receive_data``), takes the decoded events (``events``), hands it replies
(``send``) and writes what ``data_to_send`` returns.

Framing (the WebExtension native messaging spec): a 32-bit length in the
machine's native byte order, then that many bytes of UTF-8 JSON. Browsers
accept at most 1 MiB per message from a host, so a longer reply is split into
``chunk`` messages carrying consecutive pieces of the reply's JSON text; the
extension joins them and parses the result (docs/protocol.md).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..errors import FrameError
from .envelope import PROTOCOL_VERSION, Event, ProtocolFailure, decode_request, dumps, failure_reply

MAX_REPLY_FRAME = 1024 * 1024          # bytes: what Chrome and Firefox accept from a host
MAX_REQUEST_FRAME = 96 * 1024 * 1024   # bytes of one request's JSON (the WebSocket server's per message too)
_HEADER = 4
_MIB = 1024 * 1024


def image_limit(max_request_frame: int) -> int:
    """Bytes: an image under this fits a request of ``max_request_frame`` bytes as base64 (4/3 larger)."""
    return max_request_frame // 4 * 3


MAX_REQUEST_IMAGE = image_limit(MAX_REQUEST_FRAME)   # 72 MiB: the largest image the host is sent or fetches




@dataclass
class NativeCodec:
    """Decodes length-prefixed JSON requests and frames (chunked) replies."""

    max_request_frame: int = MAX_REQUEST_FRAME
    max_reply_frame: int = MAX_REPLY_FRAME
    _inbox: bytearray = field(default_factory=bytearray, repr=False)
    _outbox: bytearray = field(default_factory=bytearray, repr=False)
    _events: list = field(default_factory=list, repr=False)
    _eof: bool = False
    _broken: bool = False

    # -- incoming -----------------------------------------------------------
    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the peer; ``b""`` means end of stream."""
        if self._broken or self._eof:
            return
        if not data:
            self._eof = True
            if self._inbox:
                self._fail(FrameError("frame_truncated", received=len(self._inbox)))
                self._inbox.clear()
            return
        self._inbox += data
        self._parse_frames()

    def _parse_frames(self) -> None:
        while len(self._inbox) >= _HEADER and not self._broken:
            length = int.from_bytes(self._inbox[:_HEADER], sys.byteorder)
            if length > self.max_request_frame:
                self._fail(FrameError("frame_too_large", declared=length, limit=self.max_request_frame,
                                      image_limit_mib=image_limit(self.max_request_frame) // _MIB))
                self._inbox.clear()
                return
            if len(self._inbox) < _HEADER + length:
                return
            payload = bytes(self._inbox[_HEADER:_HEADER + length])
            del self._inbox[:_HEADER + length]
            self._events.append(decode_request(payload))

    def _fail(self, error: FrameError) -> None:
        self._broken = True
        self._events.append(ProtocolFailure(error, fatal=True))

    def events(self) -> Iterator[Event]:
        """Requests and failures decoded so far, oldest first."""
        while self._events:
            yield self._events.pop(0)

    @property
    def closed(self) -> bool:
        """True once the stream ended or broke: nothing more will come."""
        return self._eof or self._broken

    # -- outgoing -----------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        """Queue a reply or progress message, split into chunks if too long."""
        text = dumps(message)
        encoded = text.encode("ascii")
        if _HEADER + len(encoded) <= self.max_reply_frame:
            self._frame(encoded)
            return
        for chunk in self._chunks(message.get("id"), text):
            self._frame(dumps(chunk).encode("ascii"))

    def send_failure(self, failure: ProtocolFailure) -> None:
        self.send(failure_reply(failure.id, failure.type, failure.error))

    def _chunks(self, request_id: Any, text: str) -> list[dict[str, Any]]:
        # ``text`` is ASCII (dumps escapes the rest), so inside a JSON string a
        # piece grows only by one byte per quote or backslash.
        envelope = len(dumps({"v": PROTOCOL_VERSION, "id": request_id, "type": "chunk",
                              "index": 10 ** 9, "count": 10 ** 9, "data": ""}))
        budget = self.max_reply_frame - _HEADER - envelope
        pieces, start = [], 0
        while start < len(text):
            end = min(len(text), start + budget)
            while True:
                piece = text[start:end]
                excess = len(piece) + piece.count('"') + piece.count("\\") - budget
                if excess <= 0:
                    break
                # each character costs 1 or 2 bytes, so removing ceil(excess / 2)
                # never overshoots below the budget by more than needed
                end = max(start + 1, end - (excess + 1) // 2)
            pieces.append(piece)
            start = end
        return [
            {"v": PROTOCOL_VERSION, "id": request_id, "type": "chunk", "index": i, "count": len(pieces), "data": piece}
            for i, piece in enumerate(pieces)
        ]

    def _frame(self, payload: bytes) -> None:
        self._outbox += len(payload).to_bytes(_HEADER, sys.byteorder) + payload

    def data_to_send(self) -> bytes:
        """Framed bytes to write to the peer, and forget them."""
        data = bytes(self._outbox)
        self._outbox.clear()
        return data
