"""The popup and the options page render cleanly; a screenshot of each is kept for a person (issue 6, item 5)."""
from __future__ import annotations

import pytest

from checks import SCREENSHOTS

pytestmark = pytest.mark.e2e

PAGES = {"popup": ("popup/popup.html", (380, 640)), "options": ("options/options.html", (900, 900))}
# The pages ask the host for its status and settings when they open; this holds once that has been shown.
SETTLED = "!document.querySelector('[data-state=\"checking\"], [aria-busy=\"true\"]')"
UNTRANSLATED = ("[...document.querySelectorAll('[data-i18n]')]"
                ".filter((el) => el.textContent === el.dataset.i18n).map((el) => el.dataset.i18n)")


def render(browser, page_name: str, shot: str, language: str) -> None:
    path, (width, height) = PAGES[page_name]
    tab = browser.new_tab()
    tab.set_viewport(width, height)
    tab.goto(browser.extension_url(path))
    tab.wait_for(SETTLED, timeout=20)
    assert tab.evaluate("document.documentElement.lang") == language
    assert tab.evaluate(UNTRANSLATED) == [], "message keys shown instead of text"
    tab.screenshot(SCREENSHOTS / f"{shot}.png")
    errors = [line for line in tab.console if line.startswith("error")]
    assert errors == [], f"{shot} logged errors: {errors}"


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("page_name", sorted(PAGES))
def test_page_renders_without_console_errors(launch_chromium, page_name, language):
    render(launch_chromium(language=language), page_name, f"{page_name}-{language}", language)

# Not in Firefox: WebDriver BiDi refuses to navigate a tab to a moz-extension:// page ("not allowed in this context").
