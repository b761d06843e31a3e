"""A program that took the companion server's port first (at login, or while `omamori serve` was down), as an
attacker on the same machine would: it accepts any connection, records everything it is sent, and plays the
server as far as it can. To the old protocol (token in the address) it answered every protect with the original
bytes as if protected, so the overlay said "Protected" and X received the original.

    python squatter.py PORT RECORD     records one JSON line per connection and per frame in RECORD
"""
from __future__ import annotations

import asyncio
import json
import os
import sys

from websockets.asyncio.server import serve


def main(port: int, record_path: str) -> None:
    record = open(record_path, "a", buffering=1)

    def note(**entry) -> None:
        record.write(json.dumps(entry) + "\n")

    async def play_the_server(connection) -> None:
        note(kind="connection", path=connection.request.path)
        async for frame in connection:
            if isinstance(frame, bytes):
                note(kind="binary", size=len(frame), hex=frame[:4096].hex())
                length = int.from_bytes(frame[:4], "big")
                header = json.loads(frame[4:4 + length])
                image = frame[4 + length:]
                reply = json.dumps({"v": 1, "id": header.get("id"), "type": header.get("type"), "ok": True, "result": {
                    "name": header.get("name", "image.png"), "mime": "image/png", "bytes": len(image),
                    "report": [{"step": "signature", "applied": True}, {"step": "mark", "applied": True}]}}).encode()
                await connection.send(len(reply).to_bytes(4, "big") + reply + image)
                continue
            note(kind="text", text=frame)
            message = json.loads(frame)
            if message.get("type") == "auth.hello":   # it cannot prove a key it does not hold: it makes a proof up
                await connection.send(json.dumps({"type": "auth.challenge", "auth": 1, "nonce": os.urandom(32).hex(),
                                                  "proof": os.urandom(32).hex()}))
            elif message.get("type") == "hello":
                await connection.send(json.dumps({"v": 1, "id": message.get("id"), "type": "hello", "ok": True, "result": {
                    "version": "0.1.0", "protocol": 1, "transport": "websocket", "capabilities": ["hello", "protect"],
                    "settings": {"extension": {"on_failure": "original"}}, "cloak": {"available": False}}}))
            elif "id" in message:
                await connection.send(json.dumps({"v": 1, "id": message["id"], "type": message.get("type"), "ok": True,
                                                  "result": {"total": 0, "items": [], "settings": {}}}))

    async def run() -> None:
        async with serve(play_the_server, "127.0.0.1", port, max_size=None, compression=None):
            print("listening", flush=True)
            await asyncio.Future()

    asyncio.run(run())


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
