"""The options page offers the cloak only when the host has its model, and says how to get it otherwise (issue 8).

The only cloak run here is on a 64x48 picture (about a second); a real image takes a minute or more.
"""
from __future__ import annotations

import pytest

from checks import run_omamori
from cloak_model import MODELS, needs_model

pytestmark = pytest.mark.e2e

CLOAK_SETTLED = "document.querySelector('[data-testid=\"options-cloak\"]').dataset.state !== 'checking'"


def by_testid(testid: str, what: str) -> str:
    return f"document.querySelector('[data-testid=\"{testid}\"]').{what}"


def open_options(browser):
    tab = browser.new_tab()
    tab.goto(browser.extension_url("options/options.html"))
    tab.wait_for(CLOAK_SETTLED, timeout=20)
    return tab


def test_without_a_model_the_cloak_is_off_and_disabled_with_the_fetch_command(launch_chromium, omamori_env):
    omamori_env.pop("OMAMORI_MODELS", None)
    tab = open_options(launch_chromium())
    assert tab.evaluate(by_testid("options-cloak", "dataset.state")) == "missing"
    assert tab.evaluate(by_testid("options-cloak-enabled", "disabled")) is True
    assert tab.evaluate(by_testid("options-cloak-enabled", "checked")) is False   # off by default
    assert tab.evaluate(by_testid("options-cloak-strength", "disabled")) is True
    assert tab.evaluate(by_testid("options-cloak-missing", "hidden")) is False
    assert tab.evaluate(by_testid("options-cloak-command", "textContent")) == "omamori models fetch"
    assert "small extra effect" in tab.evaluate(by_testid("options-cloak-limits", "textContent"))
    assert tab.evaluate(by_testid("options-preview-run", "disabled")) is True


@needs_model
def test_with_the_model_installed_the_cloak_can_be_switched_on(launch_chromium, omamori_env):
    omamori_env.pop("OMAMORI_MODELS", None)
    run_omamori(omamori_env, "models", "fetch", "--from", str(MODELS))
    tab = open_options(launch_chromium())
    assert tab.evaluate(by_testid("options-cloak", "dataset.state")) == "available"
    assert tab.evaluate(by_testid("options-cloak-missing", "hidden")) is True
    assert tab.evaluate(by_testid("options-cloak-enabled", "disabled")) is False
    assert tab.evaluate(by_testid("options-cloak-enabled", "checked")) is False   # still off until the person says
    assert tab.evaluate(by_testid("options-cloak-strength", "value")) == "100"
    assert tab.evaluate(by_testid("options-preview-run", "disabled")) is False
    # Switching it on reaches the host's settings (one truth with the CLI).
    tab.evaluate(by_testid("options-cloak-enabled", "click()"))
    tab.evaluate(by_testid("options-save", "click()"))
    tab.wait_for(by_testid("options-status", "textContent") + " !== ''", timeout=20)
    assert "cloak.enabled = true" in run_omamori(omamori_env, "settings", "show").stdout.splitlines()


@needs_model
def test_what_an_ai_sees_shows_the_hosts_preview_of_a_picked_image(launch_chromium, omamori_env, tmp_path):
    """On a 64x48 picture, so the cloak behind it takes about a second."""
    from PIL import Image

    omamori_env.pop("OMAMORI_MODELS", None)
    run_omamori(omamori_env, "models", "fetch", "--from", str(MODELS))
    picture = tmp_path / "tiny.png"
    Image.radial_gradient("L").resize((64, 48)).convert("RGB").save(picture)
    tab = open_options(launch_chromium())
    tab.page.set_input_files('[data-testid="options-preview-file"]', str(picture))
    tab.evaluate(by_testid("options-preview-run", "click()"))
    tab.wait_for(by_testid("options-preview", "dataset.state") + " !== 'working'", timeout=60)
    assert tab.evaluate(by_testid("options-preview", "dataset.state")) == "done", \
        tab.evaluate(by_testid("options-preview-status", "textContent"))
    assert tab.evaluate(by_testid("options-preview-image", "hidden")) is False
    # the PNG from the host: both 64x48 reconstructions and the 4 px gap
    tab.wait_for(by_testid("options-preview-image", "naturalWidth") + " > 0", timeout=10)
    assert tab.evaluate(by_testid("options-preview-image", "naturalWidth")) == 64 + 4 + 64
    assert tab.evaluate(by_testid("options-preview-image", "naturalHeight")) == 48
