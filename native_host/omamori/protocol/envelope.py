"""The message envelope shared by every transport: requests, replies, progress.

A request is a JSON object ``{"v": 1, "id": ..., "type": ..., ...}``; every
message the host sends back carries the same ``id`` so that the extension can
keep several requests in flight. Byte strings in replies (protected images)
stay ``bytes`` until a transport serialises them: ``dumps`` turns them into
base64 for JSON transports; the WebSocket transport sends them as binary.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any, Union

from ..errors import OmamoriError, RequestError

PROTOCOL_VERSION = 1
MAX_ID_LENGTH = 64
HOST_MESSAGE_TYPES = ("progress", "chunk")     # sent by the host, never a request's type
MAX_DEPTH = 32     # nesting of arrays and objects in a request; real ones use 4 (options.signature.text)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")    # a str from JSON holds a pair as one character: any left is lone


@dataclass(frozen=True)
class Request:
    id: str | int
    type: str
    body: dict[str, Any]


@dataclass(frozen=True)
class ProtocolFailure:
    """A message that could not become a request.

    ``fatal`` means the byte stream cannot be trusted any more (a length we
    refuse to read, a frame cut short by EOF): the transport sends the error
    reply and closes.
    """

    error: OmamoriError
    id: Any = None
    type: str = "error"
    fatal: bool = False


Event = Union[Request, ProtocolFailure]


def valid_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2 ** 53) < value < 2 ** 53
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def _malformed(value: Any, depth_limit: int) -> str | None:
    """What makes ``value`` unusable, walked without recursion: arrays and objects nested more than
    ``depth_limit`` levels, or a string (or key) with a lone UTF-16 surrogate; None when neither."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            # JSON's "\ud800" escape decodes to a str that no UTF-8 encoder (SQLite, a file name) will take
            if not item.isascii() and _LONE_SURROGATE.search(item):
                return "a string with a lone UTF-16 surrogate"
            continue
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            if depth > depth_limit:
                return f"nested deeper than {depth_limit} levels"
            stack.extend((child, depth + 1) for child in children)
    return None


def parse_request(obj: Any) -> Event:
    """A ``Request`` from a decoded JSON value, or the failure to report."""
    if not isinstance(obj, dict):
        return ProtocolFailure(RequestError("bad_request", reason="a request is a JSON object"))
    request_id = obj.get("id")
    if not valid_id(request_id):
        return ProtocolFailure(RequestError("bad_request", field="id",
                                            reason=f"a string of 1-{MAX_ID_LENGTH} characters or an integer"))
    request_type = obj.get("type")
    if not isinstance(request_type, str) or not request_type:
        return ProtocolFailure(RequestError("bad_request", field="type", reason="a non-empty string"), id=request_id)
    if request_type in HOST_MESSAGE_TYPES:
        # A reply echoes the request's type: "chunk" or "progress" would be taken for one of those messages.
        return ProtocolFailure(RequestError("bad_request", field="type", reason="a type of the host's messages"),
                               id=request_id)
    version = obj.get("v", PROTOCOL_VERSION)
    if version != PROTOCOL_VERSION:
        return ProtocolFailure(RequestError("bad_request", field="v", reason=f"this host speaks version {PROTOCOL_VERSION}"),
                               id=request_id, type=request_type[:64])
    problem = _malformed(obj, MAX_DEPTH)
    if problem:
        # JSON this deep parses, but recursion over it (pickling it to the worker process) does not.
        return ProtocolFailure(RequestError("bad_request", reason=problem), id=request_id, type=request_type[:64])
    body = {k: v for k, v in obj.items() if k not in ("v", "id", "type")}
    return Request(id=request_id, type=request_type, body=body)


def decode_request(text: str | bytes) -> Event:
    """A ``Request`` from one message's JSON text (a str, or UTF-8 bytes), or the failure to report."""
    try:
        obj = json.loads(text.decode("utf-8") if isinstance(text, (bytes, bytearray)) else text)
    except (ValueError, RecursionError) as exc:   # also an integer of more than 4300 digits
        return ProtocolFailure(RequestError("bad_json", reason=type(exc).__name__))
    return parse_request(obj)


def ok_reply(request: Request, result: dict[str, Any]) -> dict[str, Any]:
    return {"v": PROTOCOL_VERSION, "id": request.id, "type": request.type, "ok": True, "result": result}


def failure_reply(request_id: Any, request_type: str, error: OmamoriError) -> dict[str, Any]:
    return {"v": PROTOCOL_VERSION, "id": request_id, "type": request_type, "ok": False, "error": error.to_dict()}


def progress_message(request_id: Any, stage: str, fraction: float) -> dict[str, Any]:
    return {"v": PROTOCOL_VERSION, "id": request_id, "type": "progress", "stage": stage,
            "fraction": round(min(1.0, max(0.0, fraction)), 3)}


def _bytes_as_base64(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(message: dict[str, Any]) -> str:
    """Compact ASCII JSON of a message, with bytes as base64."""
    return json.dumps(message, ensure_ascii=True, separators=(",", ":"), default=_bytes_as_base64)
