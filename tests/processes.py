"""omamori's programs as real processes: the host as a browser starts it (on pipes, frame by frame), its worker,
its ledger, and the ``omamori`` command. Helpers only; the fixtures are in conftest.py."""
from __future__ import annotations

import json
import os
import sqlite3
import struct
import subprocess
import sys
import time
from pathlib import Path

from omamori.protocol.codec import MAX_REPLY_FRAME

NATIVE = "=I"
CHROME_ORIGIN = "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"
GATED_HOST = Path(__file__).with_name("gated_host.py")
MARK_OFF = {"mark.enabled": False}   # protect options: the quickest protection (no mark to embed and read back)


class HostProcess:
    """The host started the way a browser starts it, read frame by frame. With ``gate`` (a folder), the host's
    worker holds the requests that the test holds there (gated_host.py)."""

    def __init__(self, home, *args: str, gate: Path | None = None) -> None:
        self.home = Path(home)
        env = dict(os.environ, OMAMORI_HOME=str(home))
        command = [GATED_HOST, str(gate)] if gate is not None else ["-m", "omamori.transports.stdio"]
        self.proc = subprocess.Popen(
            [sys.executable, *map(str, command), *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )

    def send_raw(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: dict) -> None:
        payload = json.dumps(message).encode()
        self.send_raw(struct.pack(NATIVE, len(payload)) + payload)

    def read_message(self) -> dict:
        header = self.proc.stdout.read(4)
        assert len(header) == 4, f"host closed stdout; stderr: {self.proc.stderr.read().decode()[-2000:]}"
        (length,) = struct.unpack(NATIVE, header)
        assert length + 4 <= MAX_REPLY_FRAME
        body = self.proc.stdout.read(length)
        assert len(body) == length
        return json.loads(body)

    def reply(self, request_id) -> tuple[dict, list[dict]]:
        """The reply to ``request_id`` (chunks joined) and the progress messages before it."""
        progress, chunks = [], []
        while True:
            message = self.read_message()
            assert message["id"] == request_id
            if message["type"] == "progress":
                progress.append(message)
            elif message["type"] == "chunk":
                chunks.append(message)
                if len(chunks) == message["count"]:
                    assert [c["index"] for c in chunks] == list(range(len(chunks)))
                    return json.loads("".join(c["data"] for c in chunks)), progress
            else:
                return message, progress

    def request(self, request_id, request_type: str, **body) -> dict:
        self.send({"v": 1, "id": request_id, "type": request_type, **body})
        return self.reply(request_id)[0]

    def worker(self) -> int:
        """The process id of the one worker this host runs."""
        (pid,) = workers(self.proc.pid)
        return pid

    def close(self) -> int:
        self.proc.stdin.close()
        rest = self.proc.stdout.read()
        code = self.proc.wait(timeout=20)
        assert rest == b"", "bytes after the last frame on stdout"
        return code


def workers(pid: int) -> list[int]:
    """The worker processes of host ``pid`` (not multiprocessing's resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat, command = (entry / "stat").read_text(), (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in command:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition, timeout: float) -> bool:
    """Whether ``condition()`` came true within ``timeout`` seconds (looked at every 50 ms)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def ledger_state(home: Path) -> tuple[str, int]:
    """(integrity_check result, number of protections) of the ledger, read by a fresh connection."""
    with sqlite3.connect(home / "data" / "ledger.sqlite3") as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0], db.execute(
            "SELECT COUNT(*) FROM protections").fetchone()[0]


def run_cli(home: Path, *args: str, lang: str = "en_US.UTF-8", cwd: Path | None = None, env: dict | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """``omamori ARGS`` as a person runs it, with its files under ``home`` and the messages in ``lang``."""
    environment = dict(os.environ, OMAMORI_HOME=str(home), LANG=lang, LC_ALL="", **(env or {}))
    return subprocess.run([sys.executable, "-m", "omamori.cli", *args], capture_output=True, text=True,
                          env=environment, cwd=cwd, timeout=timeout)
