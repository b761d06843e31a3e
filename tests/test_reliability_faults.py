"""Faults injected into the real host process: time limits, kills, a full disk, an unwritable folder,
a damaged key, two hosts at once. Nothing may be lost: the ledger stays consistent, the key is never
silently replaced, an output file is complete or absent, an original is never touched.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from images import b64, encode, illustration, small_art
from processes import CHROME_ORIGIN, MARK_OFF, HostProcess, alive, ledger_state, wait_until


# -- time limits ------------------------------------------------------------------------------------------------
def test_a_request_over_its_time_limit_is_answered_timeout_and_the_host_goes_on(tmp_path, hosts, gate):
    host = hosts(tmp_path, "--time-limit=1", gate=gate)
    assert host.request("h", "hello")["ok"]          # the worker is warm: the limit counts the request alone
    gate.hold("held")                                # the worker keeps it past any limit
    started = time.monotonic()
    reply = host.request("held", "protect", image=small_art(), name="art.png")
    elapsed = time.monotonic() - started
    assert reply["error"]["code"] == "timeout" and reply["error"]["details"] == {"limit_seconds": 1.0}
    assert reply["error"]["message"]["ja"]
    assert gate.entered("held") and elapsed < 6, f"the timeout came after {elapsed:.1f} s"
    assert host.request("after", "settings.get")["ok"], "no new worker after the timeout"
    assert host.close() == 0
    assert "passed its 1 s limit" in (tmp_path / "log" / "host.log").read_text()
    assert ledger_state(tmp_path) == ("ok", 0)


def test_a_worker_that_dies_mid_request_is_answered_internal_error_and_replaced(tmp_path, hosts, gate):
    host = hosts(tmp_path, gate=gate)
    assert host.request("h", "hello")["ok"]
    worker = host.worker()
    gate.hold("p")
    host.send({"v": 1, "id": "p", "type": "protect", "image": small_art(), "name": "art.png"})
    gate.wait_entered("p")                                     # it is working on it
    os.kill(worker, signal.SIGKILL)
    reply, _ = host.reply("p")
    assert reply["error"]["code"] == "internal_error"
    assert host.request("again", "protect", image=small_art(), options=MARK_OFF)["ok"]
    assert host.close() == 0
    assert ledger_state(tmp_path) == ("ok", 1)


class AddressSpaceLimitedHost(HostProcess):
    """The host (and so its worker) started under RLIMIT_AS: allocations past ``limit`` bytes fail."""

    def __init__(self, home: Path, limit: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "omamori.transports.stdio", CHROME_ORIGIN], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, OMAMORI_HOME=str(home)),
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))


def test_memory_running_out_in_the_worker_is_answered_and_the_host_goes_on(tmp_path):
    """A 60-megapixel PNG of 190 kB (legal: under the pixel cap) in a host limited to 1 GB of address space."""
    flat = io.BytesIO()
    Image.new("RGB", (7745, 7745), (10, 20, 30)).save(flat, "PNG")
    host = AddressSpaceLimitedHost(tmp_path, 1000 << 20)
    try:
        assert host.request("h", "hello")["ok"]
        reply = host.request("bomb", "protect", image=b64(flat.getvalue()), name="flat.png")
        assert reply["error"]["code"] == "internal_error", reply
        assert host.request("after", "protect", image=small_art(), options=MARK_OFF)["ok"]
        assert host.close() == 0
    finally:
        if host.proc.poll() is None:
            host.proc.kill()
    assert "MemoryError" in (tmp_path / "log" / "host.log").read_text()


# -- the browser goes away ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["SIGKILL", "pipes closed"])
def test_browser_ending_the_host_mid_request_leaves_no_worker_and_a_consistent_ledger(tmp_path, hosts, gate, how):
    host = hosts(tmp_path, gate=gate)
    assert host.request("p0", "protect", image=small_art(), options=MARK_OFF)["ok"]
    worker = host.worker()
    gate.hold("p")
    host.send({"v": 1, "id": "p", "type": "protect", "image": small_art(2), "name": "art.png"})
    gate.wait_entered("p")
    if how == "SIGKILL":
        host.proc.kill()
    else:            # what Chrome does on disconnect: close both pipes
        host.proc.stdin.close()
        host.proc.stdout.close()
    gate.release("p")
    if how == "pipes closed":
        assert host.proc.wait(timeout=60) == 0
    assert wait_until(lambda: not alive(worker), 60), "the worker outlived its host"
    # Killed, the host leaves its worker to stop at its first progress message, before anything is recorded; with
    # its pipes closed it lives until the worker's reply, and the protection is recorded whole.
    recorded = {"SIGKILL": 1, "pipes closed": 2}[how]
    assert ledger_state(tmp_path) == ("ok", recorded)
    again = hosts(tmp_path)
    assert again.request("h", "history", limit=5)["result"]["total"] == recorded
    assert again.close() == 0


_LEDGER_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from omamori.ledger import Entry, Ledger, now_utc
    ledger = Ledger(Path(sys.argv[1]))
    n = ledger.count()
    while True:
        n += 1
        ledger.record(Entry(time=now_utc(), name=f"{n}.jpg", sha256_original="a" * 64, sha256_output=f"{n:064x}",
                            mark_id=None, fingerprint=n, width=1, height=1, format="jpeg"),
                      settings={"n": n, "padding": "x" * (n % 3000)})
        print(n, flush=True)
""")


def test_ledger_stays_consistent_when_its_writer_is_sigkilled_mid_write(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    acknowledged = 0
    for round_ in range(15):
        writer = subprocess.Popen([sys.executable, "-c", _LEDGER_WRITER, str(path)], stdout=subprocess.PIPE, text=True)
        for _ in range(5 + 37 * round_ % 50):       # kill at a different moment each round
            acknowledged = int(writer.stdout.readline())
        writer.kill()
        writer.wait()
        writer.stdout.close()
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            count, = db.execute("SELECT COUNT(*) FROM protections").fetchone()
            names = {row[0] for row in db.execute("SELECT name FROM protections")}
        # the writer may have committed more than we read before the kill; never fewer
        assert acknowledged <= count, "a committed protection was lost"
        assert names == {f"{n}.jpg" for n in range(1, count + 1)}


# -- the disk and the folders ------------------------------------------------------------------------------------
@contextmanager
def mounted(kind: str, target: Path, size: str = ""):
    """A tiny tmpfs, or a read-only view of a folder (root only; skipped elsewhere)."""
    if kind == "tmpfs":
        commands = [["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)]]
    else:
        commands = [["mount", "--bind", str(target), str(target)],
                    ["mount", "-o", "remount,bind,ro", str(target)]]
    for command in commands:
        if subprocess.run(command, capture_output=True).returncode != 0:
            subprocess.run(["umount", str(target)], capture_output=True)
            pytest.skip(f"cannot {' '.join(command[:3])} here (needs root)")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=True)


def fill(folder: Path) -> Path:
    """Write a file until the disk is full."""
    filler = folder / "filler"
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(bytes(64 * 1024))
                out.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_is_answered_storage_unwritable_and_nothing_is_damaged(tmp_path, hosts):
    home = tmp_path / "home"
    home.mkdir()
    with mounted("tmpfs", home, "2m"):
        host = hosts(home)
        assert host.request("p1", "protect", image=small_art(1), options=MARK_OFF)["ok"]
        assert host.request("s1", "settings.set", changes={"signature.text": "@before"})["ok"]
        filler = fill(home)
        assert host.request("s2", "settings.set", changes={"signature.text": "@after"})["error"]["code"] == \
            "storage_unwritable"
        assert host.request("p2", "protect", image=small_art(2), options=MARK_OFF)["error"]["code"] == \
            "storage_unwritable"
        assert host.request("g", "settings.get")["result"]["settings"]["signature"]["text"] == "@before"
        filler.unlink()
        assert host.request("p3", "protect", image=small_art(3), options=MARK_OFF)["ok"], "no recovery after space was freed"
        assert host.close() == 0
        assert ledger_state(home) == ("ok", 2)
        assert not [p.name for p in (home / "config").iterdir() if p.name.startswith(".")], "temporary files left"


def test_an_unwritable_config_folder_is_reported_and_the_key_is_not_replaced(tmp_path, hosts):
    host = hosts(tmp_path)
    key_before = host.request("h", "hello")["result"]["key"]
    assert key_before["present"]
    host.close()
    with mounted("read-only", tmp_path / "config"):
        host = hosts(tmp_path)
        assert host.request("s", "settings.set", changes={"signature.text": "x"})["error"]["code"] == \
            "storage_unwritable"
        assert host.request("h", "hello")["result"]["key"] == key_before
        assert host.request("p", "protect", image=small_art(), options=MARK_OFF)["ok"]
        assert host.close() == 0


def test_a_fresh_install_with_an_unwritable_config_folder_says_so(tmp_path, hosts):
    (tmp_path / "config").mkdir()
    with mounted("read-only", tmp_path / "config"):
        host = hosts(tmp_path)
        key = host.request("h", "hello")["result"]["key"]
        assert key["present"] is False and key["problem"]["code"] == "storage_unwritable"
        assert host.request("p", "protect", image=small_art())["error"]["code"] == "storage_unwritable"
        assert host.close() == 0


def test_a_font_path_that_would_block_is_refused_and_never_hangs(tmp_path, hosts):
    """Found here: a FIFO as the signature font blocked the worker until its time limit, on every request.
    Such a path is refused when saved; one written into settings.json by hand leaves the image marked, unsigned."""
    fifo = tmp_path / "font.ttf"
    os.mkfifo(fifo)
    home = tmp_path / "home"
    host = hosts(home, "--time-limit=20")
    for path in (str(fifo), "/dev/zero", str(tmp_path)):
        started = time.monotonic()
        refused = host.request("s", "settings.set", changes={"signature.font_path": path})
        assert refused["error"]["code"] == "bad_setting", path
        assert refused["error"]["details"]["field"] == "signature.font_path", path
        (home / "config").mkdir(exist_ok=True)
        (home / "config" / "settings.json").write_text(json.dumps({"signature": {"font_path": path}}))
        font = host.request("h", "hello")["result"]["font"]
        assert font["found"] is False and font["problem"]["code"] == "font_missing", path
        reply = host.request("p", "protect", image=small_art())
        signature = next(step for step in reply["result"]["report"] if step["step"] == "signature")
        assert reply["result"]["mark"]["verified"] and not signature["applied"] and signature["details"]["warning"]
        assert time.monotonic() - started < 10, path
    assert host.close() == 0


# -- the key -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("damage, code", [
    (lambda key: key.write_text("omamori-key-v1 " + "0" * 64 + " 00000000\n"), "key_unreadable"),   # bad checksum
    (lambda key: key.write_bytes(b"\xff\xfe garbage"), "key_unreadable"),
    (lambda key: key.write_bytes(b""), "key_unreadable"),
    (lambda key: key.unlink(), "key_missing"),
])
def test_a_damaged_or_missing_key_is_never_silently_replaced(tmp_path, hosts, damage, code):
    host = hosts(tmp_path)
    assert host.request("p", "protect", image=small_art(), options=MARK_OFF)["ok"]     # the key is used
    host.close()
    key_file = tmp_path / "config" / "key"
    damage(key_file)
    before = sorted(os.listdir(tmp_path / "config")), key_file.read_bytes() if key_file.exists() else None
    host = hosts(tmp_path)
    hello = host.request("h", "hello")["result"]
    assert hello["key"]["present"] is False and hello["key"]["problem"]["code"] == code
    assert host.request("p2", "protect", image=small_art(2))["error"]["code"] == code
    assert host.request("v", "verify", image=small_art(2))["error"]["code"] == code
    assert host.close() == 0
    after = sorted(os.listdir(tmp_path / "config")), key_file.read_bytes() if key_file.exists() else None
    assert after == before, "the key file was touched"


# -- two at once -------------------------------------------------------------------------------------------------
def test_two_hosts_on_one_ledger_at_once_lose_nothing(tmp_path, hosts):
    per_host = 4

    def drive(host: HostProcess, seed: int) -> list[dict | None]:       # the errors, None for each success
        return [host.request(f"p{n}", "protect", image=small_art(seed + n), options=MARK_OFF).get("error")
                for n in range(per_host)]

    first, second = hosts(tmp_path), hosts(tmp_path)
    with ThreadPoolExecutor(2) as pool:       # both hosts write the ledger at the same time
        outcomes = list(pool.map(drive, (first, second), (0, 100)))
    assert outcomes == [[None] * per_host] * 2
    assert first.close() == 0 and second.close() == 0
    assert ledger_state(tmp_path) == ("ok", 2 * per_host)


# -- output files ------------------------------------------------------------------------------------------------
def test_cli_output_is_complete_or_absent_and_the_original_is_untouched(tmp_path):
    source = tmp_path / "art.png"
    source.write_bytes(encode(illustration(1500, 1500, noisy=True)))
    original = hashlib.sha256(source.read_bytes()).hexdigest()
    output = tmp_path / "out" / "art.jpg"
    output.parent.mkdir()
    output.write_bytes(b"the previous output")
    env = dict(os.environ, OMAMORI_HOME=str(tmp_path / "home"))
    command = [sys.executable, "-m", "omamori.cli", "protect", str(source), "-o", str(output), "--no-mark"]

    def small_files_only():       # a file may not grow past 200 kB: the output cannot be written
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    failed = subprocess.run(command, env=env, capture_output=True, text=True, preexec_fn=small_files_only,
                            timeout=120)
    assert failed.returncode != 0
    assert output.read_bytes() == b"the previous output", "a partial output replaced the old one"
    assert os.listdir(output.parent) == ["art.jpg"], "a temporary file was left behind"
    assert subprocess.run(command, env=env, capture_output=True, timeout=120).returncode == 0
    assert output.read_bytes()[:3] == b"\xff\xd8\xff" and output.stat().st_size > 200_000
    assert hashlib.sha256(source.read_bytes()).hexdigest() == original
