"""The options page: a signature no font can draw is refused when saved, naming the character next to the field
(issues 14, 19), and the privacy policy it links to reads in English and Japanese. Chromium only: WebDriver BiDi
does not open moz-extension:// pages in Firefox (see test_e2e_extension_pages)."""
from __future__ import annotations

import json

import pytest

from checks import run_omamori

pytestmark = pytest.mark.e2e

SETTINGS_LOADED = "document.querySelector('[data-testid=\"options-settings\"]').getAttribute('aria-busy') === 'false'"
PROBLEM = "document.querySelector('[data-testid=\"options-host-problem\"]')"
NEXT_TO_TEXT = "document.querySelector('[data-testid=\"field-error-signature.text\"]')"


def test_a_signature_no_font_can_draw_is_refused_naming_the_character(launch_chromium, omamori_env):
    browser = launch_chromium()
    tab = browser.new_tab()
    tab.goto(browser.extension_url("options/options.html"))
    tab.wait_for(SETTINGS_LOADED, timeout=30)
    tab.evaluate("(() => { const text = document.querySelector('[data-testid=\"options-signature-text\"]');"
                 " text.value = '@yuki · ゆき🌸'; document.querySelector('[data-testid=\"options-save\"]').click(); })()")
    tab.wait_for(f"{NEXT_TO_TEXT} !== null", timeout=30)       # said next to the field, not at the top
    assert "🌸" in tab.evaluate(f"{NEXT_TO_TEXT}.textContent")
    assert tab.evaluate(f"{PROBLEM}.hidden")
    shown = json.loads(run_omamori(omamori_env, "settings", "show", "--json").stdout)
    assert shown["signature"]["text"] != "@yuki · ゆき🌸"          # nothing was saved


def test_the_privacy_policy_is_linked_and_reads_in_both_languages(launch_chromium):
    browser = launch_chromium()
    tab = browser.new_tab()
    tab.goto(browser.extension_url("options/options.html"))
    tab.wait_for("document.querySelector('[data-testid=\"options-privacy\"]').textContent.length > 0", timeout=30)
    assert tab.evaluate("document.querySelector('[data-testid=\"options-privacy\"]').getAttribute('href')") == \
        "privacy.html"
    tab.goto(browser.extension_url("options/privacy.html"))
    tab.wait_for("document.querySelector('[data-testid=\"privacy-policy\"]').textContent.length > 1000", timeout=30)
    policy = tab.evaluate("document.querySelector('[data-testid=\"privacy-policy\"]').textContent")
    assert "No image leaves your computer except the one you post" in policy
    assert "投稿する画像以外、画像があなたのコンピューターの外に出ることはありません" in policy
