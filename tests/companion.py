"""The companion server on a real socket and the extension's side of it: a paired client (the handshake, sealed
frames), the server run in-process, and what ``omamori serve`` prints. Helpers only; fixtures are in conftest.py."""
from __future__ import annotations

import asyncio
import json
import re
from contextlib import asynccontextmanager

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from omamori import pairing
from omamori.protocol.handlers import Host
from omamori.transports.websocket import CompanionServer, Limits

CHROME_ID = "abcdefghijklmnopabcdefghijklmnop"
CHROME_ORIGIN = f"chrome-extension://{CHROME_ID}"
MOZ_ORIGIN = "moz-extension://0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


@asynccontextmanager
async def running(paths, limits=Limits(max_message=256 * 1024, max_connections=2, idle_timeout=30)):
    server = CompanionServer(Host(paths, transport="websocket"), pairing.load(pairing.pairing_file(paths.config)),
                             chrome_extension_id=CHROME_ID, limits=limits)
    listening = await server.serve("127.0.0.1", 0)
    try:
        async with listening:
            yield listening.sockets[0].getsockname()[1]
    finally:
        server.close()


class ServerUnproven(Exception):
    """The server's answer to auth.hello does not prove the pairing key of the client's token."""


async def authenticate(ws, token: str) -> pairing.Channel:
    """The client's side of the pairing handshake (docs/protocol.md, "Mutual authentication")."""
    key, nonce = pairing.pairing_key(token), pairing.new_nonce()
    await ws.send(json.dumps({"type": "auth.hello", "auth": pairing.AUTH_VERSION, "nonce": nonce.hex()}))
    challenge = json.loads(await asyncio.wait_for(ws.recv(), 10))
    server_nonce = pairing.nonce_from(challenge.get("nonce"))
    if challenge.get("type") != "auth.challenge" or server_nonce is None or not pairing.proof_matches(
            pairing.server_proof(key, nonce, server_nonce), challenge.get("proof")):
        raise ServerUnproven(challenge)
    await ws.send(json.dumps({"type": "auth.proof", "proof": pairing.client_proof(key, nonce, server_nonce).hex()}))
    return pairing.Channel(key, nonce, server_nonce, sends=pairing.TO_SERVER)


class Paired:
    """A connection past the handshake: what is sent is sealed, what is received is opened (pairing.Channel)."""

    def __init__(self, ws, channel: pairing.Channel) -> None:
        self.ws, self.channel = ws, channel

    async def send(self, payload) -> None:
        await self.ws.send(self.channel.seal(payload))

    async def recv(self):
        return self.channel.open(await self.ws.recv())

    async def close(self) -> None:
        await self.ws.close()


class client:
    """A paired client, as the extension is: `async with client(port, token) as ws` or `ws = await client(...)`."""

    def __init__(self, port, token, *, origin=CHROME_ORIGIN, host="127.0.0.1", path="/", **kwargs) -> None:
        self.token = token
        self.connecting = connect(f"ws://{host}:{port}{path}", origin=origin, host="127.0.0.1", port=port,
                                  open_timeout=5, **kwargs)

    async def _open(self) -> Paired:
        ws = await self.connecting
        try:
            return Paired(ws, await authenticate(ws, self.token))
        except BaseException:
            await ws.close()
            raise

    def __await__(self):
        return self._open().__await__()

    async def __aenter__(self) -> Paired:
        self.paired = await self._open()
        return self.paired

    async def __aexit__(self, *exc) -> None:
        await self.paired.close()


async def ask(connection, request: dict) -> dict:
    await connection.send(json.dumps(request))
    while True:
        message = json.loads(await asyncio.wait_for(connection.recv(), 30))
        if message["type"] != "progress":
            return message


async def refused_status(port, **kwargs) -> int:
    """The HTTP status a connection attempt is refused with before any WebSocket."""
    with pytest.raises(InvalidStatus) as refused:
        async with client(port, "any token", **kwargs):
            pass
    return refused.value.response.status_code


def token_and_port(lines) -> tuple[str, int]:
    """The pairing token and the port an ``omamori serve --pair --port 0`` process prints."""
    token = None
    for line in lines:
        token = token or (re.search(r"\b([0-9a-f]{32})\b", line) or [None, None])[1]
        found = re.search(r"ws://127\.0\.0\.1:(\d+)", line)
        if found:
            assert token
            return token, int(found.group(1))
    raise AssertionError("omamori serve printed no address")
