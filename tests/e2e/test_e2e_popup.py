"""The popup fits in the 600 px Chrome gives it (800 x 600 at most): the Grok state and the protection switch on
top, the checklist folded, the Settings link seen without scrolling, in en and ja, with and without the host, and
with the longest sentences each state has (issue 19)."""
from __future__ import annotations

from pathlib import Path

import pytest

from checks import SCREENSHOTS, locale_message

pytestmark = pytest.mark.e2e

POPUP_MAX_HEIGHT = 600  # px: Chrome's limit for an action popup; what is below it needs scrolling
# The popup sizes itself to its content (popup.css: body width); the test's window is as tall as Chrome allows.
WINDOW = (400, POPUP_MAX_HEIGHT)
SETTLED = "!document.querySelector('[data-state=\"checking\"]') && document.querySelector('#checklist-items li')"

# How the popup lays out, as plain data: the document's height, and where Settings and the folded checklist are.
LAYOUT = """() => {
  const settings = document.querySelector('[data-testid="popup-open-options"]').getBoundingClientRect();
  const checklist = document.querySelector('[data-testid="popup-checklist"]');
  return {
    height: Math.ceil(document.documentElement.getBoundingClientRect().height),  // the content's (scrollHeight is at least the window's)
    settingsBottom: settings.bottom, settingsShown: settings.height > 0,
    checklistOpen: checklist.open,
    order: [...document.querySelectorAll('body > section, body > details')].map((node) => node.id),
  };
}"""

# The longest thing each part can say: Grok training on, Grok edits not found, protected posts off, paused.
LONGEST_STATES = """async () => {
  const seenAt = Date.now();
  await chrome.storage.local.set({
    paused: true,
    "xsetting.grokTraining": {state: "on", seenAt}, "xsetting.protectPosts": {state: "off", seenAt},
    "grokedits.post": {outcome: "not_found", seenAt},
  });
  return true;
}"""


def open_popup(browser, *, longest: bool):
    tab = browser.new_tab()
    tab.set_viewport(*WINDOW)
    tab.goto(browser.extension_url("popup/popup.html"))
    if longest:
        tab.evaluate(LONGEST_STATES)
        tab.goto(browser.extension_url("popup/popup.html"))
    tab.wait_for(SETTLED, timeout=30)
    return tab


@pytest.mark.parametrize("host", ["installed", "absent"])
@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_popup_fits_in_600_px_with_settings_in_sight(launch_chromium, language, host):
    browser = launch_chromium(language=language, host=host)
    for longest in (False, True):
        tab = open_popup(browser, longest=longest)
        layout = tab.evaluate(f"({LAYOUT})()")
        print(f"popup {language} host={host} longest={longest}: {layout['height']} px")
        assert layout["height"] <= POPUP_MAX_HEIGHT, layout
        assert layout["settingsShown"] and layout["settingsBottom"] <= POPUP_MAX_HEIGHT, layout
        assert layout["order"][:2] == ["grok", "auto"], "the Grok state and the protection switch come first"
        assert layout["checklistOpen"] is False, "the checklist starts folded"
        if not longest:
            tab.screenshot(SCREENSHOTS / f"popup-fits-{language}-{'host' if host == 'installed' else 'nohost'}.png")


def test_the_folded_checklist_opens_from_the_keyboard(launch_chromium):
    browser = launch_chromium()
    tab = open_popup(browser, longest=False)
    tab.page.focus('[data-testid="popup-checklist"] > summary')
    tab.page.keyboard.press("Enter")
    assert tab.evaluate("document.querySelector('[data-testid=\"popup-checklist\"]').open") is True
    assert tab.evaluate("document.querySelector('[data-testid=\"checklist-mark\"]').getBoundingClientRect().height") > 0


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_damaged_settings_file_leads_from_the_popup_to_the_reset(launch_chromium, omamori_env, language):
    """A person opens the popup first: beside the sentence about the damaged file, a button opens the options page,
    whose reset (it asks first) brings omamori back."""
    browser = launch_chromium(language=language)
    settings_file = Path(omamori_env["OMAMORI_HOME"]) / "config" / "settings.json"
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text('{"signature": {"opacity": "half"}}')
    popup = browser.new_tab()
    popup.set_viewport(*WINDOW)
    popup.goto(browser.extension_url("popup/popup.html"))
    button = "document.querySelector('[data-testid=\"popup-settings-reset\"]')"
    popup.wait_for(f"document.querySelector('[data-testid=\"popup-host\"]').dataset.state === 'error' && !{button}.hidden",
                   timeout=30)
    said = popup.evaluate("document.querySelector('[data-testid=\"popup-host-state\"]').textContent")
    assert str(settings_file) in said, said
    assert popup.evaluate(f"{button}.textContent") == locale_message(language, "popup_settings_reset")
    layout = popup.evaluate(f"({LAYOUT})()")
    assert layout["height"] <= POPUP_MAX_HEIGHT and layout["settingsShown"], layout
    popup.screenshot(SCREENSHOTS / f"popup-settings-damaged-{language}.png")

    popup.page.click('[data-testid="popup-settings-reset"]')
    options = browser.opened_tab("options/options.html")
    reset = "document.querySelector('[data-testid=\"options-settings-reset\"]')"
    options.wait_for(f"!{reset}.hidden", timeout=30)
    assert options.evaluate(f"{reset}.getBoundingClientRect().bottom") <= options.evaluate("innerHeight"), \
        "the reset is not in sight when the page opens"
    options.evaluate(f"window.confirm = () => true; {reset}.click()")
    options.wait_for(f"{reset}.hidden", timeout=60)

    again = browser.new_tab()
    again.goto(browser.extension_url("popup/popup.html"))
    again.wait_for("document.querySelector('[data-testid=\"popup-host\"]').dataset.state === 'connected'", timeout=30)
    assert again.evaluate(f"{button}.hidden")
