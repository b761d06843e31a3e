"""The popup and the options page render cleanly; a screenshot of each is kept for a person (issue 6, item 5)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks import SCREENSHOTS, locale_message

pytestmark = pytest.mark.e2e

PAGES = {"popup": ("popup/popup.html", (380, 640)), "options": ("options/options.html", (900, 900))}
# The pages ask the host for its status and settings when they open; this holds once that has been shown.
SETTLED = "!document.querySelector('[data-state=\"checking\"], [aria-busy=\"true\"]')"
UNTRANSLATED = ("[...document.querySelectorAll('[data-i18n]')]"
                ".filter((el) => el.textContent === el.dataset.i18n).map((el) => el.dataset.i18n)")

# A checklist line of the popup as [data-state, its note's text], or null before the list is filled.
CHECKLIST_LINE = ("(id) => { const li = document.querySelector(`[data-testid=\"checklist-${id}\"]`);"
                  " return li && [li.dataset.state, li.querySelector('.note')?.textContent ?? null]; }")


def checklist_line(tab, item: str):
    return tab.evaluate(f"({CHECKLIST_LINE})('{item}')")


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


def test_the_popup_checklist_shows_what_the_host_found(launch_chromium, omamori_env):
    """The host computes the signature, mark and cloak lines (its `status` request): a key it cannot read is to do."""
    config = Path(omamori_env["OMAMORI_HOME"]) / "config"
    config.mkdir(parents=True)
    (config / "key").write_text("not a key")
    (config / "settings.json").write_text(json.dumps({"signature": {"enabled": False}}))
    browser = launch_chromium()
    tab = browser.new_tab(browser.extension_url("popup/popup.html"))
    tab.wait_for(f"({CHECKLIST_LINE})('mark')", timeout=20)
    assert checklist_line(tab, "mark") == ["todo", locale_message("en", "checklist_mark_nokey")], \
        "a key the host cannot read shown as done"
    assert checklist_line(tab, "signature") == ["todo", locale_message("en", "checklist_signature_todo")]
    assert checklist_line(tab, "cloak") == ["optional", locale_message("en", "checklist_cloak_optional")]
    assert checklist_line(tab, "auto_protect") == ["done", None]


# Not in Firefox: WebDriver BiDi refuses to navigate a tab to a moz-extension:// page ("not allowed in this context").
