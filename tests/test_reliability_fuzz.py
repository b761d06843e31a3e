"""Fuzzing the native messaging framing and the request dispatch: the real codec and the real ``Host``.

One target, ``feed_stream``, reads its choices from a byte string: how many
messages, of which kind (random payloads, random JSON, requests built from the
protocol's field names with wrong and right values, impossible lengths, frames
cut short, deep nesting), how the stream is split into reads, whether it ends.
The requests go to the real dispatcher in a temporary ``OMAMORI_HOME``. Then
it checks what the browser would receive: every frame within the reply limit,
every message a v1 envelope, chunks joinable, exactly one reply per event with
the request's id, every failure a known code with its en/ja message, and no
``internal_error`` (that would be a bug that escaped a handler).

Hypothesis drives it through a ``WorkerHost`` (the dispatcher in its worker
process, as the transports run it), in the normal suite briefly and at scale
in the slow one. The long run uses atheris (coverage-guided) with the same
target on an in-process ``Host``, whose code atheris can see::

    OMAMORI_HOME=$(mktemp -d) python tests/test_reliability_fuzz.py -runs=1000000

It prints the RSS every 100,000 inputs (memory must stay flat).
"""
from __future__ import annotations

import base64
import json
import os
import struct
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from omamori.catalog import LANGUAGES, entries
from omamori.errors import CODES
from omamori.paths import default_paths
from omamori.protocol.codec import MAX_REPLY_FRAME, NativeCodec
from omamori.protocol.envelope import (HOST_MESSAGE_TYPES, ProtocolFailure, Request, decode_request, failure_reply,
                                       progress_message)
from omamori.protocol.handlers import HANDLERS, Host
from omamori.transports.websocket import decode_binary, encode_reply
from omamori.transports.worker import WorkerHost

NATIVE = "=I"
FIELDS = ("image", "name", "options", "changes", "limit", "v", "id", "type")
REPLY_LIMITS = (MAX_REPLY_FRAME, 2048, 4096)
FAST_EXAMPLES = 300
SLOW_EXAMPLES = 20_000
TINY_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000008000000080802000000")


class Choices:
    """Deterministic choices read from fuzzer bytes (zeros once they run out)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def number(self, below: int) -> int:
        """An int in [0, below)."""
        raw = int.from_bytes(self.data[self.at:self.at + 4].ljust(4, b"\0"), "little")
        self.at += 4
        return raw % below if below > 0 else 0

    def pick(self, options):
        return options[self.number(len(options))]

    def raw(self, limit: int) -> bytes:
        length = self.number(limit + 1)
        piece = self.data[self.at:self.at + length]
        self.at += length
        return piece

    def text(self, limit: int) -> str:
        return self.raw(limit).decode("utf-8", "replace")

    def json_value(self, depth: int = 0):
        kind = self.number(9 if depth < 4 else 6)
        if kind == 0:
            return None
        if kind == 1:
            return self.pick((True, False))
        if kind == 2:
            return self.pick((0, 1, -1, 20, 500, 501, 2 ** 53, -(2 ** 63), 10 ** 400 // 10 ** 399))
        if kind == 3:
            return self.pick((0.5, -0.0, 1e308, 3.14, float("nan"), float("inf"), -float("inf")))
        if kind in (4, 5):
            return self.text(40)
        if kind == 6:
            return [self.json_value(depth + 1) for _ in range(self.number(4))]
        if kind == 7:
            return {self.pick(FIELDS + ("signature", "mark", "signature.enabled", "mark.strength", "output.max_side",
                                        "cloak.enabled", "extension.on_failure", "text")): self.json_value(depth + 1)
                    for _ in range(self.number(4))}
        return self.image_field()

    def image_field(self) -> str:
        kind = self.number(4)
        if kind == 0:
            return base64.b64encode(self.raw(64)).decode()
        if kind == 1:
            return base64.b64encode(TINY_PNG + self.raw(32)).decode()
        if kind == 2:
            return self.text(20) + "=="        # usually not base64
        return ""

    def request(self) -> dict:
        message = {}
        if self.number(4):
            message["v"] = self.pick((1, 1, 1, 2, "1", None, 1.0))
        if self.number(8):
            message["id"] = self.pick((lambda: self.text(70), lambda: self.number(1000), lambda: True,
                                       lambda: 1.5, lambda: "x" * 65, lambda: "r-1"))()
        message["type"] = self.pick(tuple(HANDLERS) + ("", "nope", "hello ", "__init__"))
        for _ in range(self.number(4)):
            name = self.pick(FIELDS)
            message[name] = self.image_field() if name == "image" and self.number(2) else self.json_value()
        return message

    def payload(self) -> bytes:
        kind = self.number(8)
        if kind == 0:
            return self.raw(200)
        if kind == 1:
            return json.dumps(self.json_value()).encode()
        if kind == 2:
            return b"[" * self.number(200_000) + b"1"    # deep nesting: RecursionError in the parser
        if kind == 3:      # a valid request nested as deep as the parser allows (pickling it recursed)
            depth = self.number(1100)
            return (b'{"v":1,"id":"deep","type":"hello","x":' + b"[" * depth + b"]" * depth + b"}")
        if kind == 4:      # Python refuses to parse an integer of more than 4300 digits (ValueError)
            return b'{"v":1,"id":"long","type":"history","limit":' + b"7" * self.number(9000) + b"}"
        return json.dumps(self.request(), ensure_ascii=bool(self.number(2))).encode()


def build_stream(choices: Choices) -> tuple[bytes, bool]:
    """The bytes a browser (or an attacker) writes, and whether the stream then ends."""
    stream = b""
    for _ in range(choices.number(7)):
        ending = choices.number(10)
        if ending == 0:      # a length the host must refuse
            stream += struct.pack(NATIVE, choices.pick((96 * 1024 * 1024 + 1, 2 ** 32 - 1, 2 ** 31)))
            break
        payload = choices.payload()
        if ending == 1:      # a frame cut short
            stream += struct.pack(NATIVE, len(payload) + 1 + choices.number(1000)) + payload
            break
        stream += struct.pack(NATIVE, len(payload)) + payload
    if choices.number(4) == 0:
        stream += choices.raw(6)       # stray bytes: a partial header
    return stream, choices.number(3) != 0


def _not_json(constant: str):
    raise AssertionError(f"{constant} in a reply: the browser's JSON.parse refuses it")


def check_output(data: bytes, expected_ids: list, reply_limit: int) -> None:
    """What the browser receives: valid frames, one reply per event, known codes only."""
    messages, at = [], 0
    while at < len(data):
        assert at + 4 <= len(data), "a partial frame header"
        (length,) = struct.unpack_from(NATIVE, data, at)
        assert 4 + length <= reply_limit, f"a frame of {length} bytes over the {reply_limit}-byte limit"
        assert at + 4 + length <= len(data), "a frame cut short"
        messages.append(json.loads(data[at + 4:at + 4 + length].decode("ascii"), parse_constant=_not_json))
        at += 4 + length
    replies, chunks = [], []
    for message in messages:
        assert isinstance(message, dict) and message["v"] == 1 and "id" in message and "type" in message
        if message["type"] == "progress":
            assert 0 <= message["fraction"] <= 1
            continue
        if message["type"] == "chunk":
            assert message["index"] == len(chunks) and message["id"] == (chunks or [message])[0]["id"]
            chunks.append(message)
            if len(chunks) == message["count"]:
                replies.append(json.loads("".join(c["data"] for c in chunks), parse_constant=_not_json))
                assert replies[-1]["id"] == message["id"]
                chunks = []
            continue
        assert not chunks, "a message between the chunks of one reply"
        replies.append(message)
    assert not chunks, "a chunked reply left incomplete"
    assert [r["id"] for r in replies] == expected_ids
    for reply in replies:
        assert isinstance(reply["ok"], bool)
        if not reply["ok"]:
            code = reply["error"]["code"]
            assert code in CODES and code != "internal_error", reply
            # the catalog's sentence for the code, its fields filled from the error's own details
            sentence = entries()[f"error.{code}"]
            assert reply["error"]["message"] == {lang: sentence[lang].format_map(reply["error"]["details"])
                                                 for lang in LANGUAGES}


def feed_stream(data: bytes, host: Host) -> None:
    """The fuzz target: one stream through the codec and the dispatcher, then the checks."""
    choices = Choices(data)
    reply_limit = choices.pick(REPLY_LIMITS)
    stream, ends = build_stream(choices)
    codec = NativeCodec(max_reply_frame=reply_limit)
    cuts = sorted({choices.number(len(stream) + 1) for _ in range(choices.number(16))} | {0, len(stream)})
    pieces = [stream[a:b] for a, b in zip(cuts, cuts[1:])]      # the reads the host happens to make
    expected_ids = []
    if ends:
        pieces.append(b"")
    for piece in pieces:
        codec.receive_data(piece)
        for event in codec.events():
            if isinstance(event, Request):
                def progress(stage: str, fraction: float, request_id=event.id) -> None:
                    codec.send(progress_message(request_id, stage, fraction))
                codec.send(host.handle(event, progress))
            else:
                assert isinstance(event, ProtocolFailure)
                codec.send_failure(event)
            expected_ids.append(event.id)
    check_output(codec.data_to_send(), expected_ids, reply_limit)
    assert ends <= codec.closed, "the stream ended but the codec still waits"


@pytest.mark.parametrize("reserved", ["chunk", "progress"])
def test_a_request_cannot_take_the_type_of_a_host_message(fuzz_host, reserved):
    """Found by the fuzzer: the failure reply echoed ``"type": "chunk"``, which the extension reads as a chunk."""
    payload = json.dumps({"v": 1, "id": "x", "type": reserved}).encode()
    codec = NativeCodec()
    codec.receive_data(struct.pack(NATIVE, len(payload)) + payload)
    (event,) = codec.events()
    assert isinstance(event, ProtocolFailure) and event.error.code == "bad_request"
    codec.send_failure(event)
    check_output(codec.data_to_send(), ["x"], MAX_REPLY_FRAME)


@settings(max_examples=FAST_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.binary(max_size=2048), as_text=st.booleans())
def test_fuzzed_websocket_messages_get_one_well_formed_reply(fuzz_host, data, as_text):
    """The companion server's decoding of text and binary frames, on the same generated requests."""
    choices = Choices(data)
    payload = choices.payload()
    if as_text:
        event = decode_request(payload.decode("utf-8", "replace"))
    else:
        header = payload[:choices.number(len(payload) + 1)] if choices.number(2) else payload
        event = decode_binary(struct.pack(">I", choices.pick((len(header), len(header) + 1, 2 ** 32 - 1)))
                              + header + choices.raw(64))
    reply = (fuzz_host.handle(event) if isinstance(event, Request)
             else failure_reply(event.id, event.type, event.error))
    frame = encode_reply(reply, binary=not as_text)
    header = json.loads(frame if isinstance(frame, str) else frame[4:4 + int.from_bytes(frame[:4], "big")],
                        parse_constant=_not_json)
    assert header["v"] == 1 and header["id"] == event.id and header["type"] not in HOST_MESSAGE_TYPES
    if not header["ok"]:
        assert header["error"]["code"] in CODES and header["error"]["code"] != "internal_error", header


def test_a_request_nested_deeper_than_the_worker_can_take_is_refused(fuzz_host):
    """Found by hand after the worker came: a 900-deep request parsed, then crashed the host when
    pickled for the worker (RecursionError). The envelope now refuses more than MAX_DEPTH levels."""
    stream = b""
    for request_id, depth in (("deep", 900), ("fine", 20)):
        payload = (f'{{"v":1,"id":"{request_id}","type":"settings.get","x":'.encode()
                   + b"[" * depth + b"]" * depth + b"}")
        stream += struct.pack(NATIVE, len(payload)) + payload
    codec = NativeCodec()
    codec.receive_data(stream)
    events = list(codec.events())
    assert [type(e) for e in events] == [ProtocolFailure, Request]
    assert events[0].error.code == "bad_request" and events[0].id == "deep"
    assert fuzz_host.handle(events[1])["ok"]


def test_an_integer_too_long_for_python_is_bad_json_not_a_crash():
    """Found by hand: ``json.loads`` raises a plain ValueError for integers over 4300 digits, which
    escaped the codec (the native host died) and the server's decoder."""
    payload = b'{"v":1,"id":"n","type":"history","limit":' + b"9" * 5000 + b"}"
    codec = NativeCodec()
    codec.receive_data(struct.pack(NATIVE, len(payload)) + payload)
    (event,) = codec.events()
    assert isinstance(event, ProtocolFailure) and event.error.code == "bad_json"
    assert decode_request(payload.decode()).error.code == "bad_json"


def rss_bytes(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="module")
def fuzz_host(tmp_path_factory):
    """What the transports use: the dispatcher in a worker process, reached through a pipe."""
    previous = os.environ.get("OMAMORI_HOME")
    os.environ["OMAMORI_HOME"] = str(tmp_path_factory.mktemp("fuzz-home"))
    host = WorkerHost(default_paths())
    yield host
    host.close()
    if previous is None:
        del os.environ["OMAMORI_HOME"]
    else:
        os.environ["OMAMORI_HOME"] = previous


@settings(max_examples=FAST_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.binary(max_size=2048))
def test_fuzzed_streams_get_well_framed_answers(fuzz_host, data):
    feed_stream(data, fuzz_host)


@pytest.mark.slow
def test_fuzzed_streams_at_scale_with_flat_memory(fuzz_host):
    rss = []

    @settings(max_examples=SLOW_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.binary(max_size=4096))
    def run(data):
        feed_stream(data, fuzz_host)
        if len(rss) < 2 and run.calls in (SLOW_EXAMPLES // 4, SLOW_EXAMPLES - 1):
            rss.append(rss_bytes() + rss_bytes(fuzz_host.pid))     # this process (codec) and the worker
        run.calls += 1

    run.calls = 0
    run()
    assert len(rss) == 2
    assert rss[1] - rss[0] < 64 * 1024 * 1024, f"RSS grew by {(rss[1] - rss[0]) >> 20} MiB"


def _own_functions():
    """omamori's functions and methods, and this harness's: what coverage should guide."""
    import types

    for name, module in list(sys.modules.items()):
        if not (name == "omamori" or name.startswith("omamori.") or name == __name__):
            continue
        for value in vars(module).values():
            if getattr(value, "__module__", None) != name:
                continue
            members = vars(value).values() if isinstance(value, type) else (value,)
            for member in members:
                member = getattr(member, "__func__", member)      # staticmethod, classmethod
                if isinstance(member, types.FunctionType):
                    yield member


def main() -> None:
    """The long atheris run (see the module docstring)."""
    import atheris

    for function in _own_functions():
        atheris.instrument_func(function)
    host = Host(default_paths())
    count = 0

    def target(data: bytes) -> None:
        nonlocal count
        feed_stream(data, host)
        count += 1
        if count % 100_000 == 0:
            print(f"#{count} rss={rss_bytes() >> 20} MiB", file=sys.stderr, flush=True)

    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
