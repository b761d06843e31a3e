"""The hostile image corpus (tests/hostile_images.py) through the real host process, on real pipes.

Every file gets its documented outcome -- protected, or its error code with
the en/ja message -- from one host process that must stay alive and answer a
``hello`` afterwards, with no bug (``Traceback``) in its log. The normal suite
protects with the mark off (the mark's embed-and-verify is most of the time);
the slow one protects every file with the default settings.
"""
from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from hostile_images import PROTECTED, HostileCase, corpus
from omamori.catalog import LANGUAGES, entries
from processes import CHROME_ORIGIN, HostProcess

CASES = corpus()
FAILING = [c for c in CASES if c.expect != PROTECTED]
PROTECTED_CASES = [c for c in CASES if c.expect == PROTECTED]


def check_outcome(host: HostProcess, case: HostileCase, options: dict) -> None:
    reply = host.request(case.name, "protect", image=base64.b64encode(case.data).decode(), name=case.filename,
                         options=options)
    if case.expect != PROTECTED:
        assert not reply["ok"], f"{case.name}: protected, expected {case.expect}"
        error = reply["error"]
        assert error["code"] == case.expect, f"{case.name}: {error}"
        sentence = entries()[f"error.{case.expect}"]
        assert error["message"] == {lang: sentence[lang].format_map(error["details"]) for lang in LANGUAGES}
        return
    assert reply["ok"], f"{case.name}: {reply['error']}"
    result = reply["result"]
    output = base64.b64decode(result["image"])
    with Image.open(io.BytesIO(output)) as image:
        image.load()
        assert image.size == case.upright_size == (result["width"], result["height"]), case.name
        assert image.format in ("JPEG", "PNG") and result["mime"] == f"image/{image.format.lower()}"
        assert not image.getexif() and not {"icc_profile", "exif", "comment", "xmp"} & set(image.info), \
            f"{case.name}: metadata left in the output: {set(image.info)}"
    forbidden = case.notes.get("must_not_contain")
    assert forbidden is None or forbidden not in output, f"{case.name}: the polyglot's payload survived"
    if case.notes.get("colour") == "converted":
        colour = next(step for step in result["report"] if step["step"] == "colour")
        assert colour["applied"], colour
    assert result["name"].rsplit(".", 1)[0] == case.filename.rsplit(".", 1)[0]


def check_verify(host: HostProcess, case: HostileCase) -> None:
    """``verify`` reads the same file the same way: an unmarked image, or the same error."""
    reply = host.request(case.name, "verify", image=base64.b64encode(case.data).decode())
    if case.expect in (PROTECTED, "image_too_small"):      # verify has no minimum size
        assert reply["ok"] and reply["result"]["marked"] is False, f"{case.name}: {reply}"
    else:
        assert reply["error"]["code"] == case.expect, f"{case.name}: {reply}"


def run_corpus(tmp_path, cases: list[HostileCase], options: dict, *, verify: bool) -> None:
    host = HostProcess(tmp_path, CHROME_ORIGIN)
    try:
        for case in cases:
            check_outcome(host, case, options)
            if verify:
                check_verify(host, case)
        assert host.request("after", "hello")["ok"], "the host did not survive the corpus"
        assert host.close() == 0
    finally:
        if host.proc.poll() is None:
            host.proc.kill()
    log = (tmp_path / "log" / "host.log").read_text(encoding="utf-8")
    assert "Traceback" not in log, log[-3000:]


def test_broken_and_hostile_files_get_their_error_codes_and_the_host_survives(tmp_path):
    assert len(FAILING) >= 15
    run_corpus(tmp_path, FAILING, {}, verify=True)


def test_every_kind_of_image_is_protected_upright_and_without_metadata(tmp_path):
    """Mark off: decoding, colour, orientation, signature and encoding of every file, quickly."""
    run_corpus(tmp_path, PROTECTED_CASES, {"mark.enabled": False}, verify=False)


@pytest.mark.slow
def test_every_kind_of_image_is_protected_with_the_default_settings_and_verified_unmarked(tmp_path):
    run_corpus(tmp_path, PROTECTED_CASES, {}, verify=True)
