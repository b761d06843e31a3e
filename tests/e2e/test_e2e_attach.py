"""Images attached in X's composer reach upload.x.com protected (issue 6, "What the tests show" 1 and 2)."""
from __future__ import annotations

import pytest

from checks import (ATTACHED, EDITOR_READY, SCREENSHOTS, assert_marked, assert_protected, assert_signature,
                    overlay_when, sha256)
import json
from pathlib import Path

import pictures

pytestmark = pytest.mark.e2e

PROTECT_TIMEOUT = 150  # s: the host starts, makes the user's key on first use, protects on a shared 2-core machine


def attach(tab, how: str, paths) -> None:
    if how == "picker":
        tab.choose_files(paths)
    elif how == "drop":
        tab.drop_files(paths)
    else:
        raise ValueError(how)


# A drop is a trusted one in both browsers (browsers.py: Chromium's input pipeline, privileged code in Firefox): a
# drop made by a page script is exactly what omamori must ignore (test_e2e_hostile_page.py).
@pytest.mark.parametrize("browser_name,how", [("chromium", "picker"), ("chromium", "drop"), ("firefox", "picker"),
                                              ("firefox", "drop")])
def test_attached_image_reaches_x_protected(request, browser_name, fake_x, art, how, omamori_env, tmp_path):
    browser = request.getfixturevalue(f"launch_{browser_name}")()
    tab = browser.new_tab("https://x.com/compose/post")
    tab.wait_for(EDITOR_READY)
    original = art["illustration0.png"]
    before = sha256(original)

    attach(tab, how, [original])
    overlay = tab.wait_for(overlay_when("o.finished"), timeout=PROTECT_TIMEOUT)
    assert overlay["items"] == ["protected"], overlay
    assert len(overlay["applied"]) == 1 and overlay["applied"][0].startswith("✓"), overlay
    tab.screenshot(SCREENSHOTS / f"composer-protected-{type(browser).__name__.lower()}-{how}.png")
    assert overlay["warnings"] == [], overlay            # everything asked for was applied

    [upload] = fake_x.wait_for_uploads(1, pump=tab.pump)
    assert_protected(upload, original, env=omamori_env, folder=tmp_path)
    assert sha256(original) == before, "the original file on disk was changed"
    assert tab.evaluate(ATTACHED) == ["image/jpeg"], "X's preview does not show the protected JPEG"


def test_pasted_image_reaches_x_protected(launch_chromium, fake_x, art, omamori_env, tmp_path):
    # Paste runs in Chromium only: headless Firefox's clipboard holds no images (see browsers.ChromiumTab.paste_image).
    browser = launch_chromium()
    tab = browser.new_tab("https://x.com/compose/post")
    tab.wait_for(EDITOR_READY)
    original = art["illustration1.png"]
    before = sha256(original)

    tab.paste_image(original)
    overlay = tab.wait_for(overlay_when("o.finished"), timeout=PROTECT_TIMEOUT)
    assert overlay["items"] == ["protected"], overlay

    [upload] = fake_x.wait_for_uploads(1, pump=tab.pump)
    assert_protected(upload, original, env=omamori_env, folder=tmp_path)
    assert sha256(original) == before


def test_four_images_at_once(launch_chromium, fake_x, art, omamori_env, tmp_path):
    browser = launch_chromium()
    tab = browser.new_tab("https://x.com/compose/post")
    tab.wait_for(EDITOR_READY)
    originals = [art[f"illustration{index}.png"] for index in range(4)]

    tab.choose_files(originals)
    overlay = tab.wait_for(overlay_when("o.finished"), timeout=4 * PROTECT_TIMEOUT)
    assert overlay["items"] == ["protected"] * 4, overlay

    uploads = fake_x.wait_for_uploads(4, pump=tab.pump)
    assert len(uploads) == 4
    # X uploads the four in parallel: pair each upload with the original it is closest to.
    for upload in uploads:
        received = pictures.decode(upload.data)
        closest = min(originals, key=lambda path: float(
            abs(pictures.as_float(received) - pictures.as_float(pictures.decode(path.read_bytes()), received.size)).mean()))
        assert_protected(upload, closest, env=omamori_env, folder=tmp_path)
        originals.remove(closest)
    assert tab.evaluate(ATTACHED) == ["image/jpeg"] * 4


def test_pixel_art_stays_png_and_is_marked(launch_chromium, fake_x, art, omamori_env, tmp_path):
    browser = launch_chromium()
    tab = browser.new_tab("https://x.com/compose/post")
    tab.wait_for(EDITOR_READY)
    original = art["pixels.png"]

    tab.choose_files([original])
    overlay = tab.wait_for(overlay_when("o.finished"), timeout=PROTECT_TIMEOUT)
    assert overlay["items"] == ["protected"], overlay

    [upload] = fake_x.wait_for_uploads(1, pump=tab.pump)
    assert upload.media_type == "image/png", f"pixel art reached X as {upload.media_type}"
    received = pictures.decode(upload.data)
    assert received.format == "PNG" and received.mode == "P", (received.format, received.mode)
    assert received.size == pictures.decode(original.read_bytes()).size
    assert_signature(pictures.decode(original.read_bytes()), received)
    assert_marked(upload, env=omamori_env, folder=tmp_path)          # the mark rides in twin palette colours


def test_gif_passes_untouched(launch_chromium, fake_x, art):
    browser = launch_chromium()
    tab = browser.new_tab("https://x.com/compose/post")
    tab.wait_for(EDITOR_READY)
    original = art["anim.gif"]

    tab.choose_files([original])
    [upload] = fake_x.wait_for_uploads(1, pump=tab.pump)
    assert upload.media_category == "tweet_gif"
    assert upload.data == original.read_bytes(), "the GIF was changed on its way to X"
    assert tab.evaluate(ATTACHED) == ["image/gif"]


def test_a_cloak_asked_for_without_its_model_is_said_in_the_overlay(launch_chromium, fake_x, art, omamori_env):
    """The host's reply lists the steps asked for and not applied (``skipped``); the overlay shows each one."""
    config = Path(omamori_env["OMAMORI_HOME"]) / "config"
    config.mkdir(parents=True)
    (config / "settings.json").write_text(json.dumps({"cloak": {"enabled": True}}))
    tab = launch_chromium().new_tab("https://x.com/compose/post")
    tab.wait_for(EDITOR_READY)
    attach(tab, "picker", [art["illustration0.png"]])
    overlay = tab.wait_for(overlay_when("o.finished"), timeout=PROTECT_TIMEOUT)
    assert overlay["items"] == ["protected"], overlay
    assert len(overlay["warnings"]) == 1 and overlay["warnings"][0].startswith("⚠ no cloak"), overlay
    assert "omamori models fetch" in overlay["warnings"][0]
