"""Load on the native host: framing throughput, many requests through the real process, a 40 MB PNG.

    nice python bench/host_load.py                 # everything (a few minutes on a busy 2-core machine)
    nice python bench/host_load.py --requests 200 --skip-big

Prints one line per figure:

* framing: the codec decoding requests and framing (chunking) replies, MB/s;
* overhead of the time limit: the same requests through ``WorkerHost`` (pipe to
  the worker process) and straight to ``Host.handle``, ms per request;
* N protect requests in a row through ``python -m omamori.transports.stdio``
  on real pipes (400 x 300 images; ``--mark`` for the default settings, else
  the mark is off so that 1,000 fit in minutes): RSS of the host and of its
  worker and their open file descriptors, sampled every 100 requests;
* one 40 MB PNG through the host: time and the worker's peak RSS.
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from omamori.paths import default_paths
from omamori.protocol.codec import NativeCodec
from omamori.protocol.envelope import Request
from omamori.protocol.handlers import Host
from omamori.transports.worker import WorkerHost

NATIVE = "=I"


def noisy_png(width: int, height: int, *, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 200 / width, y * 200 / height, np.full(x.shape, 120.0)], axis=-1)
    pixels = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG", compress_level=1)
    return out.getvalue()


def framing_throughput(megabytes: int = 256) -> tuple[float, float]:
    """(decode MB/s, encode MB/s) of the codec on 1 MiB requests and 8 MiB chunked replies."""
    payload = json.dumps({"v": 1, "id": "r", "type": "protect", "image": "A" * (1024 * 1024 - 60)}).encode()
    frame = struct.pack(NATIVE, len(payload)) + payload
    codec = NativeCodec()
    started = time.perf_counter()
    for _ in range(megabytes):
        for piece in range(0, len(frame), 65536):       # the pipe's read size
            codec.receive_data(frame[piece:piece + 65536])
        assert len(list(codec.events())) == 1
    decode = megabytes / (time.perf_counter() - started)
    reply = {"v": 1, "id": "r", "type": "protect", "ok": True, "result": {"image": os.urandom(6 * 1024 * 1024)}}
    started = time.perf_counter()
    sent = 0
    for _ in range(megabytes // 8):
        codec.send(reply)
        sent += len(codec.data_to_send())
    encode = sent / 1e6 / (time.perf_counter() - started)
    return decode, encode


def time_limit_overhead(home: Path, rounds: int = 200) -> dict[str, float]:
    """ms per request, in process and through the worker, for settings.get and a small protect."""
    paths = default_paths()
    image = base64.b64encode(noisy_png(400, 300, seed=1)).decode()
    requests = {"settings.get": Request("s", "settings.get", {}),
                "protect": Request("p", "protect", {"image": image, "options": {"mark.enabled": False}})}
    figures = {}
    direct, worker = Host(paths), WorkerHost(paths)
    try:
        for name, request in requests.items():
            count = rounds if name == "settings.get" else rounds // 4
            spent = {"in-process": 0.0, "worker": 0.0}
            for host in (direct, worker):
                host.handle(request)          # warm: imports, font search, ledger
            for _ in range(count):            # interleaved, so both see the same load from other processes
                for label, host in (("in-process", direct), ("worker", worker)):
                    started = time.perf_counter()
                    assert host.handle(request)["ok"]
                    spent[label] += time.perf_counter() - started
            for label, seconds in spent.items():
                figures[f"{name} {label}"] = seconds * 1000 / count
    finally:
        direct.close()
        worker.close()
    return figures


class RealHost:
    """``omamori-host`` as the browser runs it, with a frame reader."""

    def __init__(self, home: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "omamori.transports.stdio", "chrome-extension://x/"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=dict(os.environ, OMAMORI_HOME=str(home)))

    def request(self, request_id: str, request_type: str, **body) -> dict:
        payload = json.dumps({"v": 1, "id": request_id, "type": request_type, **body}).encode()
        self.proc.stdin.write(struct.pack(NATIVE, len(payload)) + payload)
        self.proc.stdin.flush()
        chunks = []
        while True:
            (length,) = struct.unpack(NATIVE, self.proc.stdout.read(4))
            message = json.loads(self.proc.stdout.read(length))
            if message["type"] == "chunk":
                chunks.append(message["data"])
                if len(chunks) == message["count"]:
                    return json.loads("".join(chunks))
            elif message["type"] != "progress":
                return message

    def worker_pid(self) -> int:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                    if parent == self.proc.pid and b"spawn_main" in (entry / "cmdline").read_bytes():
                        return int(entry.name)
                except OSError:
                    pass
        raise RuntimeError("no worker")

    def close(self) -> int:
        self.proc.stdin.close()
        return self.proc.wait(timeout=60)


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in MiB, and the number of open file descriptors."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {"rss": int(fields["VmRSS"].split()[0]) // 1024, "peak": int(fields["VmHWM"].split()[0]) // 1024,
            "fds": len(os.listdir(f"/proc/{pid}/fd"))}


def many_requests(home: Path, count: int, *, mark: bool) -> list[str]:
    images = [base64.b64encode(noisy_png(400, 300, seed=s)).decode() for s in range(10)]
    options = {} if mark else {"mark.enabled": False}
    host = RealHost(home)
    lines = []
    try:
        assert host.request("h", "hello")["ok"]
        worker = host.worker_pid()
        started = time.perf_counter()
        for n in range(1, count + 1):
            reply = host.request(f"p{n}", "protect", image=images[n % len(images)], name=f"{n}.png", options=options)
            assert reply["ok"], reply
            if n % 100 == 0 or n == count or n == 10:
                lines.append(f"  after {n:5d}: host {status(host.proc.pid)}  worker {status(worker)}  "
                             f"{(time.perf_counter() - started) / n * 1000:.0f} ms/request")
        assert host.request("x", "history", limit=1)["result"]["total"] == count
    finally:
        assert host.close() == 0
    return lines


def big_png(home: Path) -> str:
    data = noisy_png(4400, 3500, seed=7)
    host = RealHost(home)
    try:
        assert host.request("h", "hello")["ok"]
        worker = host.worker_pid()
        started = time.perf_counter()
        reply = host.request("big", "protect", image=base64.b64encode(data).decode(), name="big.png")
        elapsed = time.perf_counter() - started
        peak = status(worker)["peak"]
    finally:
        host.close()
    outcome = "ok" if reply["ok"] else reply["error"]["code"]
    size = f"{reply['result']['width']}x{reply['result']['height']}" if reply["ok"] else "-"
    return (f"40 MB PNG: {len(data) / 1e6:.1f} MB, 4400x3500 -> {outcome} {size} in {elapsed:.1f} s, "
            f"worker peak RSS {peak} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="0: skip this part")
    parser.add_argument("--mark", action="store_true", help="default settings (mark on): much slower")
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["OMAMORI_HOME"] = home
        decode, encode = framing_throughput()
        print(f"framing: decode {decode:.0f} MB/s (1 MiB requests in 64 KiB reads), "
              f"encode {encode:.0f} MB/s (8 MiB replies as chunks)")
        for name, ms in time_limit_overhead(Path(home)).items():
            print(f"time-limit overhead: {name}: {ms:.2f} ms/request")
    if args.requests:
        with tempfile.TemporaryDirectory() as home:
            print(f"{args.requests} protect requests through the host ({'mark on' if args.mark else 'mark off'}):")
            for line in many_requests(Path(home), args.requests, mark=args.mark):
                print(line)
    if not args.skip_big:
        with tempfile.TemporaryDirectory() as home:
            print(big_png(Path(home)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
