"""The native messaging codec on bytes alone, in both directions."""
from __future__ import annotations

import base64
import json
import struct
import sys

from hypothesis import given, settings, strategies as st

from omamori.errors import OmamoriError
from omamori.protocol.codec import MAX_REPLY_FRAME, MAX_REQUEST_FRAME, NativeCodec, image_limit
from omamori.protocol.envelope import ProtocolFailure, Request

NATIVE = "=I"


def frame(obj, *, raw: bytes | None = None) -> bytes:
    payload = raw if raw is not None else json.dumps(obj).encode()
    return struct.pack(NATIVE, len(payload)) + payload


def unframe(data: bytes) -> list[dict]:
    """Split host output into messages, checking every frame's length and limit."""
    messages, i = [], 0
    while i < len(data):
        (length,) = struct.unpack_from(NATIVE, data, i)
        assert 4 + length <= MAX_REPLY_FRAME, "a frame over the browser's 1 MiB limit"
        messages.append(json.loads(data[i + 4:i + 4 + length]))
        i += 4 + length
    assert i == len(data), "trailing bytes after the last frame"
    return messages


def join_chunks(messages: list[dict]) -> dict:
    """What the extension does with chunk messages."""
    chunks = sorted(messages, key=lambda m: m["index"])
    assert [c["index"] for c in chunks] == list(range(chunks[0]["count"]))
    assert len({c["id"] for c in chunks}) == 1
    return json.loads("".join(c["data"] for c in chunks))


def decode_all(data: bytes, pieces: int = 1) -> list:
    codec = NativeCodec()
    step = max(1, len(data) // pieces)
    for start in range(0, len(data), step):
        codec.receive_data(data[start:start + step])
    return list(codec.events())


def test_a_request_is_decoded_with_its_id_type_and_fields():
    (event,) = decode_all(frame({"v": 1, "id": "a1", "type": "hello", "x": 3}))
    assert event == Request(id="a1", type="hello", body={"x": 3})


def test_the_length_is_native_endian():
    payload = b'{"id":"n","type":"hello"}'
    codec = NativeCodec()
    codec.receive_data(len(payload).to_bytes(4, sys.byteorder) + payload)
    assert [e.type for e in codec.events()] == ["hello"]


@given(st.lists(st.text(min_size=1, max_size=64), min_size=1, max_size=5), st.integers(1, 40))
def test_requests_split_anywhere_decode_the_same(ids, pieces):
    data = b"".join(frame({"id": i, "type": "hello"}) for i in ids)
    assert [e.id for e in decode_all(data, pieces)] == ids


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_and_failures_carry_codes(data):
    codec = NativeCodec(max_request_frame=1000)
    codec.receive_data(data)
    codec.receive_data(b"")
    for event in codec.events():
        if isinstance(event, ProtocolFailure):
            assert isinstance(event.error, OmamoriError)
            codec.send_failure(event)
    for message in unframe(codec.data_to_send()):
        assert message["ok"] is False and message["error"]["code"]


def test_invalid_json_and_wrong_envelopes_are_refused_without_closing():
    data = (frame(None, raw=b"{not json") + frame(None, raw=b"\xff\xfe") + frame([1, 2])
            + frame({"type": "hello"}) + frame({"id": "x"}) + frame({"id": "y", "type": "hello", "v": 9})
            + frame({"id": "ok", "type": "hello"}))
    events = decode_all(data)
    codes = [e.error.code if isinstance(e, ProtocolFailure) else "request" for e in events]
    assert codes == ["bad_json", "bad_json", "bad_request", "bad_request", "bad_request", "bad_request", "request"]
    assert events[4].id == "x" and events[5].id == "y"


def test_a_huge_declared_length_is_refused_at_once_and_closes():
    codec = NativeCodec(max_request_frame=1 << 20)
    codec.receive_data(struct.pack(NATIVE, 0xFFFFFFFF) + b"{}")
    (event,) = codec.events()
    assert event.error.code == "frame_too_large" and event.fatal
    assert codec.closed


def test_the_refusal_states_the_image_size_that_fits():
    """The message's figure comes from the codec's own limit, and an image under it does fit in base64."""
    limit = 4 << 20
    fits = json.dumps({"v": 1, "id": 1, "type": "protect",
                       "image": base64.b64encode(bytes(image_limit(limit) - 1024)).decode()}).encode()
    codec = NativeCodec(max_request_frame=limit)
    codec.receive_data(struct.pack(NATIVE, len(fits)) + fits)
    (event,) = codec.events()
    assert event.type == "protect" and len(fits) <= limit
    codec.receive_data(struct.pack(NATIVE, limit + 1))
    (event,) = codec.events()
    assert event.error.code == "frame_too_large"
    assert "under 3 MiB" in event.error.to_dict()["message"]["en"] and "3 MiB" in event.error.to_dict()["message"]["ja"]
    assert image_limit(MAX_REQUEST_FRAME) == 72 << 20


def test_a_frame_cut_short_by_eof_is_reported():
    codec = NativeCodec()
    codec.receive_data(struct.pack(NATIVE, 100) + b'{"id":')
    assert list(codec.events()) == []
    codec.receive_data(b"")
    (event,) = codec.events()
    assert event.error.code == "frame_truncated" and event.fatal


def test_a_frame_that_lies_short_about_its_length_gives_bad_json_then_goes_on():
    body = b'{"id":"a","type":"hello"}'
    events = decode_all(struct.pack(NATIVE, 5) + body + frame({"id": "b", "type": "hello"}))
    assert isinstance(events[0], ProtocolFailure) and events[0].error.code == "bad_json"


def test_small_replies_are_one_frame():
    codec = NativeCodec()
    codec.send({"v": 1, "id": "s", "type": "hello", "ok": True, "result": {"a": "é"}})
    (message,) = unframe(codec.data_to_send())
    assert message["result"]["a"] == "é"


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=3000), st.integers(300, 5000))
def test_long_replies_are_chunked_under_the_limit_and_rejoin_exactly(text, limit):
    reply = {"v": 1, "id": "big", "type": "protect", "ok": True, "result": {"text": text * 3, "q": '"\\' * 200}}
    codec = NativeCodec(max_reply_frame=limit)
    codec.send(reply)
    data = codec.data_to_send()
    messages, i = [], 0
    while i < len(data):
        (length,) = struct.unpack_from(NATIVE, data, i)
        assert 4 + length <= limit
        messages.append(json.loads(data[i + 4:i + 4 + length]))
        i += 4 + length
    rebuilt = messages[0] if len(messages) == 1 and messages[0]["type"] != "chunk" else join_chunks(messages)
    assert rebuilt == reply


def test_bytes_in_a_reply_travel_as_base64():
    codec = NativeCodec()
    codec.send({"v": 1, "id": 1, "type": "protect", "ok": True, "result": {"image": b"\x00\xff"}})
    (message,) = unframe(codec.data_to_send())
    assert message["result"]["image"] == "AP8="


def test_a_six_megabyte_reply_arrives_in_browser_sized_chunks():
    codec = NativeCodec()
    reply = {"v": 1, "id": "img", "type": "protect", "ok": True, "result": {"image": bytes(range(256)) * 24000}}
    codec.send(reply)
    messages = unframe(codec.data_to_send())
    assert len(messages) > 6 and all(m["type"] == "chunk" and m["id"] == "img" for m in messages)
    assert join_chunks(messages)["result"]["image"] == json.loads(json.dumps(
        {"i": __import__("base64").b64encode(reply["result"]["image"]).decode()}))["i"]
