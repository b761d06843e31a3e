"""When the host is missing, crashes or hangs, nothing reaches X until the person chooses (issue 6, item 3)."""
from __future__ import annotations

import pytest

from browsers import Chromium
from checks import (CRASHING_HOST, EDITOR_READY, SCREENSHOTS, SILENT_HOST, assert_handed_to_x, assert_nothing_reached_x,
                    assert_original_uploaded, click_overlay_button, locale_message, overlay_when)

pytestmark = pytest.mark.e2e

CASES = {
    "not-installed": ("absent", "host_not_installed"),
    "crashing": (CRASHING_HOST, "host_disconnected"),
    "timing-out": (SILENT_HOST, "host_timeout"),  # the extension gives a silent host 10 s to say hello
}


def attach_after_failure(browser, fake_x, original, *, how: str, code: str, language: str = "en") -> None:
    tab = browser.new_tab("https://x.com/compose/post")
    tab.wait_for(EDITOR_READY)
    if how == "picker":
        tab.choose_files([original])
    else:
        tab.drop_files([original])
    overlay = tab.wait_for(overlay_when("o.phase === 'asking'"), timeout=60)
    assert overlay["items"] == ["failed"], overlay
    assert overlay["statuses"] == [locale_message(language, f"error_{code}")], f"the overlay does not say why: {overlay}"
    assert "omamori-attach-original" in overlay["buttons"] and "omamori-cancel" in overlay["buttons"]
    tab.screenshot(SCREENSHOTS / f"composer-{code}-{type(browser).__name__.lower()}-{how}-{language}.png")
    # Asking is a resting state: omamori hands nothing over until the person chooses (then the record below is exact).
    assert_handed_to_x(tab, fake_x, [])

    click_overlay_button(tab, "omamori-attach-original")
    [upload] = fake_x.wait_for_uploads(1, pump=tab.pump, timeout=20)
    assert_original_uploaded(upload, original)
    assert tab.wait_for(overlay_when("o.finished"))["items"] == ["original"]
    assert_handed_to_x(tab, fake_x, [original.name])  # the one file, once: nothing went to X before the choice


@pytest.mark.parametrize("case", sorted(CASES))
def test_failure_waits_for_the_person_then_attaches_the_original(launch_chromium, fake_x, art, case):
    host, code = CASES[case]
    attach_after_failure(launch_chromium(host=host), fake_x, art["photo.jpg"], how="picker", code=code)


def test_reason_in_japanese(launch_chromium, fake_x, art):
    attach_after_failure(launch_chromium(host="absent", language="ja"), fake_x, art["photo.jpg"], how="picker",
                         code="host_not_installed", language="ja")


def test_attach_the_original_after_a_drop_or_in_firefox(launch_browser, fake_x, art):
    # A drop in Chromium, the picker in Firefox (its trusted drop is in test_e2e_attach and test_e2e_bluesky).
    browser = launch_browser(host="absent")
    how = "drop" if isinstance(browser, Chromium) else "picker"
    attach_after_failure(browser, fake_x, art["photo.jpg"], how=how, code="host_not_installed")


def test_cancel_attaches_nothing(launch_chromium, fake_x, art):
    browser = launch_chromium(host="absent")
    tab = browser.new_tab("https://x.com/compose/post")
    tab.wait_for(EDITOR_READY)
    tab.choose_files([art["photo.jpg"]])
    tab.wait_for(overlay_when("o.phase === 'asking'"), timeout=60)
    click_overlay_button(tab, "omamori-cancel")
    assert tab.wait_for("document.querySelector('[data-testid=\"omamori-overlay\"]') === null")  # the batch is over
    assert_nothing_reached_x(tab, fake_x)
