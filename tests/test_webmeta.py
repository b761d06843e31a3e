"""Rights metadata of the ``--for web`` profile: written, read back by Pillow, by exiftool (an independent
reader, installed by tests/e2e/setup_browsers.sh) and by ``verify``; the X profile stays metadata-free."""
from __future__ import annotations

import datetime
import io
import json
import shutil
import subprocess
import tracemalloc
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PIL import ExifTags, Image, IptcImagePlugin

from omamori import imageio, webmeta
from omamori.protect import xoutput
from omamori.errors import RequestError
from omamori.protocol.handlers import Host, output_profile
from in_process import ask
from processes import run_cli

TODAY = datetime.date(2026, 11, 21)
RIGHTS = webmeta.Rights(creator="山田 花子 (Hanako Yamada)", web_statement="https://example.com/terms?a=1&b=<2>")
NO_AI = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"
needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None,
                                    reason="exiftool not installed (tests/e2e/setup_browsers.sh installs it)")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("OMAMORI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OMAMORI_MODELS", str(tmp_path / "no-models"))


def picture(height: int = 400, width: int = 520, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x / width, y / height, 0.5 + 0.3 * np.sin(x / 13.0)], axis=2)
    return np.clip(base + rng.normal(0, 0.03, base.shape), 0, 1).astype(np.float32)


def exiftool(data: bytes, tmp_path, suffix: str) -> dict:
    path = tmp_path / f"image{suffix}"
    path.write_bytes(data)
    run = subprocess.run(["exiftool", "-json", "-G1", "-a", "-charset", "iptc=UTF8", "-all", "-validate",
                          str(path)],
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(run.stdout)[0]


def encoded(kind: str) -> bytes:
    return (imageio.encode_jpeg(picture()) if kind == "jpeg" else xoutput.encode_png_lossless(picture()).data)


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_written_metadata_reads_back_and_the_pixels_are_untouched(kind):
    plain = encoded(kind)
    written = webmeta.write(plain, RIGHTS, today=TODAY)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(written))), np.asarray(Image.open(io.BytesIO(plain))))
    found = webmeta.read(written)
    assert found["creator"] == [RIGHTS.creator] and found["credit"] == RIGHTS.creator
    assert found["copyright"] == "© 2026 山田 花子 (Hanako Yamada). All rights reserved."
    assert found["web_statement"] == RIGHTS.web_statement
    assert found["data_mining"] == NO_AI and found["ai_training_prohibited"] is True
    assert found["sources"] == (["xmp", "iptc"] if kind == "jpeg" else ["xmp"])
    assert webmeta.read(plain) is None


def test_pillow_finds_the_xmp_packet_and_the_iptc_records():
    written = webmeta.write(encoded("jpeg"), RIGHTS, today=TODAY)
    im = Image.open(io.BytesIO(written))
    assert NO_AI.encode() in im.info["xmp"] and "山田".encode() in im.info["xmp"]
    iptc = IptcImagePlugin.getiptcinfo(im)
    assert iptc[(1, 90)] == b"\x1b%G"                       # UTF-8 declared
    assert iptc[(2, 80)].decode() == RIGHTS.creator
    assert iptc[(2, 116)].decode() == "© 2026 山田 花子 (Hanako Yamada). All rights reserved."
    png = Image.open(io.BytesIO(webmeta.write(encoded("png"), RIGHTS, today=TODAY)))
    assert NO_AI in png.info["XML:com.adobe.xmp"]


@needs_exiftool
@pytest.mark.parametrize("kind, suffix", [("jpeg", ".jpg"), ("png", ".png")])
def test_exiftool_reads_the_rights_without_warnings(kind, suffix, tmp_path):
    tags = exiftool(webmeta.write(encoded(kind), RIGHTS, today=TODAY), tmp_path, suffix)
    assert tags["XMP-plus:DataMining"] == NO_AI
    assert tags["XMP-dc:Creator"] == RIGHTS.creator
    assert tags["XMP-dc:Rights"] == "© 2026 山田 花子 (Hanako Yamada). All rights reserved."
    assert tags["XMP-xmpRights:WebStatement"] == RIGHTS.web_statement
    assert tags["XMP-xmpRights:Marked"] is True
    if kind == "jpeg":
        assert tags["IPTC:By-line"] == RIGHTS.creator and tags["IPTC:CodedCharacterSet"] == "UTF8"
        assert tags["IPTC:CopyrightNotice"].startswith("© 2026")
    assert tags["ExifTool:Validate"] == "OK" and not any("Warning" in name for name in tags), tags


def test_long_names_are_cut_to_the_iptc_limit_at_a_character_boundary():
    long_name = "あ" * 20                                   # 60 bytes; IIM By-line takes 32
    written = webmeta.write(encoded("jpeg"), webmeta.Rights(creator=long_name), today=TODAY)
    by_line = IptcImagePlugin.getiptcinfo(Image.open(io.BytesIO(written)))[(2, 80)]
    assert len(by_line) <= 32 and by_line.decode() == "あ" * 10
    assert webmeta.read(written)["creator"] == [long_name]    # XMP keeps it whole


def test_hostile_or_damaged_metadata_is_skipped_not_raised():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>')
    jpeg = encoded("jpeg")
    hostile = jpeg[:2] + webmeta._jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + bomb) + jpeg[2:]
    assert webmeta.read(hostile) is None
    written = webmeta.write(jpeg, RIGHTS, today=TODAY)
    for cut in (20, 60, 200, 400):
        webmeta.read(written[:cut])                           # no exception whatever the cut
    assert webmeta.read(b"\xff\xd8\xff\xe1\xff\xff") is None


WRITTEN = {kind: webmeta.write(encoded(kind), RIGHTS, today=TODAY) for kind in ("jpeg", "png")}


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(WRITTEN)), position=st.integers(0, 2000),
       junk=st.binary(min_size=1, max_size=8))
def test_reading_damaged_metadata_never_raises(kind, position, junk):
    data = WRITTEN[kind]
    found = webmeta.read(data[:position] + junk + data[position + len(junk):])
    assert found is None or isinstance(found["sources"], list)


def test_a_compressed_xmp_chunk_cannot_expand_without_limit():
    packet = b" " * 50_000_000 + webmeta.xmp_packet(RIGHTS, today=TODAY)      # 50 MB out of a 50 kB chunk
    itxt = b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(packet, 9)
    data = webmeta._insert_png(encoded("png"), webmeta._png_chunk(b"iTXt", itxt))
    tracemalloc.start()
    try:
        found = webmeta.read(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found is None and peak < 5_000_000, peak      # read up to its limit (blanks only), then skipped


def test_other_values_of_the_data_mining_property_are_reported_as_they_are():
    packet = webmeta.xmp_packet(webmeta.Rights(), today=TODAY).replace(
        b"DMI-PROHIBITED-AIMLTRAINING", b"DMI-ALLOWED")
    jpeg = encoded("jpeg")
    found = webmeta.read(jpeg[:2] + webmeta._jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet)
                         + jpeg[2:])
    assert found["data_mining"].endswith("DMI-ALLOWED") and found["ai_training_prohibited"] is False
    assert found["copyright"] == "All rights reserved." and found["creator"] is None


# -- through the host: the request fields, the pipeline and verify -----------------------------------------------
def camera_jpeg() -> bytes:
    """A photo-like JPEG with camera make and GPS position, as a phone writes it."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Phone 9"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({ExifTags.GPS.GPSLatitudeRef: "N",
                                               ExifTags.GPS.GPSLatitude: (35.0, 39.0, 29.0)})
    buf = io.BytesIO()
    Image.fromarray(imageio.to_uint8(picture())).save(buf, "JPEG", quality=95, exif=exif)
    return buf.getvalue()


def protect(host: Host, **fields) -> dict:
    return ask(host, "protect", image=camera_jpeg(), name="art.jpg", options={"signature.enabled": False}, **fields)


def verify(host: Host, data: bytes) -> dict:
    return ask(host, "verify", image=data)


@pytest.mark.parametrize("lossless", [False, True])
def test_web_profile_writes_rights_keeps_gps_out_and_verify_reads_both(host, lossless, tmp_path):
    result = protect(host, profile="web", lossless=lossless, rights={"creator": "Hanako"})
    suffix = ".png" if lossless else ".jpg"
    assert result["format"] == ("png" if lossless else "jpeg") and result["name"].endswith(suffix)
    assert result["report"][-2]["step"] == "rights" and result["mark"]["verified"]
    assert b"PhoneCo" not in result["image"] and b"Phone 9" not in result["image"]
    verdict = verify(host, result["image"])
    assert verdict["marked"] and verdict["mark"]["own"]
    assert verdict["rights"]["creator"] == ["Hanako"] and verdict["rights"]["ai_training_prohibited"] is True
    if shutil.which("exiftool"):
        tags = exiftool(result["image"], tmp_path, suffix)
        assert not [name for name in tags if name.startswith(("GPS", "IFD0", "ExifIFD", "Composite:GPS"))], tags
        assert tags["XMP-plus:DataMining"] == NO_AI


def test_x_profile_output_carries_no_metadata_at_all(host, tmp_path):
    result = protect(host)
    assert "rights" not in [step["step"] for step in result["report"]]
    assert verify(host, result["image"])["rights"] is None
    if shutil.which("exiftool"):
        groups = {name.split(":")[0] for name in exiftool(result["image"], tmp_path, ".jpg")}
        assert groups <= {"SourceFile", "ExifTool", "System", "File", "JFIF", "Composite"}, groups


@pytest.mark.parametrize("fields, field", [
    ({"profile": "instagram"}, "profile"),
    ({"lossless": True}, "profile"),
    ({"rights": {"creator": "A"}}, "profile"),
    ({"profile": "web", "lossless": "yes"}, "lossless"),
    ({"profile": "web", "rights": {"creator": 5}}, "rights"),
    ({"profile": "web", "rights": {"owner": "A"}}, "rights"),
    ({"profile": "web", "rights": ["A"]}, "rights"),
])
def test_bad_profile_fields_are_bad_request(fields, field):
    with pytest.raises(RequestError) as raised:
        output_profile(fields)
    assert raised.value.code == "bad_request" and raised.value.details["field"] == field


# -- the command line --------------------------------------------------------------------------------------------
def test_protect_for_web_writes_beside_the_x_version_and_verify_shows_the_rights(tmp_path):
    art = tmp_path / "art.jpg"
    art.write_bytes(camera_jpeg())
    assert run_cli(tmp_path / "home", "protect", str(art), "--lossless").returncode == 2
    for_x = run_cli(tmp_path / "home", "protect", str(art), "--json")
    for_web = run_cli(tmp_path / "home", "protect", str(art), "--for", "web", "--creator", "Hanako", "--json")
    assert for_x.returncode == 0 and for_web.returncode == 0, for_web.stderr
    assert json.loads(for_x.stdout)["output"] == str(tmp_path / "art.omamori.jpg")
    assert json.loads(for_web.stdout)["output"] == str(tmp_path / "art.omamori-web.jpg")
    check = run_cli(tmp_path / "home", "verify", str(tmp_path / "art.omamori-web.jpg"))
    assert check.returncode == 0 and "rights metadata: creator Hanako" in check.stdout
    assert "rights metadata" not in run_cli(tmp_path / "home", "verify", str(tmp_path / "art.omamori.jpg")).stdout
