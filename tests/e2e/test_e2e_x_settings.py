"""X's Grok and "Protect your posts" settings, highlighted and recorded, shown in the popup (issue 6, item 4)."""
from __future__ import annotations

import re

import pytest

from checks import SCREENSHOTS, locale_message, wait_until

pytestmark = pytest.mark.e2e

# The checkbox labels a person sees on X (shared/research/x-web.md §6, §7); the tests click them as a person would.
LABELS = {
    "en": {"grokTraining": "Allow your public data as well as your interactions",
           "protectPosts": "Protect your posts", "audience": "Audience, media and tagging"},
    "ja": {"grokTraining": "公開データに加えて、GrokおよびxAIでのやり取り",
           "protectPosts": "ポストを非公開にする", "audience": "オーディエンス、メディア、タグ付け"},
}


def banner(setting: str) -> str:
    """The state omamori's banner shows beside the setting, or null while there is none."""
    return (f"(document.querySelector('[data-testid=\"omamori-banner\"][data-setting=\"{setting}\"]')"
            f"?.dataset.state ?? null)")


def stored(setting: str) -> str:
    """What the extension keeps of the setting, read from its storage in one of its pages."""
    return f"chrome.storage.local.get('xsetting.{setting}').then((s) => s['xsetting.{setting}'] ?? null)"


# Each Grok box, the tone its outline takes while it reads "on" (FakeX's default: all three on).
GROK_BOXES = {"grokTraining": "alert", "grokPersonalization": "caution", "grokHistory": "caution"}
HIGHLIGHTS = """[...document.querySelectorAll('[data-testid="omamori-banner"]')].map((banner) => ({
  setting: banner.dataset.setting, state: banner.dataset.state,
  tone: banner.nextElementSibling?.getAttribute('data-omamori-tone') ?? null,
  outline: banner.nextElementSibling ? getComputedStyle(banner.nextElementSibling).outlineStyle : null,
  text: banner.nextElementSibling?.textContent ?? ''}))"""


@pytest.mark.parametrize("language", ["en", "ja"])
def test_all_three_grok_boxes_highlighted(launch_browser, fake_x, language):
    """X's Grok page as current builds write it (ja: 〜します, 「会話履歴をGrokに保存する」): every box outlined."""
    browser = launch_browser(language=language)
    tab = browser.new_tab("https://x.com/settings/grok_settings")
    tab.wait_for(f"document.querySelectorAll('[data-testid=\"omamori-banner\"]').length === {len(GROK_BOXES)}")
    shown = {entry["setting"]: entry for entry in tab.evaluate(HIGHLIGHTS)}
    assert set(shown) == set(GROK_BOXES), shown
    for setting, tone in GROK_BOXES.items():
        assert shown[setting]["state"] == "on" and shown[setting]["tone"] == tone, shown[setting]
        assert shown[setting]["outline"] != "none", f"{setting} is not outlined: {shown[setting]}"
    history = {"en": "Allow Grok to remember your conversation history", "ja": "会話履歴をGrokに保存する"}[language]
    assert history in shown["grokHistory"]["text"], shown["grokHistory"]
    tab.screenshot(SCREENSHOTS / f"x-grok-settings-all-{type(browser).__name__.lower()}-{language}.png")


def open_popup(browser):
    popup = browser.new_tab(browser.extension_url("popup/popup.html"))
    popup.page.wait_for_selector('[data-testid="popup-host"]:not([data-state="checking"])')
    return popup


def assert_popup_shows(popup, section: str, state: str, text: str) -> None:
    popup.page.reload()
    popup.page.wait_for_selector(f'[data-testid="popup-{section}"][data-state="{state}"]', timeout=10000)
    assert popup.page.inner_text(f'[data-testid="popup-{section}-state"]') == text
    seen = popup.page.inner_text(f'[data-testid="popup-{section}-seen"]')
    assert re.search(r"\d{1,2}:\d{2}", seen), f"no time in {seen!r}"


@pytest.mark.parametrize("language", ["en", "ja"])
def test_grok_training_highlighted_recorded_and_opted_out(launch_chromium, fake_x, language):
    browser = launch_chromium(language=language)
    tab = browser.new_tab("https://x.com/settings/grok_settings")
    assert tab.wait_for(banner("grokTraining")) == "on"
    container = tab.page.locator('[data-omamori-tone]').filter(has_text=LABELS[language]["grokTraining"])
    assert container.get_attribute("data-omamori-tone") == "alert"
    assert container.evaluate("(node) => getComputedStyle(node).outlineStyle") == "solid"
    tab.screenshot(SCREENSHOTS / f"x-grok-settings-{language}.png")

    popup = open_popup(browser)
    assert popup.evaluate(stored("grokTraining"))["state"] == "on"
    assert_popup_shows(popup, "grok", "on", locale_message(language, "popup_grok_on"))

    tab.page.get_by_label(LABELS[language]["grokTraining"]).uncheck()
    assert tab.wait_for(banner("grokTraining") + " === 'off'")
    assert fake_x.grok["allow_grok_training"] is False
    popup.wait_for(stored("grokTraining") + ".then((record) => record.state === 'off')")
    assert_popup_shows(popup, "grok", "off", locale_message(language, "popup_grok_off"))


def assert_popup_states(popup, language: str, *, grok: str, protect: str) -> None:
    popup.page.wait_for_selector(f'[data-testid="popup-grok"][data-state="{grok}"]', timeout=40000)
    popup.page.wait_for_selector(f'[data-testid="popup-protect-posts"][data-state="{protect}"]', timeout=10000)
    assert popup.page.inner_text('[data-testid="popup-grok-state"]') == locale_message(language, f"popup_grok_{grok}")
    assert popup.page.inner_text('[data-testid="popup-protect-posts-state"]') == \
        locale_message(language, f"popup_protect_{protect}")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_check_now_reads_both_settings_in_a_background_tab(launch_chromium, fake_x, language):
    fake_x.grok["allow_grok_training"] = False  # the person opted out on another device
    fake_x.account["protected"] = False
    browser = launch_chromium(language=language)
    popup = open_popup(browser)
    assert popup.page.get_attribute('[data-testid="popup-grok"]', "data-state") == "unknown"
    assert popup.page.get_attribute('[data-testid="popup-protect-posts"]', "data-state") == "unknown"
    pages_before = len(browser.context.pages)

    popup.page.click('[data-testid="popup-check-now"]')
    assert_popup_states(popup, language, grok="off", protect="off")
    for path in ("/settings/grok_settings", "/settings/audience_and_tagging"):
        assert any(url.startswith("https://x.com" + path) for url in fake_x.page_requests), \
            f"Check now did not load X's {path}"
    wait_until(lambda: len(browser.context.pages) == pages_before, pump=popup.pump, what="the background tab to close")
    assert popup.evaluate(stored("grokTraining"))["state"] == "off"
    assert popup.evaluate(stored("protectPosts"))["state"] == "off"
    assert popup.page.is_hidden('[data-testid="popup-check-result"]'), "Check now reported a problem"

    fake_x.grok["allow_grok_training"] = True  # X turned it back on
    fake_x.account["protected"] = True  # and the person protected their posts on the phone
    popup.page.click('[data-testid="popup-check-now"]')
    assert_popup_states(popup, language, grok="on", protect="on")
    wait_until(lambda: len(browser.context.pages) == pages_before, pump=popup.pump, what="the background tab to close")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_protect_your_posts_highlighted_recorded_and_shown(launch_chromium, fake_x, language):
    browser = launch_chromium(language=language)
    # Arrive the way a person does: X's settings list, then the in-page link (history.pushState, no reload).
    tab = browser.new_tab("https://x.com/settings/grok_settings")
    tab.wait_for(banner("grokTraining"))
    tab.page.get_by_role("tab", name=LABELS[language]["audience"]).click()
    assert tab.wait_for(banner("protectPosts")) == "off"
    assert len([url for url in fake_x.page_requests if "audience_and_tagging" in url]) == 0, "navigation reloaded"
    container = tab.page.locator('[data-omamori-tone]').filter(has_text=LABELS[language]["protectPosts"])
    assert container.get_attribute("data-omamori-tone") == "caution"
    tab.screenshot(SCREENSHOTS / f"x-audience-settings-{language}.png")

    popup = open_popup(browser)
    assert_popup_shows(popup, "protect-posts", "off", locale_message(language, "popup_protect_off"))

    tab.page.get_by_label(LABELS[language]["protectPosts"]).click()
    tab.page.click('[data-testid="confirmationSheetConfirm"]')
    assert tab.wait_for(banner("protectPosts") + " === 'on'")
    assert fake_x.account["protected"] is True
    popup.wait_for(stored("protectPosts") + ".then((record) => record.state === 'on')")
    assert_popup_shows(popup, "protect-posts", "on", locale_message(language, "popup_protect_on"))
