"""The companion server as an attack surface and under load, on a real socket (127.0.0.1, port 0).

Extends tests/test_server.py (with the same helpers, tests/companion.py) with what an
attacker on the same machine or a web page can do at the byte level: exact
Host headers, a frame declaring 2**63 bytes, half-sent handshakes, a thousand
connection attempts, tokens from an earlier pairing -- while a paired client
keeps being answered -- and with the load and faults of a real session: four
clients at once through the worker process, the server restarted under a
connected client.
"""
from __future__ import annotations

import asyncio
import base64
import logging
import os
import struct
import time
from contextlib import asynccontextmanager

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from omamori import pairing
from omamori.protocol.handlers import Host
from omamori.transports.websocket import CompanionServer, Limits
from omamori.transports.worker import WorkerHost
from companion import CHROME_ID, CHROME_ORIGIN, ServerUnproven, ask, client, refused_status, running
from images import encode, noise


async def raw_http(port: int, request: bytes, *, timeout: float = 5) -> bytes:
    """Send bytes, return everything the server answers before it closes (or the timeout)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()


def handshake(port: int, token: str, *, host: str | None = None, origin: str = CHROME_ORIGIN,
              extra: str = "") -> bytes:
    host_line = f"Host: {host if host is not None else f'127.0.0.1:{port}'}\r\n" if host != "" else ""
    return (f"GET /?token={token} HTTP/1.1\r\n{host_line}Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {origin}\r\n{extra}\r\n").encode()


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


@pytest.mark.parametrize("host", [
    "attacker.example:{port}",            # DNS rebinding: a name that resolves to 127.0.0.1
    "127.0.0.1.nip.io:{port}",
    "localhost.:{port}",                  # trailing dot
    "127.0.0.1",                          # no port
    "127.0.0.1:1",                        # another port
    "0.0.0.0:{port}",
    "",                                   # no Host header at all
])
def test_rebinding_host_headers_are_refused_with_the_right_token(paths, token, host):
    async def scenario():
        async with running(paths) as port:
            response = await raw_http(port, handshake(port, token, host=host.format(port=port)))
            assert status_of(response) in (400, 421), response[:200]
    asyncio.run(scenario())


def test_a_repeated_host_or_origin_header_is_refused(paths, token):
    async def scenario():
        async with running(paths) as port:
            twice_host = handshake(port, token, extra=f"Host: attacker.example:{port}\r\n")
            twice_origin = handshake(port, token, extra="Origin: https://evil.example\r\n")
            assert status_of(await raw_http(port, twice_host)) in (400, 421)
            assert status_of(await raw_http(port, twice_origin)) == 403
    asyncio.run(scenario())


def test_a_frame_declaring_2_to_the_63_bytes_closes_that_connection_only(paths, token):
    async def scenario():
        async with running(paths) as port:
            async with client(port, token) as legit:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(handshake(port, token))
                assert b" 101 " in await reader.readuntil(b"\r\n\r\n")
                # FIN + text, masked, 64-bit length 2**63 - 1, mask key; no payload follows
                writer.write(bytes([0x81, 0xFF]) + struct.pack(">Q", 2 ** 63 - 1) + os.urandom(4))
                await writer.drain()
                closing = await asyncio.wait_for(reader.read(), 5)
                assert closing[:1] == b"\x88" and struct.unpack(">H", closing[2:4])[0] == 1009, closing
                writer.close()
                assert (await ask(legit, {"v": 1, "id": "l", "type": "settings.get"}))["ok"]
    asyncio.run(scenario())


def test_half_sent_handshakes_are_dropped_and_do_not_block_a_client(paths, token):
    async def scenario():
        async with running(paths, Limits(open_timeout=1, max_connections=2)) as port:
            slow = []
            for _ in range(50):          # slowloris: request lines and never the end of the headers
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"GET /?token=x HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                slow.append((reader, writer))
            async with client(port, token) as legit:
                assert (await ask(legit, {"v": 1, "id": "l", "type": "settings.get"}))["ok"]
            started = time.monotonic()
            for reader, _ in slow:
                await asyncio.wait_for(reader.read(), 5)       # EOF: the server closed it
            assert time.monotonic() - started < 4
            for _, writer in slow:
                writer.close()
    asyncio.run(scenario())


def test_a_thousand_connection_attempts_are_refused_quickly_while_a_client_is_answered(paths, token):
    attempts = 1000

    async def attempt(port: int, n: int) -> int | str:
        """A page (a foreign origin: 403) or a local program with a guessed token: refused as busy (503) while the
        slots are taken, else it finds the server cannot prove that token, and stops."""
        forged = os.urandom(16).hex() if n % 2 else token[:-1] + ("0" if token[-1] != "0" else "1")
        origin = CHROME_ORIGIN if n % 3 else "https://evil.example"
        if origin != CHROME_ORIGIN:
            return status_of(await raw_http(port, handshake(port, forged, origin=origin)))
        try:
            async with client(port, forged):
                return "answered"
        except ServerUnproven:
            return "unproven"
        except InvalidStatus as refused:
            return refused.response.status_code

    async def scenario():
        async with running(paths) as port:
            async with client(port, token) as legit:
                started = time.monotonic()
                statuses, answered = [], 0
                for batch in range(0, attempts, 100):        # 100 at once, as a flooding page could
                    statuses += await asyncio.gather(*(attempt(port, n) for n in range(batch, batch + 100)))
                    answered += (await ask(legit, {"v": 1, "id": batch, "type": "settings.get"}))["ok"]
                elapsed = time.monotonic() - started
                assert set(statuses) <= {403, 503, "unproven"} and 403 in statuses and len(statuses) == attempts
                assert answered == attempts // 100
                assert elapsed < 60, f"{attempts} refusals took {elapsed:.1f} s"
    asyncio.run(scenario())


def test_the_token_of_an_earlier_pairing_is_refused_after_a_restart(paths, token):
    async def scenario():
        async with running(paths) as port:
            async with client(port, token) as ws:
                assert (await ask(ws, {"v": 1, "id": 1, "type": "settings.get"}))["ok"]
        new_token = pairing.pair(pairing.pairing_file(paths.config))
        async with running(paths) as port:
            with pytest.raises(ServerUnproven):
                async with client(port, token):
                    pass
            async with client(port, new_token) as ws:
                assert (await ask(ws, {"v": 1, "id": 2, "type": "settings.get"}))["ok"]
    asyncio.run(scenario())


def test_pairing_again_takes_effect_in_a_running_server(paths, token):
    """Found here: the server kept the pairing it read at start, so a leaked token stayed valid after
    ``omamori serve --pair`` until a restart, and the new one was refused. ``PairingFile`` re-reads it."""
    token_file = pairing.pairing_file(paths.config)

    async def scenario():
        server = CompanionServer(Host(paths, transport="websocket"), pairing.PairingFile(token_file),
                                 chrome_extension_id=CHROME_ID)
        listening = await server.serve("127.0.0.1", 0)
        try:
            async with listening:
                port = listening.sockets[0].getsockname()[1]
                async with client(port, token) as ws:
                    assert (await ask(ws, {"v": 1, "id": 1, "type": "settings.get"}))["ok"]
                new_token = pairing.pair(token_file)
                with pytest.raises(ServerUnproven):
                    async with client(port, token):
                        pass
                async with client(port, new_token) as ws:
                    assert (await ask(ws, {"v": 1, "id": 2, "type": "settings.get"}))["ok"]
                pairing.unpair(token_file)
                assert await refused_status(port) == 401
        finally:
            server.close()
    asyncio.run(scenario())


def test_the_token_is_not_logged_on_any_path(paths, token, caplog):
    caplog.set_level(logging.DEBUG)

    async def scenario():
        async with running(paths, Limits(max_connections=1, idle_timeout=30)) as port:
            await raw_http(port, handshake(port, token, host="attacker.example"))
            await raw_http(port, handshake(port, token, origin="https://evil.example"))
            await raw_http(port, handshake(port, token) + b"\x81\xff" + b"\xff" * 12)
            async with client(port, token) as ws:
                await raw_http(port, handshake(port, token))       # busy: 503
                await ask(ws, {"v": 1, "id": "t", "type": "nope", "token": token})
    asyncio.run(scenario())
    server_records = [r for r in caplog.records if not r.name.startswith("websockets.client")]
    assert server_records and not any(token in r.getMessage() for r in server_records)


# -- load and restarts through the worker process ------------------------------------------------------------------
@asynccontextmanager
async def served_by_worker(paths, port: int = 0):
    server = CompanionServer(WorkerHost(paths, transport="websocket"),
                             pairing.load(pairing.pairing_file(paths.config)), chrome_extension_id=CHROME_ID,
                             limits=Limits(max_message=8 * 1024 * 1024, max_connections=4, idle_timeout=60))
    listening = await server.serve("127.0.0.1", port)
    try:
        async with listening:
            yield listening.sockets[0].getsockname()[1]
    finally:
        await asyncio.get_running_loop().run_in_executor(None, server.close)


def test_four_clients_at_once_are_all_answered(paths, token):
    async def protect(port: int, n: int) -> tuple[bool, float]:
        async with client(port, token, max_size=None) as ws:
            started = time.monotonic()
            reply = await ask(ws, {"v": 1, "id": n, "type": "protect", "name": f"{n}.png",
                                   "image": base64.b64encode(encode(noise(320, 320, seed=n))).decode()})
            return reply["ok"], time.monotonic() - started

    async def scenario():
        async with served_by_worker(paths) as port:
            results = await asyncio.gather(*(protect(port, n) for n in range(4)))
            assert [ok for ok, _ in results] == [True] * 4
            async with client(port, token) as ws:
                history = await ask(ws, {"v": 1, "id": "h", "type": "history", "limit": 10})
            assert history["result"]["total"] == 4
    asyncio.run(scenario())


def test_a_restarted_server_takes_back_a_connected_client(paths, token):
    async def scenario():
        async with served_by_worker(paths) as port:
            ws = await client(port, token)
            assert (await ask(ws, {"v": 1, "id": 1, "type": "hello"}))["ok"]
        with pytest.raises(ConnectionClosed):
            await ask(ws, {"v": 1, "id": 2, "type": "settings.get"})
        async with served_by_worker(paths, port) as same_port:
            assert same_port == port
            async with client(port, token) as again:
                assert (await ask(again, {"v": 1, "id": 3, "type": "settings.get"}))["ok"]
    asyncio.run(scenario())
