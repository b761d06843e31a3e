"""The options page's live signature preview (issue 19, "See it before it is posted"): the host draws it, it follows
the fields as they change, a refused value is said next to its field, and a page without a host says so once.
Screenshots of the page with its preview, en and ja. Chromium only: WebDriver BiDi does not open moz-extension://
pages in Firefox (see test_e2e_extension_pages)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks import SCREENSHOTS, Relay, host_preview, locale_message, run_omamori, shown_preview, signature_fields

pytestmark = pytest.mark.e2e

PREVIEW = "document.querySelector('[data-testid=\"options-signature-preview\"]')"
DRAWN = f"{PREVIEW}.dataset.state === 'drawn'"

def set_field(tab, test_id: str, value) -> None:
    """As a person changes a field: its value, then the input event the page listens to."""
    tab.evaluate(f"(() => {{ const el = document.querySelector('[data-testid=\"{test_id}\"]');"
                 f" el.value = {json.dumps(value)}; el.dispatchEvent(new Event('input', {{bubbles: true}})); }})()")


def shown_picture(tab) -> bytes:
    return shown_preview(tab, "options-signature-preview")


def open_options(browser):
    tab = browser.new_tab()
    tab.set_viewport(900, 1000)
    tab.goto(browser.extension_url("options/options.html"))
    return tab


def test_the_preview_is_the_hosts_drawing_and_follows_the_fields(launch_chromium, omamori_env, monkeypatch):
    tab = open_options(launch_chromium())
    first = shown_picture(tab)
    assert first[:3] == b"\xff\xd8\xff"
    assert first == host_preview(omamori_env, monkeypatch, signature_fields(tab, "#settings"))
    assert "AI" in tab.evaluate("document.querySelector('[data-testid=\"signature-preview-status\"]').textContent")

    seen = first
    for test_id, value in (("options-signature-opacity", "90"), ("options-signature-placement", "tiled"),
                           ("options-signature-text", "@yuki_draws")):
        set_field(tab, test_id, value)
        assert tab.evaluate(f"{PREVIEW}.dataset.state") == 'drawing'
        picture = shown_picture(tab)
        assert picture != seen, f"{test_id} = {value} did not change the preview"
        assert picture == host_preview(omamori_env, monkeypatch, signature_fields(tab, "#settings")), test_id
        seen = picture
    shown = json.loads(run_omamori(omamori_env, "settings", "show", "--json").stdout)
    assert shown["signature"]["text"] != "@yuki_draws", "the preview saved the settings"


def test_a_refused_value_is_said_next_to_its_field(launch_chromium, omamori_env):
    tab = open_options(launch_chromium())
    shown_picture(tab)
    set_field(tab, "options-signature-opacity", "150")
    error = "document.querySelector('[data-testid=\"field-error-signature.opacity\"]')"
    tab.wait_for(f"{error} !== null", timeout=30)
    assert tab.evaluate(f"{error}.textContent") == "Enter a number from 5 to 100."
    assert tab.evaluate(f"{error}.previousElementSibling.dataset.testid") == "options-signature-opacity"
    assert tab.evaluate("document.querySelector('[data-testid=\"options-signature-opacity\"]')"
                        ".getAttribute('aria-invalid')") == "true"
    assert tab.evaluate(f"{PREVIEW}.dataset.state") == "failed"
    assert tab.evaluate("document.querySelector('[data-testid=\"options-host-problem\"]').hidden")

    tab.evaluate("document.querySelector('[data-testid=\"options-save\"]').click()")     # saving says the same
    tab.wait_for(f"{error} !== null", timeout=30)
    shown = json.loads(run_omamori(omamori_env, "settings", "show", "--json").stdout)
    assert shown["signature"]["opacity"] != 1.5

    set_field(tab, "options-signature-opacity", "40")                                      # fixed: it goes
    tab.wait_for(f"{DRAWN} && {error} === null", timeout=30)
    assert not tab.evaluate("document.querySelector('[data-testid=\"options-signature-opacity\"]')"
                            ".hasAttribute('aria-invalid')")


def test_a_font_and_keep_palette_pngs_are_saved(launch_chromium, omamori_env):
    tab = open_options(launch_chromium())
    shown_picture(tab)
    fonts = tab.evaluate("[...document.querySelector('[data-testid=\"options-signature-font\"]').options]"
                         ".map((option) => [option.value, option.textContent])")
    assert fonts[0][0] == "" and fonts[0][1].startswith(locale_message("en", "options_font_automatic"))
    assert len(fonts) > 1, "no font offered"
    assert tab.evaluate("document.querySelector('[data-testid=\"options-keep-png8\"]').parentElement.textContent"
                        ".trim()") == "Keep palette PNGs"
    set_field(tab, "options-signature-font", fonts[-1][0])
    tab.evaluate("document.querySelector('[data-testid=\"options-keep-png8\"]').click()")
    tab.evaluate("document.querySelector('[data-testid=\"options-save\"]').click()")
    tab.wait_for("document.querySelector('[data-testid=\"options-status\"]').textContent !== ''", timeout=30)
    shown = json.loads(run_omamori(omamori_env, "settings", "show", "--json").stdout)
    assert shown["signature"]["font_path"] == fonts[-1][0]
    assert shown["output"]["keep_png8"] is False


@pytest.mark.parametrize("language", ["en", "ja"])
def test_without_a_host_the_page_says_so_once(launch_chromium, language):
    tab = open_options(launch_chromium(host="absent", language=language))
    problem = "document.querySelector('[data-testid=\"options-host-problem\"]')"
    tab.wait_for(f"!{problem}.hidden", timeout=30)
    tab.wait_for("document.querySelector('[data-testid=\"options-cloak\"]').dataset.state !== 'checking'", timeout=30)
    said = locale_message(language, "options_host_not_installed")
    page = tab.evaluate("document.body.innerText")
    assert page.count(said) == 1
    assert tab.evaluate("document.querySelector('[data-testid=\"options-install-command\"]').textContent") == \
        locale_message(language, "install_command")
    assert locale_message(language, "error_host_not_installed") not in page
    assert locale_message(language, "options_cloak_no_host") not in page
    assert not tab.evaluate("document.querySelector('#loading').checkVisibility()"), "Loading settings… for ever"
    assert tab.evaluate(f"{PREVIEW}.dataset.state") == "idle"        # no second 'not installed' under the preview
    assert "`" not in page
    tab.screenshot(SCREENSHOTS / f"options-no-host-{language}.png")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_screenshot_of_the_options_page_with_its_preview(launch_chromium, language):
    tab = open_options(launch_chromium(language=language))
    shown_picture(tab)
    tab.wait_for("document.querySelector('[data-testid=\"options-cloak\"]').dataset.state !== 'checking'", timeout=30)
    assert tab.evaluate("document.documentElement.lang") == language
    tab.screenshot(SCREENSHOTS / f"options-preview-{language}.png")


def test_a_damaged_settings_file_is_said_and_the_page_resets_it(launch_chromium, omamori_env):
    """Every request that reads the settings fails on a damaged file, hello included: the page's button is the
    way out that needs no terminal."""
    browser = launch_chromium()
    settings_file = Path(omamori_env["OMAMORI_HOME"]) / "config" / "settings.json"
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text('{"signature": {"opacity": "half"}}')
    tab = open_options(browser)
    reset = "document.querySelector('[data-testid=\"options-settings-reset\"]')"
    tab.wait_for(f"!{reset}.hidden", timeout=30)
    said = tab.evaluate("document.querySelector('[data-testid=\"options-host-problem\"]').innerText")
    assert str(settings_file) in said and "signature.opacity" in said
    assert not tab.evaluate("document.querySelector('#loading').checkVisibility()"), "Loading settings… for ever"
    assert tab.evaluate("document.querySelector('[data-testid=\"options-save\"]').disabled")
    tab.evaluate(f"window.confirm = () => true; {reset}.click()")
    tab.wait_for(f"{DRAWN} && {reset}.hidden", timeout=60)
    assert not tab.evaluate("document.querySelector('[data-testid=\"options-save\"]').disabled")
    shown = json.loads(run_omamori(omamori_env, "settings", "show", "--json").stdout)
    assert shown["signature"]["opacity"] == 0.55


def test_with_an_older_host_the_saved_font_is_kept(launch_chromium, omamori_env, tmp_path):
    """A host from before `signature.fonts` cannot list the fonts: the page still shows the font saved from the
    command line as the choice, and saving another field keeps it (an empty choice would set "Automatic")."""
    from omamori import fonts

    font = fonts.find_font("omamori").path
    run_omamori(omamori_env, "settings", "set", f"signature.font_path={font}")
    relay = Relay(tmp_path, "older")
    tab = open_options(launch_chromium(host=relay.script))
    tab.wait_for("!document.querySelector('[data-testid=\"options-save\"]').disabled", timeout=30)
    assert any(e.get("type") == "signature.fonts" for e in relay.events()), "the page did not ask for the fonts"
    assert tab.evaluate("document.querySelector('[data-testid=\"options-signature-font\"]').value") == font
    set_field(tab, "options-signature-opacity", "55")
    tab.evaluate("document.querySelector('[data-testid=\"options-save\"]').click()")
    tab.wait_for("document.querySelector('[data-testid=\"options-status\"]').textContent !== ''", timeout=30)
    assert tab.evaluate("document.querySelector('[data-testid=\"options-status\"]').textContent") == \
        locale_message("en", "options_saved")
    shown = json.loads(run_omamori(omamori_env, "settings", "show", "--json").stdout)
    assert shown["signature"]["font_path"] == font and shown["signature"]["opacity"] == 0.55
