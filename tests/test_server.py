"""The companion server on a real socket (127.0.0.1, port 0) with real websockets clients."""
from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys

import pytest
from PIL import Image
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from omamori import pairing
from omamori.settings import Settings
from omamori.transports.websocket import BINARY_HEADER, CompanionServer, Limits
from companion import (CHROME_ID, CHROME_ORIGIN, MOZ_ORIGIN, Paired, ServerUnproven, ask, authenticate, client, refused_status,
                       running, token_and_port)
from images import encode, noise

def test_paired_extension_gets_answers_from_chrome_and_firefox_origins(paths, token, caplog):
    caplog.set_level(logging.DEBUG)

    async def scenario():
        async with running(paths) as port:
            for origin in (CHROME_ORIGIN, MOZ_ORIGIN):
                async with client(port, token, origin=origin) as ws:
                    reply = await ask(ws, {"v": 1, "id": "a", "type": "settings.get"})
                    assert reply["ok"] and reply["id"] == "a"
                    assert reply["result"]["settings"] == Settings().to_dict()
            assert await refused_status(port, origin="https://evil.example") == 403
    asyncio.run(scenario())
    # The test's own client logs its request line at DEBUG; the server side must not.
    server_records = [r for r in caplog.records if not r.name.startswith("websockets.client")]
    assert any(r.name.startswith("omamori.server") for r in server_records)
    assert not any(token in r.getMessage() for r in server_records)


@pytest.mark.parametrize("case, kwargs, status", [
    ("foreign web page", {"origin": "https://evil.example"}, 403),
    ("another extension", {"origin": "chrome-extension://pppppppppppppppppppppppppppppppp"}, 403),
    ("no origin", {"origin": None}, 403),
    ("rebinding host", {"host": "attacker.example"}, 421),
    ("another path", {"path": "/etc/passwd"}, 404),
])
def test_foreign_requests_are_refused_before_the_handshake(paths, token, case, kwargs, status):
    async def scenario():
        async with running(paths) as port:
            assert await refused_status(port, **kwargs) == status
    asyncio.run(scenario())


def test_a_wrong_token_is_found_out_by_both_sides_and_nothing_is_answered(paths, token):
    async def scenario():
        async with running(paths, Limits(open_timeout=1)) as port:
            for wrong in ("0" * 32, token[:-1], token.upper()):
                with pytest.raises(ServerUnproven):   # the client sees the server does not hold its key
                    async with client(port, wrong):
                        pass
            # A client that goes on anyway with a made-up proof, or asks before proving, is closed unanswered.
            async with connect(f"ws://127.0.0.1:{port}/", origin=CHROME_ORIGIN, open_timeout=5) as ws:
                await ws.send(json.dumps({"type": "auth.hello", "auth": 1, "nonce": "00" * 32}))
                assert json.loads(await ws.recv())["type"] == "auth.challenge"
                await ws.send(json.dumps({"type": "auth.proof", "proof": "00" * 32}))
                await ws.send(json.dumps({"v": 1, "id": "x", "type": "settings.get"}))
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 5)
                assert closed.value.rcvd.code == 1008
            for first in (json.dumps({"v": 1, "id": "x", "type": "settings.get"}), b"\x00\x00\x00\x02{}", None):
                async with connect(f"ws://127.0.0.1:{port}/", origin=CHROME_ORIGIN, open_timeout=5) as ws:
                    if first is not None:
                        await ws.send(first)
                    with pytest.raises(ConnectionClosed) as closed:   # None: says nothing, closed after open_timeout
                        await asyncio.wait_for(ws.recv(), 5)
                    assert closed.value.rcvd.code == 1008
    asyncio.run(scenario())


def test_every_frame_after_the_handshake_must_carry_its_mac(paths, token):
    async def scenario():
        async with running(paths) as port:
            for forged in ("unsealed", "replayed", "reflected"):
                async with client(port, token) as ws:
                    request = json.dumps({"v": 1, "id": "a", "type": "settings.get"})
                    sealed = ws.channel.seal(request)
                    await ws.ws.send(sealed)
                    reply = await ws.ws.recv()
                    assert json.loads(ws.channel.open(reply))["ok"]
                    # a frame without its MAC; the same sealed frame again; the server's own frame sent back
                    await ws.ws.send({"unsealed": request, "replayed": sealed, "reflected": reply}[forged])
                    with pytest.raises(ConnectionClosed) as closed:
                        await asyncio.wait_for(ws.ws.recv(), 5)
                    assert closed.value.rcvd.code == 1008, forged
    asyncio.run(scenario())


def test_the_token_never_crosses_the_socket(paths, token):
    # Only nonces and HMACs go out: nothing a program in the server's place could use to pass for the client.
    sent: list = []

    class Recording:
        def __init__(self, ws) -> None:
            self.ws, self.recv, self.close = ws, ws.recv, ws.close

        async def send(self, frame) -> None:
            sent.append(frame)
            await self.ws.send(frame)

    async def scenario():
        async with running(paths) as port:
            async with connect(f"ws://127.0.0.1:{port}/", origin=CHROME_ORIGIN, open_timeout=5) as ws:
                recording = Recording(ws)
                paired = Paired(recording, await authenticate(recording, token))
                assert (await ask(paired, {"v": 1, "id": "a", "type": "settings.get"}))["ok"]
    asyncio.run(scenario())
    key = pairing.pairing_key(token)
    assert sent and not any(token in str(f) or key.hex() in str(f) for f in sent)


def test_unpaired_server_refuses_everyone(paths):
    async def scenario():
        async with running(paths) as port:
            assert await refused_status(port) == 401
    asyncio.run(scenario())


def test_oversized_message_closes_only_that_connection(paths, token):
    async def scenario():
        async with running(paths) as port:
            async with client(port, token) as legit, client(port, token) as greedy:
                await greedy.send("x" * (256 * 1024 + 1))
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(greedy.recv(), 5)
                assert closed.value.rcvd.code == 1009
                assert (await ask(legit, {"v": 1, "id": 1, "type": "settings.get"}))["ok"]
    asyncio.run(scenario())


def test_connection_flood_is_refused_while_a_legitimate_client_keeps_working(paths, token):
    async def scenario():
        async with running(paths) as port:
            async with client(port, token) as legit:
                async def guess() -> str:
                    try:
                        async with client(port, os.urandom(16).hex()):
                            return "answered"
                    except ServerUnproven:
                        return "unproven"
                    except InvalidStatus as refused:
                        return str(refused.response.status_code)

                statuses = await asyncio.gather(
                    *[guess() for _ in range(30)],
                    *[refused_status(port, origin="https://evil.example") for _ in range(10)],
                )
                assert set(statuses) <= {"unproven", "503", 403} and 403 in statuses
                async with client(port, token) as second:
                    assert await refused_status(port) == 503     # max_connections=2
                    assert (await ask(second, {"v": 1, "id": "s", "type": "settings.get"}))["ok"]
                assert (await ask(legit, {"v": 1, "id": "l", "type": "settings.get"}))["ok"]
                await asyncio.sleep(0.1)     # the server forgets the closed one
                async with client(port, token) as third:
                    assert (await ask(third, {"v": 1, "id": "t", "type": "settings.get"}))["ok"]
    asyncio.run(scenario())


def test_idle_connection_is_closed(paths, token):
    async def scenario():
        async with running(paths, Limits(idle_timeout=0.3)) as port:
            async with client(port, token) as ws:
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 5)
                assert closed.value.rcvd.code == 1000 and closed.value.rcvd.reason == "idle"
    asyncio.run(scenario())


def test_bad_messages_get_error_replies_and_the_connection_goes_on(paths, token):
    async def scenario():
        async with running(paths) as port:
            async with client(port, token) as ws:
                await ws.send("{not json")
                assert json.loads(await ws.recv())["error"]["code"] == "bad_json"
                await ws.send(b"\x00\x00\x10\x00{}")      # header length beyond the frame
                assert json.loads(await ws.recv())["error"]["code"] == "bad_request"
                assert (await ask(ws, {"v": 1, "id": "n", "type": "nope"}))["error"]["code"] == "unknown_type"
                assert (await ask(ws, {"v": 1, "id": "ok", "type": "settings.get"}))["ok"]
    asyncio.run(scenario())


def binary_frame(request: dict, data: bytes) -> bytes:
    header = json.dumps(request).encode()
    return len(header).to_bytes(BINARY_HEADER, "big") + header + data


def split_binary(frame: bytes) -> tuple[dict, bytes]:
    length = int.from_bytes(frame[:BINARY_HEADER], "big")
    return json.loads(frame[BINARY_HEADER:BINARY_HEADER + length]), frame[BINARY_HEADER + length:]


def test_binary_protect_carries_raw_image_bytes_both_ways(paths, token):
    async def scenario():
        async with running(paths, Limits(max_message=8 * 1024 * 1024)) as port:
            async with client(port, token, max_size=None) as ws:
                await ws.send(binary_frame({"v": 1, "id": "p", "type": "protect", "name": "art.png"}, encode(noise(320, 320, seed=1))))
                while True:
                    message = await asyncio.wait_for(ws.recv(), 120)
                    if isinstance(message, bytes):
                        break
                    assert json.loads(message)["type"] == "progress", message
                header, image = split_binary(message)
                assert header["ok"], header
                assert "image" not in header["result"] and header["result"]["bytes"] == len(image)
                assert Image.open(io.BytesIO(image)).size == (header["result"]["width"], header["result"]["height"])
    asyncio.run(scenario())


def _stdio_replies(requests: list[dict], env: dict) -> list[dict]:
    """The native host's replies, run as a subprocess on real pipes (chunks joined)."""
    frames = b""
    for request in requests:
        body = json.dumps(request).encode()
        frames += len(body).to_bytes(4, sys.byteorder) + body
    out = subprocess.run([sys.executable, "-m", "omamori.transports.stdio"], input=frames, capture_output=True,
                         env=env, timeout=120, check=True).stdout
    replies, chunks = [], []
    while out:
        length = int.from_bytes(out[:4], sys.byteorder)
        message, out = json.loads(out[4:4 + length]), out[4 + length:]
        if message["type"] == "chunk":
            chunks.append(message["data"])
            if len(chunks) == message["count"]:
                replies.append(json.loads("".join(chunks)))
                chunks = []
        elif message["type"] != "progress":
            replies.append(message)
    return replies


def test_server_answers_like_the_native_host(paths, token):
    import base64

    image = encode(noise(320, 320, seed=7))
    requests = [
        {"v": 1, "id": "h", "type": "hello"},
        {"v": 1, "id": "g", "type": "settings.get"},
        {"v": 1, "id": "v", "type": "verify", "image": base64.b64encode(image).decode()},
        {"v": 1, "id": "x", "type": "history", "limit": 5},
        {"v": 1, "id": "u", "type": "no.such.type"},
        {"v": 1, "id": "b", "type": "history", "limit": "many"},
    ]
    native = _stdio_replies(requests, env={**os.environ, "OMAMORI_HOME": os.environ["OMAMORI_HOME"]})

    async def scenario():
        async with running(paths, Limits(max_message=8 * 1024 * 1024)) as port:
            async with client(port, token) as ws:
                replies = [await ask(ws, request) for request in requests]
                # The same verify with the image as raw bytes in a binary frame.
                await ws.send(binary_frame({"v": 1, "id": "v", "type": "verify"}, image))
                replies.append(json.loads(await asyncio.wait_for(ws.recv(), 30)))
                return replies

    served = asyncio.run(scenario())
    assert native[0]["result"].pop("transport") == "native"
    assert served[0]["result"].pop("transport") == "websocket"
    assert served[:len(requests)] == native
    assert served[-1] == native[2]


def test_omamori_serve_as_a_process_pairs_listens_and_stops_on_ctrl_c(tmp_path):
    import signal

    env = {**os.environ, "OMAMORI_HOME": str(tmp_path / "omamori"), "LANG": "C.UTF-8"}
    extension = tmp_path / "extension"
    extension.mkdir()
    (extension / "ids.json").write_text(json.dumps(
        {"chrome_extension_id": CHROME_ID, "gecko_id": "omamori@omamori.jp", "native_host_name": "jp.omamori.host"}))
    server = subprocess.Popen([sys.executable, "-m", "omamori.cli", "serve", "--pair", "--port", "0",
                               "--extension", str(extension)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        token, port = token_and_port(server.stdout)

        async def scenario():
            async with client(port, token) as ws:
                reply = await ask(ws, {"v": 1, "id": "h", "type": "hello"})
                assert reply["ok"] and reply["result"]["transport"] == "websocket"
            with pytest.raises(ServerUnproven):
                async with client(port, "f" * 32):
                    pass
        asyncio.run(scenario())
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=20)
    assert server.returncode == 0
    assert token not in err


def test_a_request_past_its_time_limit_is_answered_timeout_and_the_connection_goes_on(paths, token):
    from omamori.transports.worker import WorkerHost

    async def scenario():
        worker = WorkerHost(paths, transport="websocket", time_limit=0.001)
        server = CompanionServer(worker, pairing.load(pairing.pairing_file(paths.config)),
                                 chrome_extension_id=CHROME_ID)
        try:
            async with await server.serve("127.0.0.1", 0) as listening:
                port = listening.sockets[0].getsockname()[1]
                async with client(port, token) as ws:
                    first = await ask(ws, {"v": 1, "id": 1, "type": "hello"})
                    assert first["error"]["code"] == "timeout" and first["id"] == 1
                    replacement = worker.pid
                    second = await ask(ws, {"v": 1, "id": 2, "type": "hello"})
                    assert second["id"] == 2 and second["error"]["code"] == "timeout"
                    # each timed-out worker is killed (and reaped) and another started in its place
                    assert worker.pid not in (None, replacement)
                    with pytest.raises(ProcessLookupError):
                        os.kill(replacement, 0)
        finally:
            server.close()
    asyncio.run(scenario())


def test_plain_http_gets_no_files(paths, token):
    import http.client

    def get(port: int, path: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", path, headers={"Origin": CHROME_ORIGIN})
        status = connection.getresponse().status
        connection.close()
        return status

    async def scenario():
        async with running(paths) as port:
            # A valid token but no WebSocket upgrade: nothing is served.
            assert await asyncio.to_thread(get, port, f"/?token={token}") == 426
            assert await asyncio.to_thread(get, port, f"/index.html?token={token}") == 404
            assert await asyncio.to_thread(get, port, "/../../etc/passwd") == 404
    asyncio.run(scenario())


def test_handshake_and_macs_match_the_extensions_known_answers():
    # The same numbers are checked against the extension's side in tests/extension/pairing.test.mjs.
    key = pairing.pairing_key("0123456789abcdef0123456789abcdef")
    client_nonce, server_nonce = bytes(range(32)), bytes(range(32, 64))
    assert pairing.server_proof(key, client_nonce, server_nonce).hex() == \
        "48a2bc27d3323bb60b9a3e4a1bc8854b4540f0e683d50ceafd60dccf45b1f487"
    assert pairing.client_proof(key, client_nonce, server_nonce).hex() == \
        "8d66dc2a8aaecc148b783aa12a128a9b5068c6a820ee11f37ccb35fb2ecfa795"
    server = pairing.Channel(key, client_nonce, server_nonce, sends=pairing.TO_CLIENT)
    assert server.seal('{"ok":true}') == 'e063848e5b771a556b1d94464e62456baa97d6b7fb98eff3ea3e5dd978b7d3a7{"ok":true}'
    assert server.seal(b"\x00\x01\x02").hex() == "32096d0c707c87bc4a9df67423b92f4a3a1443e6ac4d29cc871acd498f98dfab000102"
    assert server.open('0fdd8294293fa788efe379993eb2a9eb2df7b2335287df05d9d5987659390d37{"type":"hello"}') == \
        '{"type":"hello"}'
