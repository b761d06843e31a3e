"""Issue 15, the host's side: a crafted request, a racing second host, other local users, a planted folder.
Each test goes through the real component (the host process, the CLI, real files) and failed before its fix."""
from __future__ import annotations

import asyncio
import collections
import io
import pickle
import re
import resource
import zipfile
import base64
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omamori import keys
from companion import client, token_and_port
from images import encode, illustration, small_art
from install_world import MemoryRegistry, linux, run, windows
from processes import MARK_OFF, run_cli


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- the envelope ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    {"name": "art\ud800.png"},                                    # a lone high surrogate in a field
    {"options": {"signature.text": "\udc00"}},                    # a lone low one, nested
    {"options": {"\ud83d": False}},                               # in a key
])
def test_a_lone_surrogate_is_refused_in_the_envelope_before_any_work(serving_host, body):
    recorded = serving_host.request("n", "history", limit=1)["result"]["total"]
    reply = serving_host.request("s", "protect", image=small_art(), **body)       # json.dumps writes it as \\udXXX
    assert reply["error"]["code"] == "bad_request", reply
    assert "surrogate" in reply["error"]["details"]["reason"]
    assert serving_host.request("pair", "protect", image=small_art(), name="\U0001F338.png", options=MARK_OFF)["ok"], \
        "a real pair (an emoji) must still pass"
    assert serving_host.request("n", "history", limit=1)["result"]["total"] == recorded + 1, "not the pair alone"
    assert serving_host.worker() == serving_host.first_worker


# -- the key and the ledger -------------------------------------------------------------------------------------------
def test_hosts_starting_together_on_a_fresh_install_end_with_one_key(tmp_path, hosts):
    for trial in range(4):
        home = tmp_path / str(trial)
        both = [hosts(home), hosts(home)]
        for host in both:                       # both ask before either answers
            host.send({"v": 1, "id": "h", "type": "hello"})
        ids = {host.reply("h")[0]["result"]["key"]["creator_id"] for host in both}
        assert len(ids) == 1, f"trial {trial}: two keys were made and one was lost"
        for host in both:
            assert host.close() == 0


def test_racing_key_creation_in_one_folder_gives_everyone_the_key_on_disk(tmp_path):
    for trial in range(20):
        path = tmp_path / str(trial) / "key"
        start = threading.Barrier(8)

        def create() -> bytes:
            start.wait()
            return keys.load_or_create(path, used_before=False)

        with ThreadPoolExecutor(8) as pool:
            got = set(pool.map(lambda _: create(), range(8)))
        assert got == {keys.read_key(path)}, f"trial {trial}: {len(got)} different keys handed out"
        assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_the_ledger_key_and_their_folders_are_owner_only_even_when_made_before(tmp_path, hosts):
    data, config = tmp_path / "data", tmp_path / "config"
    data.mkdir(mode=0o755)
    (data / "ledger.sqlite3").touch(mode=0o644)          # what an earlier version left
    host = hosts(tmp_path)
    assert host.request("p", "protect", image=small_art(), options=MARK_OFF)["ok"]
    assert mode(data) == 0o700 and mode(config) == 0o700
    for file in data.glob("ledger.sqlite3*"):           # with -wal and -shm while the host runs
        assert mode(file) == 0o600, file
    assert mode(config / "key") == 0o600
    assert host.close() == 0


# -- a planted folder -------------------------------------------------------------------------------------------------
def test_omamori_serve_started_in_a_folder_with_a_planted_module_does_not_run_it(tmp_path):
    planted = tmp_path / "downloads"
    planted.mkdir()
    ran = tmp_path / "planted-code-ran"
    for name in ("multiprocessing", "numpy", "PIL", "omamori"):
        (planted / f"{name}.py").write_text(f"open({str(ran)!r}, 'a').write({name!r} + '\\n')\n")
    extension = tmp_path / "extension"
    extension.mkdir()
    (extension / "ids.json").write_text(json.dumps({"chrome_extension_id": "a" * 32, "gecko_id": "omamori@omamori.jp",
                                                    "native_host_name": "jp.omamori.host"}))
    omamori = Path(sys.executable).with_name("omamori")        # the console script a person runs
    server = subprocess.Popen([str(omamori), "serve", "--pair", "--port", "0", "--extension", str(extension)],
                              cwd=planted, env={**os.environ, "OMAMORI_HOME": str(tmp_path / "home")},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        token, port = token_and_port(server.stdout)

        async def hello() -> dict:
            async with client(port, token, origin=f"chrome-extension://{'a' * 32}") as ws:
                await ws.send(json.dumps({"v": 1, "id": "h", "type": "hello"}))
                return json.loads(await ws.recv())
        assert asyncio.run(hello())["ok"]            # the worker ran the request
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    assert not ran.exists(), f"planted code ran: {ran.read_text()}"


def test_the_worker_gets_its_environment_and_the_transport_keeps_its_own(tmp_path, monkeypatch):
    from omamori.paths import Paths
    from omamori.protocol.envelope import Request
    from omamori.transports.worker import WorkerHost

    monkeypatch.delenv("PYTHONSAFEPATH", raising=False)
    worker = WorkerHost(Paths(config=tmp_path / "config", data=tmp_path / "data", log=tmp_path / "log"),
                        transport="cli")
    try:
        assert worker.handle(Request(id=1, type="settings.get", body={}))["ok"]
        with open(f"/proc/{worker.pid}/environ", "rb") as environ:
            assert b"PYTHONSAFEPATH=1" in environ.read().split(b"\0")
        assert "PYTHONSAFEPATH" not in os.environ
    finally:
        worker.close()


# -- the CLI --------------------------------------------------------------------------------------------------------
def slow_art() -> bytes:
    """A JPEG that takes the CLI seconds even on an idle machine (noisy, 5000 x 5000: decode, shrink to 4096, sign
    tiled, encode, read back; about 2.8 s idle, 2 cores)."""
    return encode(illustration(5000, 5000, noisy=True), "JPEG", quality=92)


def test_cli_outputs_of_art_jpg_and_art_png_in_one_run_do_not_overwrite_each_other(tmp_path):
    art = illustration(400, 300, seed=1, noisy=True)
    (tmp_path / "art.jpg").write_bytes(encode(art, "JPEG"))
    (tmp_path / "art.png").write_bytes(encode(illustration(400, 300, seed=2, noisy=True), "PNG"))
    run = run_cli(tmp_path / "home", "protect", "--no-mark", "--json", "art.jpg", "art.png", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    outputs = [json.loads(line)["output"] for line in run.stdout.splitlines()]
    assert outputs == ["art.omamori.jpg", "art.omamori-2.jpg"]
    first, second = ((tmp_path / name).read_bytes() for name in outputs)
    assert first != second


def test_the_cli_has_the_hosts_time_limits(tmp_path):
    (tmp_path / "big.jpg").write_bytes(slow_art())
    (tmp_path / "small.png").write_bytes(encode(illustration(400, 300, seed=1, noisy=True), "PNG"))
    run = run_cli(tmp_path / "home", "protect", "--time-limit", "1", "--json", "--placement", "tiled", "--no-mark",
                      "big.jpg", "small.png", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    big, small = (json.loads(line) for line in run.stdout.splitlines())
    assert big["error"]["code"] == "timeout" and big["error"]["details"] == {"limit_seconds": 1.0}
    assert small["output"] == "small.omamori.jpg"
    assert not (tmp_path / "big.omamori.jpg").exists()


# -- omamori site in a folder someone else made ---------------------------------------------------------------------
def site_cli(folder: Path, home: Path) -> subprocess.CompletedProcess:
    return run_cli(home, "site", str(folder), "--json")


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


def test_site_never_follows_a_link_to_a_private_file_or_out_of_the_folder(tmp_path):
    secret = tmp_path / "id_ed25519"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n")
    secret.chmod(0o600)
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "downloaded-site"
    folder.mkdir()
    (folder / "robots.txt").symlink_to(secret)
    (folder / ".well-known").symlink_to(outside)
    run = site_cli(folder, tmp_path / "home")
    assert run.returncode == 1, run.stderr
    actions = {Path(entry["path"]).name: entry for entry in json.loads(run.stdout)["files"]}
    assert actions["robots.txt"]["action"] == "refused" and "link" in actions["robots.txt"]["notes"][0]
    assert actions["tdmrep.json"]["action"] == "refused"
    assert actions["ai.txt"]["action"] == "written"
    assert (folder / "robots.txt").is_symlink() and secret.read_text().endswith("secret\n") and mode(secret) == 0o600
    assert list(outside.iterdir()) == [], "written outside the folder through a link"
    assert not any(b"PRIVATE KEY" in data for data in files_under(folder).values())


def test_site_does_not_hang_on_a_pipe_and_keeps_a_files_mode(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    os.mkfifo(folder / "ai.txt")
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /drafts/\n")
    (folder / "robots.txt").chmod(0o640)
    run = site_cli(folder, tmp_path / "home")           # omamori_cli's timeout: a hang fails the test
    assert run.returncode == 1, run.stderr
    actions = {Path(entry["path"]).name: entry["action"] for entry in json.loads(run.stdout)["files"]}
    assert actions == {"robots.txt": "updated", "ai.txt": "refused", "tdmrep.json": "written"}
    assert stat.S_ISFIFO((folder / "ai.txt").lstat().st_mode)
    assert mode(folder / "robots.txt") == 0o640 and "Disallow: /drafts/" in (folder / "robots.txt").read_text()


def test_a_lost_end_line_never_takes_the_sites_own_rules_with_it(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    own = "User-agent: Googlebot\nDisallow: /private/\n\nUser-agent: *\nContent-Signal: search=yes\nAllow: /\n"
    (folder / "robots.txt").write_text(own)
    assert site_cli(folder, tmp_path / "home").returncode == 0
    first = (folder / "robots.txt").read_text()
    # someone edits the file: the end line goes, and a rule is added right under the block
    damaged = first.replace("# END omamori\n", "User-agent: Bingbot\nDisallow: /private/\n", 1)
    assert damaged != first
    (folder / "robots.txt").write_text(damaged)
    assert site_cli(folder, tmp_path / "home").returncode == 0
    again = (folder / "robots.txt").read_text()
    assert "User-agent: Bingbot\nDisallow: /private/\n" in again, "the site's own rule was deleted"
    assert "User-agent: Googlebot\nDisallow: /private/\n" in again
    assert again.count("# BEGIN omamori:") == 1 and again.count("# END omamori\n") == 1


# -- a tampered install receipt ---------------------------------------------------------------------------------------
def test_uninstall_with_a_tampered_receipt_removes_only_what_omamori_writes(world, capsys):
    from omamori.install.registration import receipt_path
    from omamori.paths import default_paths

    home = world / "home"
    (home / ".mozilla/firefox").mkdir(parents=True)
    assert run(world, linux(world)) == 0
    victims = [home / "Documents/thesis.txt", home / ".bashrc", home / "NativeMessagingHosts-not/jp.omamori.host.json",
               home / ".mozilla/firefox/../../.profile"]
    receipt_file = receipt_path(default_paths())
    receipt = json.loads(receipt_file.read_text())
    for victim in victims:
        victim.parent.mkdir(parents=True, exist_ok=True)
        victim.write_text("the person's own file\n")
        receipt["entries"].append({"kind": "file", "path": str(victim), "groups": ["firefox"],
                                   "sha256": hashlib.sha256(victim.read_bytes()).hexdigest()})
    empty = home / "Projects-empty"
    empty.mkdir()
    receipt["entries"].append({"kind": "dir", "path": str(empty), "groups": []})
    receipt_file.write_text(json.dumps(receipt))
    assert run(world, linux(world), "--uninstall") == 0
    out = capsys.readouterr().out
    assert all(victim.read_text() == "the person's own file\n" for victim in victims) and empty.is_dir()
    assert out.count("not a place omamori writes to") == len(victims) + 1
    assert not (home / ".mozilla/native-messaging-hosts/jp.omamori.host.json").exists(), "omamori's own file stays"

    # Windows: a registry key outside the browsers' NativeMessagingHosts keys is never deleted
    registry = MemoryRegistry({"Software\\Important\\Setting": "value"})
    assert run(world, windows(world), "--browser", "chrome", registry=registry) == 0
    receipt = json.loads(receipt_file.read_text())
    receipt["entries"].append({"kind": "key", "key": "Software\\Important\\Setting", "value": "value",
                               "groups": ["chrome"]})
    receipt_file.write_text(json.dumps(receipt))
    assert run(world, windows(world), "--uninstall", registry=registry) == 0
    assert registry.get("Software\\Important\\Setting") == "value"


# -- a crafted model file ---------------------------------------------------------------------------------------------
class _Tensor:
    """Pickles as torch does: _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())."""

    def __init__(self, storage, offset: int, size: tuple, stride: tuple) -> None:
        self.args = (storage, offset, size, stride)

    def __reduce__(self):
        return sys.modules["torch._utils"]._rebuild_tensor_v2, (*self.args, False, collections.OrderedDict())


class _StorageKey:
    def __init__(self, key: str, numel: int) -> None:
        self.key, self.numel = key, numel


@pytest.fixture
def torch_checkpoint(monkeypatch):
    """torch_checkpoint(state, storages) -> the bytes of a PyTorch zip checkpoint, written without torch."""
    import types

    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("only pickled, never called")
    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch.FloatStorage = type("FloatStorage", (), {"__module__": "torch", "__qualname__": "FloatStorage"})
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)

    def write(state: dict, storages: dict[str, bytes], *, compress: bool = False) -> bytes:
        class Pickler(pickle.Pickler):
            def persistent_id(self, obj):
                if isinstance(obj, _StorageKey):
                    return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
                return None
        pickled = io.BytesIO()
        Pickler(pickled, protocol=2).dump(collections.OrderedDict(state))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as archive:
            archive.writestr("archive/data.pkl", pickled.getvalue())
            archive.writestr("archive/byteorder", "little")
            for key, data in storages.items():
                archive.writestr(f"archive/data/{key}", data)
        return out.getvalue()
    return write


def test_a_tensor_passed_as_another_tensors_storage_is_refused(torch_checkpoint):
    from omamori.cloak import tinyvae
    from omamori.errors import StateError

    flat = np.arange(2000, dtype="<f4")
    first = _Tensor(_StorageKey("0", 2000), 0, (2, 1000), (1000, 1))
    fine = torch_checkpoint({"a": first}, {"0": flat.tobytes()})
    assert tinyvae.load_state_dict(fine)["a"].tolist() == flat.reshape(2, 1000).tolist()
    # within the 2000 elements of "a" by count, but "a"[1:] holds only 1000: 999 would be read past its end
    crafted = torch_checkpoint({"a": first, "b": _Tensor(first, 1, (1999,), (1,))}, {"0": flat.tobytes()})
    with pytest.raises(StateError) as caught:
        tinyvae.load_state_dict(crafted)
    assert caught.value.code == "model_damaged"


def test_a_zip_bombed_storage_is_refused_before_it_is_inflated(torch_checkpoint):
    from omamori.cloak import tinyvae
    from omamori.errors import StateError

    bomb = torch_checkpoint({"w": _Tensor(_StorageKey("0", 4), 0, (4,), (1,))}, {"0": bytes(512 << 20)},
                            compress=True)
    assert len(bomb) < 1 << 20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(StateError) as caught:
        tinyvae.load_state_dict(bomb)
    assert caught.value.code == "model_damaged"
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 64, f"peak memory grew by {grown_mib:.0f} MiB reading a 16-byte tensor"


@pytest.mark.parametrize("damage", ["damaged deflate", "not a zip", "a storage that is a folder name"])
def test_every_failure_of_a_crafted_checkpoint_is_model_damaged(torch_checkpoint, damage):
    from omamori.cloak import tinyvae
    from omamori.errors import StateError

    good = torch_checkpoint({"w": _Tensor(_StorageKey("0", 4096), 0, (4096,), (1,))},
                            {"0": np.ones(4096, "<f4").tobytes()}, compress=True)
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        member = archive.getinfo("archive/data/0")
    start = member.header_offset + 30 + len(member.filename) + len(member.extra)     # its deflate stream
    data = {"damaged deflate": good[:start + 4] + b"\xff" * (member.compress_size - 4) + good[start + member.compress_size:],
            "not a zip": b"PK\x03\x04" + bytes(100),
            "a storage that is a folder name": good.replace(b"archive/data/0", b"archive/data/.")}[damage]
    with pytest.raises(StateError) as caught:
        tinyvae.load_state_dict(data)
    assert caught.value.code == "model_damaged"


# -- models fetch --from --------------------------------------------------------------------------------------------
def small_spec(tmp_path):
    """A model of two small files (their real hashes), and a folder holding them."""
    from omamori.cloak import models

    folder = tmp_path / "mirror"
    folder.mkdir()
    files = []
    for name in ("tiny_encoder.pth", "tiny_decoder.pth"):
        data = os.urandom(50_000)
        (folder / name).write_bytes(data)
        files.append(models.WeightFile(name, len(data), hashlib.sha256(data).hexdigest()))
    return models.ModelSpec("tiny", "test", files[0], files[1], layout="taesd", upstream="http://127.0.0.1:9/",
                            licence="test"), folder


@pytest.mark.parametrize("planted", ["link to /dev/zero", "fifo"])
def test_models_fetch_from_reads_only_regular_files_of_the_right_size(tmp_path, planted):
    from omamori.cloak import models
    from omamori.errors import StateError

    spec, folder = small_spec(tmp_path)
    (folder / "tiny_encoder.pth").unlink()
    if planted == "fifo":
        os.mkfifo(folder / "tiny_encoder.pth")
    else:
        (folder / "tiny_encoder.pth").symlink_to("/dev/zero")
    outcome: list = []

    def fetch() -> None:
        try:
            models.fetch(spec, models_dir=tmp_path / "models", source=folder)
        except StateError as error:
            outcome.append(error)
    worker = threading.Thread(target=fetch, daemon=True)       # a hang fails the test instead of holding the run
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "models fetch hung"
    (error,) = outcome
    assert error.code == "model_damaged" and "regular" in error.details["reason"]
    assert not list((tmp_path / "models").glob("*.pth"))


def test_models_fetch_gives_up_on_a_server_that_trickles(tmp_path):
    import http.server

    from omamori.cloak import models
    from omamori.errors import StateError

    spec, _ = small_spec(tmp_path)
    stop = threading.Event()

    class Trickle(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(spec.encoder.size))
            self.end_headers()
            for _ in range(200):                   # a byte every 0.2 s: each read far within its 30 s timeout
                if stop.wait(0.2):
                    return
                self.wfile.write(b"x")
                self.wfile.flush()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        with pytest.raises(StateError) as caught:
            models.fetch(spec, models_dir=tmp_path / "models", source=f"http://127.0.0.1:{server.server_address[1]}/",
                         deadline=2.0)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
    assert caught.value.code == "model_download_failed" and "in time" in caught.value.details["reason"]
    assert elapsed < 10, f"gave up only after {elapsed:.1f} s"


# -- legal files under the pixel cap that used to need gigabytes ------------------------------------------------------
def two_colour_rgba_png(side: int) -> bytes:
    """Half opaque red, half transparent: a few hundred kilobytes that decode to side x side RGBA."""
    pixels = np.zeros((side, side, 4), np.uint8)
    pixels[:, : side // 2] = (200, 30, 30, 255)
    return encode(Image.fromarray(pixels, "RGBA"), "PNG", optimize=True)


def flat_gif(side: int) -> bytes:
    picture = Image.new("P", (side, side), 0)
    picture.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    return encode(picture, "GIF")


def test_palette_art_keeps_full_size_indices_but_a_scaled_full_colour_image():
    from omamori import imageio

    decoded = imageio.decode(two_colour_rgba_png(600), max_side=256)
    assert decoded.palette.indices.shape == (600, 600)             # nearest-neighbour scaling comes later
    assert decoded.image.shape == (256, 256, 3) and decoded.alpha.shape == (256, 256)
    assert decoded.original_size == (600, 600)


@pytest.mark.slow
@pytest.mark.parametrize("make, limit_mib", [(two_colour_rgba_png, 1100), (flat_gif, 1100)])
def test_a_small_file_of_60_megapixels_is_protected_in_bounded_memory(tmp_path, hosts, make, limit_mib):
    data = make(7740)                                # 59.9 MP, under the 60 MP cap; 250 kB and 46 kB
    host = hosts(tmp_path)
    assert host.request("h", "hello")["ok"]
    worker = host.worker()
    reply = host.request("p", "protect", image=base64.b64encode(data).decode())
    assert reply["ok"] and reply["result"]["format"] == "png", reply.get("error")
    peak_kib = int(re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{worker}/status").read_text()).group(1))
    assert peak_kib // 1024 < limit_mib, f"the worker peaked at {peak_kib // 1024} MiB for a {len(data)} B file"
    assert host.close() == 0
