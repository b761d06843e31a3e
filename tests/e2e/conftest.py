"""Fixtures of the end-to-end tests: a temporary omamori home, the real host registered by the real installer, the
real extension in real browsers (Chromium via Playwright, firefox-esr via WebDriver BiDi), x.com answered by FakeX.

Every test gets its own browser profile, HOME and OMAMORI_HOME, so keys, ledgers and host manifests never leak
between tests or into the person's own setup. A missing browser fails the test with the command that installs it.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helpers beside this file: fakex, bidi, browsers, pictures, checks
sys.path.insert(1, str(Path(__file__).parents[1]))  # and tests/ (cloak_model) when e2e runs alone

from browsers import Chromium, Firefox  # noqa: E402
from checks import EXTENSION, WELCOME_PAGE, WELCOME_SETTLED, run_omamori  # noqa: E402
from fakex import FakeX  # noqa: E402
import pictures  # noqa: E402

# Per module, not per session: Playwright's sync API keeps an asyncio loop running in this thread until it
# stops, and the server tests that run after the e2e modules need asyncio.run().
@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def omamori_env(tmp_path) -> dict[str, str]:
    """The environment the browsers, and through them the host, run in: HOME and OMAMORI_HOME are temporary."""
    home = tmp_path / "home"
    home.mkdir()
    return {**os.environ, "HOME": str(home), "OMAMORI_HOME": str(tmp_path / "omamori-home"), "LANG": "C.UTF-8"}


@pytest.fixture
def extension_ids():
    from omamori.install.browsers import ExtensionIds

    if not (EXTENSION / "manifest.json").exists():
        pytest.fail(f"no extension at {EXTENSION} (manifest.json missing)", pytrace=False)
    return ExtensionIds.load(EXTENSION)


@pytest.fixture
def fake_x() -> FakeX:
    return FakeX()


def register_host(env: dict[str, str], *, user_data_dir: Path | None = None, browser: str | None = None) -> None:
    """The real installer registers the real host: `omamori install`, as the README tells a person to run it."""
    args = ["install", "--extension", str(EXTENSION)]
    if user_data_dir is not None:
        args += ["--user-data-dir", str(user_data_dir)]
    if browser is not None:
        args += ["--browser", browser]
    run_omamori(env, *args)


def register_broken_host(script: str, manifest_dir: Path, *, family: str, ids, tmp_path: Path) -> None:
    """A manifest written by the installer's own manifest code, pointing at a misbehaving host script."""
    from omamori.install.browsers import MANIFEST_FILE, manifest_bytes

    launcher = tmp_path / "broken-host.sh"
    launcher.write_text(script)
    launcher.chmod(0o755)
    manifest_dir.mkdir(parents=True, exist_ok=True)
    (manifest_dir / MANIFEST_FILE).write_bytes(manifest_bytes(family, launcher=launcher, ids=ids))


def first_run_page(browser, *, host: str, keep: bool) -> None:
    """A fresh install opens the first-run page by itself, and it asks the host for its state and settings. A test of
    the page (`keep`) starts once the page has the host's answers, and so does one with a host script of its own (a
    relay or a broken host), whose requests it reads: the host sees the same requests on every run. Any other test
    starts with the page closed as soon as it is open: the tabs it counts are the same on every run, and it does not
    wait for the page's host (its own first request starts it) nor share the machine with the page's preview."""
    tab = browser.opened_tab(WELCOME_PAGE)
    if keep or host not in ("installed", "absent"):
        tab.wait_for(WELCOME_SETTLED, timeout=30)
    else:
        tab.close()


@pytest.fixture
def launch_chromium(playwright, tmp_path, omamori_env, fake_x, extension_ids):
    """launch(host=..., language=..., keep_first_run_page=...) starts Chromium with the extension; host is
    "installed" (the real one, by the real installer), "absent" (nothing registered), or CRASHING_HOST / SILENT_HOST;
    language ("en", "ja") is both the browser's and the X account's; keep_first_run_page: see first_run_page."""
    started: list[Chromium] = []

    def launch(*, host: str = "installed", language: str = "en", keep_first_run_page: bool = False) -> Chromium:
        fake_x.language = language  # the X account's language: X serves its pages in it
        user_data_dir = tmp_path / f"chromium-profile-{len(started)}"
        user_data_dir.mkdir()
        if host == "installed":
            register_host(omamori_env, user_data_dir=user_data_dir)
        elif host != "absent":
            register_broken_host(host, user_data_dir / "NativeMessagingHosts", family="chromium", ids=extension_ids,
                                 tmp_path=tmp_path)
        # Chromium takes its UI language, and so the extension's, from LANGUAGE (ja needs chromium-l10n).
        browser = Chromium(playwright, user_data_dir=user_data_dir, extension=EXTENSION, fake_x=fake_x,
                           env={**omamori_env, "LANGUAGE": language})
        started.append(browser)
        first_run_page(browser, host=host, keep=keep_first_run_page)
        return browser

    yield launch
    for browser in started:
        browser.close()


@pytest.fixture
def launch_firefox(tmp_path, omamori_env, fake_x, extension_ids):
    started: list[Firefox] = []

    def launch(*, host: str = "installed", language: str = "en", keep_first_run_page: bool = False) -> Firefox:
        fake_x.language = language  # the X account's language (Firefox's own UI, and so the extension's, stays en)
        home = Path(omamori_env["HOME"])
        if host == "installed":
            register_host(omamori_env, browser="firefox")
        elif host != "absent":
            register_broken_host(host, home / ".mozilla" / "native-messaging-hosts", family="firefox",
                                 ids=extension_ids, tmp_path=tmp_path)
        browser = Firefox(home=home, extension=EXTENSION, fake_x=fake_x, env=omamori_env)
        started.append(browser)
        first_run_page(browser, host=host, keep=keep_first_run_page)
        return browser

    yield launch
    for browser in started:
        browser.close()


@pytest.fixture(params=["chromium", "firefox"])
def launch_browser(request):
    """Either browser: the tests that must hold in both."""
    return request.getfixturevalue(f"launch_{request.param}")


# ---- images ----


@pytest.fixture
def art(tmp_path) -> dict[str, Path]:
    """Files a person would attach, drawn fresh for each test: name -> path."""
    rng = np.random.default_rng(20261121)
    folder = tmp_path / "pictures"
    folder.mkdir()
    paths = {}
    for index in range(4):
        picture = pictures.illustration(rng)
        paths[f"illustration{index}.png"] = folder / f"illustration{index}.png"
        picture.save(paths[f"illustration{index}.png"])
    paths["photo.jpg"] = folder / "photo.jpg"
    pictures.illustration(rng).save(paths["photo.jpg"], quality=95)
    paths["pixels.png"] = folder / "pixels.png"
    pictures.pixel_art(rng).save(paths["pixels.png"])
    paths["anim.gif"] = folder / "anim.gif"
    pictures.animated_gif(rng, paths["anim.gif"])
    return paths
