"""The ``--for web`` C2PA manifest: signed with the certificate made for the user on first use, read back by
c2pa-python's own Reader (the C2PA project's SDK, independent of omamori's reading of it) and by ``verify``."""
from __future__ import annotations

import datetime
import functools
import io
import json
import shutil
import stat
import subprocess

import c2pa
import numpy as np
import pytest
from PIL import Image

from omamori import c2pa_manifest, imageio, webmeta
from omamori.protect import xoutput
from omamori.paths import default_paths
from omamori.protocol.envelope import Request
from omamori.protocol.handlers import Host
from in_process import ask
from processes import run_cli

NOW = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("OMAMORI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OMAMORI_MODELS", str(tmp_path / "no-models"))


def picture(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:360, 0:480]
    base = np.stack([x / 480, y / 360, 0.5 + 0.3 * np.sin(x / 11.0)], axis=2)
    return np.clip(base + rng.normal(0, 0.03, base.shape), 0, 1).astype(np.float32)


def protect(host: Host, **fields) -> dict:
    body = {"image": imageio.encode_jpeg(picture(), quality=95), "name": "art.jpg",
            "options": {"signature.enabled": False}, "profile": "web", **fields}
    return ask(host, "protect", **body)


def verify(host: Host, data: bytes) -> dict:
    return ask(host, "verify", image=data)


def library_reading(data: bytes, mime: str) -> tuple[str, list[str], dict]:
    """(validation state, failure codes, active manifest) as c2pa-python's Reader sees the file."""
    with c2pa.Reader(mime, io.BytesIO(data)) as reader:
        state = reader.get_validation_state()
        failures = [item["code"] for item in reader.get_validation_results()["activeManifest"]["failure"]]
        return state, failures, reader.get_active_manifest()


@pytest.mark.parametrize("lossless", [False, True])
def test_the_web_output_carries_a_manifest_the_c2pa_library_validates_saying_not_allowed(host, lossless):
    result = protect(host, lossless=lossless, rights={"creator": "山田 花子"})
    mime = "image/png" if lossless else "image/jpeg"
    assert result["mime"] == mime and [step["step"] for step in result["report"]][-2:] == ["rights", "c2pa"]
    state, failures, manifest = library_reading(result["image"], mime)
    # Valid: every hash and the signature check out; the only complaint is that no public list trusts the
    # certificate made on this computer.
    assert state == "Valid" and failures == ["signingCredential.untrusted"]
    training = next(a for a in manifest["assertions"] if a["label"] == "cawg.training-mining")
    assert training["data"]["entries"] == {use: {"use": "notAllowed"} for use in (
        "cawg.data_mining", "cawg.ai_inference", "cawg.ai_generative_training", "cawg.ai_training")}
    assert manifest["signature_info"]["common_name"] == "山田 花子"
    assert not [a for a in manifest["assertions"] if "thumbnail" in a["label"]]
    # The rights metadata and the mark are still there beside it.
    verdict = verify(host, result["image"])
    assert verdict["marked"] and verdict["mark"]["own"] and verdict["rights"]["ai_training_prohibited"] is True
    assert verdict["c2pa"] == {"valid": True, "state": "Trusted", "failures": [], "signer": "山田 花子",
                               "yours": True, "uses": {use: "notAllowed" for use in c2pa_manifest.USES},
                               "ai_training_prohibited": True}


def test_signing_changes_no_pixel_and_no_other_metadata():
    identity = c2pa_manifest.create_identity(name="A", now=NOW)
    rights = webmeta.Rights(creator="A")
    for encoded, format in ((imageio.encode_jpeg(picture()), "jpeg"),
                            (xoutput.encode_png_lossless(picture()).data, "png")):
        with_rights = webmeta.write(encoded, rights, today=NOW.date())
        signed = c2pa_manifest.sign(with_rights, format=format, identity=identity, title="a")
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(signed))), np.asarray(Image.open(io.BytesIO(encoded))))
        assert webmeta.read(signed) == webmeta.read(with_rights)


def test_a_changed_file_is_reported_as_changed(host):
    data = bytearray(protect(host)["image"])
    # one byte of the picture data, chosen so that neither it nor its change is 0xFF: a flip that made a JPEG
    # marker would leave a picture no decoder reads, and the test is about the manifest, not the decoder
    at = next(i for i in range(len(data) - 200, 0, -1) if 0xFF not in (data[i - 1], data[i], data[i] ^ 0x55))
    data[at] ^= 0x55
    state, failures, _ = library_reading(bytes(data), "image/jpeg")
    assert state == "Invalid" and "assertion.dataHash.mismatch" in failures
    seen = verify(host, bytes(data))["c2pa"]
    assert not seen["valid"] and "assertion.dataHash.mismatch" in seen["failures"]


def test_the_certificate_is_made_once_owner_only_and_kept(host, tmp_path):
    protect(host, rights={"creator": "Hanako"})
    folder = default_paths().c2pa
    files = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert set(files) == {"authority.pem", "signer.pem", "signer.key"}
    assert stat.S_IMODE((folder / "signer.key").stat().st_mode) == 0o600
    later = protect(host, rights={"creator": "Someone Else"})     # the certificate is the user's, made once
    assert files == {path.name: path.read_bytes() for path in folder.iterdir()}
    assert library_reading(later["image"], "image/jpeg")[2]["signature_info"]["common_name"] == "Hanako"


def test_another_users_manifest_is_valid_but_not_yours(host, tmp_path, monkeypatch):
    signed = protect(host)["image"]
    monkeypatch.setenv("OMAMORI_HOME", str(tmp_path / "someone-else"))
    other = Host(default_paths(), transport="cli")
    try:
        seen = verify(other, signed)["c2pa"]
    finally:
        other.close()
    assert seen["valid"] and not seen["yours"] and seen["signer"] == "omamori user"
    assert seen["failures"] == ["signingCredential.untrusted"] and seen["ai_training_prohibited"] is True


def test_a_damaged_certificate_is_reported_never_replaced(host):
    protect(host)
    key = default_paths().c2pa / "signer.key"
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nbroken\n")
    reply = host.handle(Request(id="t", type="protect", body={
        "image": imageio.encode_jpeg(picture()), "profile": "web", "options": {"signature.enabled": False}}))
    assert not reply["ok"] and reply["error"]["code"] == "c2pa_identity_unreadable"
    assert key.read_bytes() == b"-----BEGIN PRIVATE KEY-----\nbroken\n"


def test_no_manifest_when_asked_and_never_in_the_x_profile(host):
    without = protect(host, c2pa=False)
    assert "c2pa" not in [step["step"] for step in without["report"]] and verify(host, without["image"])["c2pa"] is None
    for_x = host.handle(Request(id="x", type="protect", body={"image": imageio.encode_jpeg(picture())}))["result"]
    assert b"jumb" not in for_x["image"] and verify(host, for_x["image"])["c2pa"] is None
    assert not default_paths().c2pa.exists()     # nothing was signed: no certificate was made


def test_the_command_line_signs_by_default_and_verify_says_so(tmp_path):
    art = tmp_path / "art.png"
    Image.fromarray(imageio.to_uint8(picture())).save(art)
    omamori = functools.partial(run_cli, tmp_path / "home")

    assert omamori("protect", str(art), "--no-c2pa").returncode == 2       # --no-c2pa goes with --for web
    made = omamori("protect", str(art), "--for", "web", "--no-visible", "--json")
    assert made.returncode == 0, made.stderr
    output = json.loads(made.stdout)["output"]
    check = omamori("verify", output)
    assert "C2PA: signed by your certificate · AI training: not allowed (CAWG)" in check.stdout, check.stdout
    if shutil.which("exiftool"):
        run = subprocess.run(["exiftool", "-validate", "-warning", "-a", output], capture_output=True, text=True)
        assert "Validate                        : OK" in run.stdout, run.stdout
