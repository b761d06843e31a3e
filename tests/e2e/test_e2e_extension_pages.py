"""The popup and the options page render cleanly; a screenshot of each is kept for a person (issue 6, item 5)."""
from __future__ import annotations

import pytest

from checks import SCREENSHOTS

pytestmark = pytest.mark.e2e

PAGES = {"popup": ("popup/popup.html", {"width": 380, "height": 640}),
         "options": ("options/options.html", {"width": 900, "height": 900})}


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("page_name", sorted(PAGES))
def test_page_renders_without_console_errors(launch_chromium, page_name, language):
    browser = launch_chromium(language=language)
    path, viewport = PAGES[page_name]
    tab = browser.new_tab()
    tab.page.set_viewport_size(viewport)
    tab.goto(browser.extension_url(path))
    # The pages ask the host for its status and settings when they open: wait until that has been shown.
    tab.wait_for("!document.querySelector('[data-state=\"checking\"], [aria-busy=\"true\"]')", timeout=20)
    assert tab.evaluate("document.documentElement.lang") == language
    untranslated = tab.evaluate("[...document.querySelectorAll('[data-i18n]')]"
                                ".filter((el) => el.textContent === el.dataset.i18n).map((el) => el.dataset.i18n)")
    assert untranslated == [], f"keys shown instead of text: {untranslated}"
    tab.screenshot(SCREENSHOTS / f"{page_name}-{language}.png")
    errors = [line for line in tab.console if line.startswith("error")] + tab.errors
    assert errors == [], f"{page_name} ({language}) logged errors: {errors}"
