"""``omamori-host`` as a real subprocess on real pipes, speaking the real protocol."""
from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest
from PIL import Image

from omamori.protocol.codec import MAX_REPLY_FRAME
from omamori.settings import Settings
from images import b64, encode, illustration
from processes import CHROME_ORIGIN, NATIVE, HostProcess


@pytest.fixture
def host(tmp_path):
    process = HostProcess(tmp_path, CHROME_ORIGIN)
    yield process
    if process.proc.poll() is None:
        process.proc.kill()


def test_hello_reports_version_capabilities_and_settings(host):
    reply = host.request("h1", "hello")
    assert reply["ok"] and reply["type"] == "hello" and reply["v"] == 1
    result = reply["result"]
    assert {"protect", "verify", "settings.get", "settings.set", "history"} <= set(result["capabilities"])
    assert result["settings"]["mark"]["enabled"] is True
    assert result["key"]["present"] is True
    assert host.close() == 0


def test_firefox_arguments_are_accepted(tmp_path):
    process = HostProcess(tmp_path, str(tmp_path / "jp.omamori.host.json"), "omamori@omamori.jp")
    assert process.request(7, "hello")["ok"]
    assert process.close() == 0
    log = (tmp_path / "log" / "host.log").read_text()
    assert "firefox add-on omamori@omamori.jp" in log


def test_protect_then_verify_round_trip_with_chunked_reply_and_progress(host, tmp_path):
    original = encode(illustration(2400, 1800, noisy=True))
    host.send({"v": 1, "id": "p", "type": "protect", "image": b64(original), "name": "art.png"})
    reply, progress = host.reply("p")
    assert reply["ok"], reply
    result = reply["result"]
    assert result["mime"] == "image/jpeg" and result["name"] == "art.jpg"
    assert result["bytes"] > MAX_REPLY_FRAME, "this test needs a reply big enough to be chunked"
    assert progress and all(0 <= m["fraction"] <= 1 for m in progress)
    protected = base64.b64decode(result["image"])
    assert Image.open(io.BytesIO(protected)).size == (2400, 1800)
    assert {d["step"] for d in result["report"]} >= {"signature", "mark", "encode"}

    verified = host.request("v", "verify", image=result["image"])["result"]
    assert verified["marked"] and verified["mark"]["own"] and verified["mark"]["id"] == result["mark"]["id"]
    assert verified["ledger_match"]["exact"]

    history = host.request("hist", "history", limit=5)["result"]
    assert history["total"] == 1 and history["items"][0]["mark_id"] == result["mark"]["id"]
    assert host.close() == 0


def test_settings_set_persists_for_the_next_host(host, tmp_path):
    reply = host.request("s", "settings.set", changes={"signature": {"text": "@ねこ · AI学習禁止"}})
    assert reply["ok"] and reply["result"]["settings"]["signature"]["text"] == "@ねこ · AI学習禁止"
    bad = host.request("s2", "settings.set", changes={"signature": {"opacity": 7}})
    assert bad["error"]["code"] == "bad_setting"
    emoji = host.request("s3", "settings.set", changes={"signature.text": "ゆき🌸"})["error"]
    assert emoji["code"] == "signature_unprintable" and emoji["details"]["chars"] == "🌸"
    assert "🌸" in emoji["message"]["en"] and "🌸" in emoji["message"]["ja"]
    host.close()
    again = HostProcess(tmp_path, CHROME_ORIGIN)
    got = again.request("g", "settings.get")["result"]
    assert got["settings"]["signature"]["text"] == "@ねこ · AI学習禁止"
    assert got["defaults"]["signature"]["text"] == Settings().signature.text != got["settings"]["signature"]["text"]
    again.close()


def bomb_png() -> bytes:
    """A tiny PNG whose header claims 30000x30000 pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (300, 300), c) for c in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


@pytest.mark.parametrize("body, code", [
    ({"type": "nope"}, "unknown_type"),
    ({"type": "protect"}, "bad_request"),
    ({"type": "protect", "image": 12}, "bad_request"),
    ({"type": "protect", "image": "***not base64***"}, "bad_base64"),
    ({"type": "protect", "image": b64(b"hello, I am text")}, "not_an_image"),
    ({"type": "protect", "image": b64(bomb_png())}, "image_too_large"),
    ({"type": "protect", "image": b64(animated_gif())}, "unsupported_format"),
    ({"type": "protect", "image": b64(encode(illustration(120, 90)))}, "image_too_small"),
    ({"type": "protect", "image": b64(encode(illustration(800, 600))[:3000])}, "image_damaged"),
    ({"type": "protect", "image": b64(encode(illustration(800, 600))), "options": {"mark": {"strength": "x"}}},
     "bad_setting"),
    ({"type": "history", "limit": 0}, "bad_request"),
])
def test_every_bad_request_gets_its_code_and_the_host_keeps_serving(serving_host, body, code):
    body = dict(body)
    reply = serving_host.request("bad", body.pop("type"), **body)
    assert reply["ok"] is False and reply["id"] == "bad"
    assert reply["error"]["code"] == code
    assert reply["error"]["message"]["en"] and reply["error"]["message"]["ja"]
    assert serving_host.request("after", "history", limit=1)["result"]["total"] == 0, "a bad request was recorded"
    assert serving_host.worker() == serving_host.first_worker, "a bad request cost the host its worker"


def test_invalid_json_and_missing_id_are_answered_and_the_stream_goes_on(host):
    host.send_raw(struct.pack(NATIVE, 9) + b"{not json")
    assert host.read_message()["error"]["code"] == "bad_json"
    host.send({"type": "hello"})
    reply = host.read_message()
    assert reply["id"] is None and reply["error"]["code"] == "bad_request"
    assert host.request("ok", "hello")["ok"]
    assert host.close() == 0


def test_a_huge_declared_length_is_refused_and_the_host_exits_cleanly(host):
    host.send_raw(struct.pack(NATIVE, 0xFFFFFFF0) + b"{}")
    assert host.read_message()["error"]["code"] == "frame_too_large"
    assert host.proc.wait(timeout=20) == 0


def test_a_truncated_frame_at_eof_is_reported_then_the_host_exits(host):
    host.send_raw(struct.pack(NATIVE, 500) + b'{"id": "cut", "type": "hel')
    host.proc.stdin.close()
    assert host.read_message()["error"]["code"] == "frame_truncated"
    assert host.proc.wait(timeout=20) == 0
