"""A native-messaging host that stands between the browser and the real omamori host and misbehaves on cue, for the
fault tests: it starts the real `omamori-host`, passes every frame along, and for `protect` requests does what its
mode says. Every request it sees and every step it takes is appended to `<folder>/events.jsonl`, so a test knows
when a protect request is at the host.

Modes (argv[1]); argv[2] is the folder:
- pass: nothing changes (the tests that fault the browser side: a restarted worker, a closed tab).
- hold: the real host's messages about a protect request wait until `<folder>/release` exists (a slow host whose
  reply arrives late: after Cancel, after the tab closed, after the worker restarted).
- exit: once a protect request arrives the host exits without replying (its reply is lost).
- close-stdout: once a protect request arrives the host closes its output but keeps reading (reply lost, process alive).
- wrong-id: the real host's messages about a protect request are sent with an id nobody asked for.
- older: requests newer than the first hosts (`signature.fonts`) reach the real host under a name it does not know,
  so it answers them as an older host does (unknown type).

Native messaging framing: a 4-byte length in native byte order, then that many bytes of UTF-8 JSON.
"""
from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

MODES = ("pass", "hold", "exit", "close-stdout", "wrong-id", "older")
NEWER_TYPES = ("signature.fonts",)


def read_frame(stream) -> bytes | None:
    header = stream.read(4)
    if len(header) < 4:
        return None
    (length,) = struct.unpack("=I", header)
    body = stream.read(length)
    return body if len(body) == length else None


def write_frame(stream, body: bytes) -> None:
    stream.write(struct.pack("=I", len(body)) + body)
    stream.flush()


def real_host_command() -> list[str]:
    beside = Path(sys.executable).parent / "omamori-host"
    return [str(beside)] if beside.exists() else [shutil.which("omamori-host") or "omamori-host"]


def main() -> int:
    mode, folder = sys.argv[1], Path(sys.argv[2])
    if mode not in MODES:
        raise SystemExit(f"relay_host: unknown mode {mode!r}")
    events = (folder / "events.jsonl").open("a", encoding="utf-8")
    lock = threading.Lock()

    def log(**event) -> None:
        with lock:
            events.write(json.dumps({"pid": os.getpid(), "time": time.time(), **event}) + "\n")
            events.flush()

    browser_in, browser_out = sys.stdin.buffer, sys.stdout.buffer
    host = subprocess.Popen(real_host_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    protect_ids: set = set()
    log(event="started", mode=mode)

    def host_to_browser() -> None:
        while (body := read_frame(host.stdout)) is not None:
            message = json.loads(body)
            ours = message.get("id") in protect_ids
            if ours and mode == "hold":
                while not (folder / "release").exists():
                    time.sleep(0.05)
            if ours and mode == "wrong-id":
                message["id"] = f"not-{message['id']}"
                body = json.dumps(message).encode()
            if ours and message.get("type") not in ("progress", "chunk"):
                log(event="reply", id=message.get("id"), ok=message.get("ok"))
            try:
                write_frame(browser_out, body)
            except (OSError, ValueError):
                return  # the browser closed the port (or close-stdout closed it on purpose)

    threading.Thread(target=host_to_browser, daemon=True).start()
    while (body := read_frame(browser_in)) is not None:
        message = json.loads(body)
        log(event="request", id=message.get("id"), type=message.get("type"), request=message.get("request"))
        if message.get("type") == "protect":
            protect_ids.add(message.get("id"))
            if mode == "exit":
                log(event="exit")
                host.kill()
                os._exit(0)
            if mode == "close-stdout":
                log(event="close-stdout")
                os.close(1)
                continue  # keep reading: the process stays, only its answers are gone
        if mode == "older" and message.get("type") in NEWER_TYPES:
            body = json.dumps({**message, "type": f"{message['type']}.unknown-to-an-older-host"}).encode()
        host.stdin.write(struct.pack("=I", len(body)) + body)
        host.stdin.flush()
    log(event="browser-closed")  # the browser closed our input: the port went away
    host.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
