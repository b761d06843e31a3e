"""Every composer omamori watches: X Pro's composer column (pro.x.com, pro.twitter.com), and x.com's other hosts a
person lands on (twitter.com, mobile.x.com) get the same protection and settings highlight (issue 16, "Every
composer")."""
from __future__ import annotations

import pytest

from checks import EDITOR_READY, SCREENSHOTS, assert_protected, locale_message, overlay_when

pytestmark = pytest.mark.e2e

PROTECT_TIMEOUT = 150  # s: the host starts, makes the user's key on first use, protects on a shared 2-core machine
CREATE_POST = "document.querySelector('button[data-testid=\"SideNav_NewTweet_Button\"]')"
POST_BUTTON = "document.querySelector('[data-testid=\"tweetButtonInline\"]')"


@pytest.mark.parametrize("host", ["pro.x.com", "pro.twitter.com"])
def test_x_pro_composer_column_protected(launch_browser, fake_x, art, omamori_env, tmp_path, host):
    fake_x.grok_edit_control = "switch"
    browser = launch_browser()
    tab = browser.new_tab(f"https://{host}/i/decks/1867000000000000000")
    tab.wait_for(f"{CREATE_POST} !== null")
    tab.evaluate(f"{CREATE_POST}.click()")  # the deck's "Create post" opens the composer column
    tab.wait_for("document.querySelector('[data-testid=\"composerColumn\"] [data-testid=\"tweetTextarea_0\"]') !== null")

    original = art["illustration2.png"]
    tab.choose_files([original])
    overlay = tab.wait_for(overlay_when("o.finished && o.notes.grok_edits_blocked"), timeout=PROTECT_TIMEOUT)
    assert overlay["items"] == ["protected"], overlay
    [upload] = fake_x.wait_for_uploads(1, pump=tab.pump)
    assert_protected(upload, original, env=omamori_env, folder=tmp_path)
    tab.screenshot(SCREENSHOTS / f"x-pro-composer-{host.split('.')[1]}-{type(browser).__name__.lower()}.png")

    tab.wait_for(f"!{POST_BUTTON}.disabled")
    tab.evaluate(f"{POST_BUTTON}.click()")
    [post] = fake_x.wait_for_posts(1, pump=tab.pump)
    assert post["grok_edits_blocked"] is True and post["media_ids"] == [upload.media_id], post


@pytest.mark.parametrize("host", ["twitter.com", "mobile.x.com"])
def test_other_x_hosts_composer_and_settings(launch_chromium, fake_x, art, omamori_env, tmp_path, host):
    browser = launch_chromium()
    tab = browser.new_tab(f"https://{host}/compose/post")
    tab.wait_for(EDITOR_READY)
    original = art["illustration3.png"]
    tab.choose_files([original])
    overlay = tab.wait_for(overlay_when("o.finished"), timeout=PROTECT_TIMEOUT)
    assert overlay["items"] == ["protected"], overlay
    [upload] = fake_x.wait_for_uploads(1, pump=tab.pump)
    assert_protected(upload, original, env=omamori_env, folder=tmp_path)

    settings = browser.new_tab(f"https://{host}/settings/grok_settings")
    banner = "document.querySelector('[data-testid=\"omamori-banner\"][data-setting=\"grokTraining\"]')"
    assert settings.wait_for(f"{banner}?.dataset.state") == "on"
    assert settings.evaluate(f"{banner}.textContent") == locale_message("en", "banner_grokTraining_on")
