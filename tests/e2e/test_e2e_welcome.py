"""The first-run page (issue 19): it opens by itself when the extension is installed, finds the program (or shows the
command that installs it, and finds it once installed), saves the artist's name into the host's signature text,
says next to the field what the host refused, and shows the signature on a sample picture. Screenshots in en and ja.
Mostly Chromium; in Firefox WebDriver BiDi cannot open a moz-extension:// page, but it drives the one the extension
opened itself: that it opens, finds the program or says how to install it, and saves the name."""
from __future__ import annotations

import json
import shutil

import pytest

import omamori
from browsers import Chromium
from checks import (EXTENSION, SCREENSHOTS, WELCOME_PAGE, WELCOME_SETTLED, host_preview, locale_message, run_omamori,
                    shown_preview, signature_fields)
from conftest import register_host
from omamori.settings import Settings

pytestmark = pytest.mark.e2e

HOST = "document.querySelector('[data-testid=\"welcome-host\"]')"
NAME_ERROR = "document.querySelector('[data-testid=\"field-error-signature.text\"]')"
TEXT = "(id) => document.querySelector(`[data-testid=\"${id}\"]`).textContent"
UNTRANSLATED = ("[...document.querySelectorAll('[data-i18n]')]"
                ".filter((el) => el.textContent === el.dataset.i18n).map((el) => el.dataset.i18n)")
# The window a person has: the page fits it without scrolling sideways.
WINDOW = (1024, 768)


def text(tab, test_id: str) -> str:
    return tab.evaluate(f"({TEXT})('{test_id}')")


def welcome(browser):
    """The first-run page the extension opened by itself, once it has asked for the program."""
    tab = browser.opened_tab(WELCOME_PAGE)
    tab.set_viewport(*WINDOW)
    tab.wait_for(WELCOME_SETTLED, timeout=30)
    return tab


def look(tab, signature_text: str) -> dict:
    """The settings the preview draws with: the look fields, and the signature text the name makes."""
    return {**signature_fields(tab, "#look-form"), "signature.text": signature_text}


def save_name(tab, name: str) -> None:
    tab.page.fill('[data-testid="welcome-name-input"]', name)
    tab.page.click('[data-testid="welcome-name-save"]')


def signature_text(env) -> str:
    return json.loads(run_omamori(env, "settings", "show", "--json").stdout)["signature"]["text"]


def assert_fits_and_reads(tab, language: str) -> None:
    assert tab.evaluate("document.documentElement.lang") == language
    assert tab.evaluate(UNTRANSLATED) == [], "message keys shown instead of text"
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "wider than the window"
    assert not tab.evaluate("document.body.innerText.includes('`')"), "a literal backtick on the page"
    errors = [line for line in tab.console if line.startswith("error")]
    assert errors == [], f"the first-run page logged errors: {errors}"


@pytest.mark.parametrize("language", ["en", "ja"])
def test_opens_by_itself_finds_the_program_names_the_artist_shows_the_signature_and_opens_x_grok_setting(
        launch_chromium, omamori_env, fake_x, monkeypatch, language):
    browser = launch_chromium(language=language, keep_first_run_page=True)
    tab = welcome(browser)
    assert tab.evaluate(f"{HOST}.dataset.state") == "connected"
    assert text(tab, "welcome-host-state") == \
        locale_message(language, "welcome_host_connected").replace("$VERSION$", omamori.__version__)
    assert tab.evaluate("document.querySelector('[data-testid=\"welcome-host-install\"]').hidden")
    default = Settings().signature.text
    assert default in text(tab, "welcome-name-now")
    assert tab.evaluate("document.querySelector('[data-testid=\"welcome-name-input\"]').value") == ""  # names no one

    # The preview is the host's drawing of the signature as the fields say.
    first = shown_preview(tab, "welcome-preview")
    assert first == host_preview(omamori_env, monkeypatch, look(tab, default))

    # A character no font draws: refused by the host (already by the preview as it is typed), said next to the
    # field, nothing saved.
    save_name(tab, "ゆき🌸")
    tab.wait_for(f"{NAME_ERROR}?.textContent.includes('🌸')", timeout=30)
    assert tab.evaluate("document.querySelector('[data-testid=\"welcome-name-input\"]').getAttribute('aria-invalid')") \
        == "true"
    assert tab.evaluate("document.activeElement.dataset.testid") == "welcome-name-input"
    assert signature_text(omamori_env) == default

    save_name(tab, "@yuki_draws")
    saved = json.dumps(locale_message(language, "welcome_saved"))
    tab.wait_for(f"({TEXT})('welcome-name-status') === {saved}", timeout=30)
    named = f"@yuki_draws · {default}"
    assert signature_text(omamori_env) == named
    assert named in text(tab, "welcome-name-now")
    assert tab.evaluate(f"{NAME_ERROR} === null")
    picture = shown_preview(tab, "welcome-preview")
    assert picture != first and picture == host_preview(omamori_env, monkeypatch, look(tab, named))

    # The look: repeated across the picture, drawn as the host draws it, saved with its own button.
    tab.page.select_option('[data-testid="welcome-placement"]', "tiled")
    assert tab.evaluate("document.querySelector('[data-testid=\"welcome-opacity\"]').offsetParent === null")
    assert tab.evaluate("document.querySelector('[data-testid=\"welcome-tiled-opacity\"]').offsetParent !== null")
    tiled = shown_preview(tab, "welcome-preview")
    assert tiled != picture and tiled == host_preview(omamori_env, monkeypatch, look(tab, named))
    tab.page.click('[data-testid="welcome-look-save"]')
    tab.wait_for(f"({TEXT})('welcome-look-status') === {saved}", timeout=30)
    assert json.loads(run_omamori(omamori_env, "settings", "show", "--json").stdout)["signature"]["placement"] == "tiled"

    # X's Grok setting: the page opens it (the content script outlines the box) and shows it as X's page showed it.
    tab.page.click('[data-testid="welcome-grok-open"]')
    tab.wait_for("document.querySelector('[data-testid=\"welcome-grok\"]').dataset.state === 'on'", timeout=40)
    assert text(tab, "welcome-grok-state") == locale_message(language, "popup_grok_on")
    assert any(url.startswith("https://x.com/settings/grok_settings") for url in fake_x.page_requests)

    tab.page.bring_to_front()
    assert_fits_and_reads(tab, language)
    tab.screenshot(SCREENSHOTS / f"welcome-{language}.png")

    # Opened once: the page says so in storage, and reading it again names the saved name.
    assert tab.evaluate("chrome.storage.local.get('welcomeShown').then((s) => s.welcomeShown)") is True
    again = browser.new_tab(browser.extension_url(WELCOME_PAGE))
    again.wait_for("document.querySelector('[data-testid=\"welcome-name-input\"]').value === '@yuki_draws'", timeout=30)
    assert [page.url for page in browser.context.pages].count(browser.extension_url(WELCOME_PAGE)) == 2


@pytest.mark.parametrize("language", ["en", "ja"])
def test_without_the_program_it_shows_the_install_command_then_finds_it(launch_chromium, omamori_env, tmp_path,
                                                                      language):
    browser = launch_chromium(host="absent", language=language, keep_first_run_page=True)
    tab = welcome(browser)
    assert tab.evaluate(f"{HOST}.dataset.state") == "missing"
    assert text(tab, "welcome-host-state") == locale_message(language, "welcome_host_missing")
    assert text(tab, "welcome-install-command") == "sh installer/install.sh"  # Linux: README.md's command
    assert tab.evaluate("document.querySelector('[data-testid=\"welcome-name-form\"] fieldset').disabled")
    assert tab.evaluate("document.querySelector('[data-testid=\"welcome-look-form\"] fieldset').disabled")
    assert_fits_and_reads(tab, language)
    tab.screenshot(SCREENSHOTS / f"welcome-no-host-{language}.png")

    # The person runs the installer, then presses "Check again": found, without restarting the browser.
    register_host(omamori_env, user_data_dir=tmp_path / "chromium-profile-0")
    tab.page.click('[data-testid="welcome-host-check"]')
    tab.wait_for(f"{HOST}.dataset.state === 'connected'", timeout=30)
    assert tab.evaluate("!document.querySelector('[data-testid=\"welcome-name-form\"] fieldset').disabled")
    assert tab.evaluate("document.querySelector('[data-testid=\"welcome-host-check\"]').hidden")


@pytest.mark.parametrize("host", ["installed", "absent"])
def test_firefox_opens_it_by_itself_and_it_works_there_too(launch_firefox, omamori_env, host):
    browser = launch_firefox(host=host, keep_first_run_page=True)
    tab = browser.opened_tab(WELCOME_PAGE)
    tab.wait_for(WELCOME_SETTLED, timeout=40)
    if host == "absent":
        assert tab.evaluate(f"{HOST}.dataset.state") == "missing"
        assert text(tab, "welcome-install-command") == "sh installer/install.sh"
        return
    assert text(tab, "welcome-host-state") == \
        locale_message("en", "welcome_host_connected").replace("$VERSION$", omamori.__version__)
    default = Settings().signature.text
    tab.wait_for(f"({TEXT})('welcome-name-now').includes({json.dumps(default)})", timeout=20)
    tab.evaluate("(() => { document.querySelector('[data-testid=\"welcome-name-input\"]').value = 'ゆき';"
                 " document.querySelector('[data-testid=\"welcome-name-save\"]').click(); })()")
    tab.wait_for(f"({TEXT})('welcome-name-status') === {json.dumps(locale_message('en', 'welcome_saved'))}",
                 timeout=30)
    assert signature_text(omamori_env) == f"ゆき · {default}"


def test_an_update_does_not_open_it_again(playwright, tmp_path, omamori_env, fake_x):
    """Installed, the page opens; the same profile started with a newer version of the extension (an update:
    runtime.onInstalled with reason "update") opens nothing."""
    extension = tmp_path / "extension"
    shutil.copytree(EXTENSION, extension)  # the manifest's key keeps the id of the copy
    profile = tmp_path / "profile"
    profile.mkdir()
    start = lambda: Chromium(playwright, user_data_dir=profile, extension=extension, fake_x=fake_x,  # noqa: E731
                             env={**omamori_env, "LANGUAGE": "en"})
    browser = start()
    browser.opened_tab(WELCOME_PAGE)
    browser.close()

    manifest = json.loads((extension / "manifest.json").read_text())
    manifest["version"] = "999.0.0"
    (extension / "manifest.json").write_text(json.dumps(manifest))
    browser = start()
    try:
        worker = browser.context.service_workers[0]
        assert worker.evaluate("chrome.runtime.getManifest().version") == "999.0.0", "the update was not loaded"
        with pytest.raises(TimeoutError):
            browser.opened_tab(WELCOME_PAGE, timeout=5)
    finally:
        browser.close()
