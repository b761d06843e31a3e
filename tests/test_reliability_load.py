"""Load through the real host process: 1,000 protect requests in a row, and a 40 MB PNG.

bench/host_load.py prints the same figures (and the framing throughput); these
tests hold the bounds: memory and open files flat over 1,000 requests, a 40 MB
file protected within the time limit and a bounded peak memory.
"""
from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from images import encode, illustration
from processes import CHROME_ORIGIN, MARK_OFF, HostProcess, workers

pytestmark = pytest.mark.slow


def resources(pid: int) -> tuple[int, int, int]:
    """(RSS MiB, peak RSS MiB, open file descriptors) of a process."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return (int(fields["VmRSS"].split()[0]) >> 10, int(fields["VmHWM"].split()[0]) >> 10,
            len(os.listdir(f"/proc/{pid}/fd")))


def test_a_thousand_protect_requests_keep_memory_and_file_handles_flat(tmp_path):
    images = [base64.b64encode(encode(illustration(400, 300, seed=s, noisy=True))).decode() for s in range(8)]
    host = HostProcess(tmp_path, CHROME_ORIGIN)
    try:
        assert host.request("h", "hello")["ok"]
        (worker,) = workers(host.proc.pid)
        samples = {}
        for n in range(1, 1001):
            assert host.request(n, "protect", image=images[n % 8], name=f"{n}.png", options=MARK_OFF)["ok"]
            if n in (100, 1000):
                samples[n] = resources(host.proc.pid), resources(worker)
        assert host.request("x", "history", limit=1)["result"]["total"] == 1000
        assert host.close() == 0
    finally:
        if host.proc.poll() is None:
            host.proc.kill()
    (host_100, worker_100), (host_1000, worker_1000) = samples[100], samples[1000]
    assert host_1000[0] - host_100[0] <= 4, (host_100, host_1000)
    assert worker_1000[0] - worker_100[0] <= 16, (worker_100, worker_1000)
    assert host_1000[2] == host_100[2] and worker_1000[2] == worker_100[2], "file descriptors leak"


def test_a_40_mb_png_is_protected_within_its_time_limit_and_bounded_memory(tmp_path):
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:3500, 0:4400]
    pixels = np.stack([x * 200 / 4400, y * 200 / 3500, np.full(x.shape, 120.0)], axis=-1)
    pixels = np.clip(pixels + rng.normal(0, 20, pixels.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG", compress_level=1)
    data = out.getvalue()
    del pixels, x, y
    assert len(data) >= 40_000_000
    host = HostProcess(tmp_path, CHROME_ORIGIN)
    try:
        assert host.request("h", "hello")["ok"]
        (worker,) = workers(host.proc.pid)
        reply = host.request("big", "protect", image=base64.b64encode(data).decode(), name="big.png")
        assert reply["ok"], reply["error"]
        assert max(reply["result"]["width"], reply["result"]["height"]) == 4096
        assert reply["result"]["bytes"] <= 5 * 1024 * 1024
        peak = resources(worker)[1]
        assert peak < 1500, f"worker peak RSS {peak} MiB"
        assert host.close() == 0
    finally:
        if host.proc.poll() is None:
            host.proc.kill()
