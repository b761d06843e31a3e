"""“omamori: is this mine?” on images of another site, in real Chromium with the real host (issue 20).

A fake site of the test's own (a real HTTP server: the page on http://127.0.0.1:PORT, its images on
http://localhost:PORT, another origin, with no CORS headers, so only granted site access can read them) shows a
picture the person protected, an unrelated one, and a reduced, re-encoded copy whose mark no longer reads.

What is exercised and what is not:
- The context-menu listener is the real one, called with the OnClickData Chromium passes for an image (menuItemId,
  mediaType, srcUrl, pageUrl, frameId) and the real tab: headless Chromium shows no context menu, and neither
  Playwright nor CDP can pick a menu entry, so the native menu and its user gesture are not exercised.
- The browser's permission question cannot be answered in headless Chromium (it stays open; tried:
  `--apps-gallery-install-auto-confirm-for-tests`, chrome://extensions' developerPrivate.addHostPermission, CDP
  Runtime.evaluate with userGesture on the worker). So at first use the test stands in for the question itself:
  `chrome.permissions.request` is replaced in the worker by a recorder that answers "Deny", which checks that the
  extension asks at that moment, for exactly the image's and the page's sites, and stops there. The person's
  "Allow" is then what Chromium stores for it (the sites in the extension's granted and active permissions in the
  profile's Preferences), and the browser is started again on that profile: from then on everything is real — the
  grant as Chromium reads it, the extension's own check that it need not ask again (the recorder must stay unused),
  the worker's fetch of the image with that grant, the real host's verify, the panel injected into the page.
- The evidence sheet is saved through the panel's button (a trusted click, Chromium's own download), opened in the
  real browser, and compared with `omamori verify --json` of the same bytes.
"""
from __future__ import annotations

import base64
import http.server
import json
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from browsers import Chromium, ChromiumTab
from checks import EXTENSION, SCREENSHOTS, locale_message, omamori_command, run_omamori, verify
from conftest import register_host
from fakex import FakeX
import pictures

pytestmark = pytest.mark.e2e

MENU_ID = "omamori-is-this-mine"
CHECK_TIMEOUT = 120  # s: first use of the host makes nothing new, but the machine is shared and small


class FakeSite:
    """Another website: /page.html with the test's pictures, served as the browser asks (no CORS headers)."""

    def __init__(self, images: dict[str, bytes]) -> None:
        self.images = images
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/page.html":
                    body, kind = site.page().encode(), "text/html; charset=utf-8"
                elif self.path.startswith("/img/") and self.path[5:] in site.images:
                    body, kind = site.images[self.path[5:]], "image/jpeg"
                else:
                    body, kind = b"not here", "text/plain"
                self.send_response(200 if kind != "text/plain" else 404)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, name="fake-site", daemon=True).start()

    @property
    def page_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/page.html"

    def image_url(self, name: str) -> str:
        return f"http://localhost:{self.port}/img/{name}"

    @property
    def inline_url(self) -> str:
        """The protected picture written into the page itself (a data: address, read without any site access)."""
        return "data:image/jpeg;base64," + base64.b64encode(self.images["protected.jpg"]).decode()

    def page(self) -> str:
        pictures_html = "".join(f'<img id="{Path(name).stem}" src="{self.image_url(name)}" width="320">'
                                for name in self.images) + f'<img id="inline" src="{self.inline_url}" width="320">'
        return f"<!DOCTYPE html><html><head><title>Reposts</title></head><body><h1>Found art</h1>{pictures_html}</body></html>"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site_and_files(tmp_path, omamori_env):
    """The protected picture (protected by the real CLI, so the ledger has it), an unrelated one, a reduced copy."""
    import numpy as np

    rng = np.random.default_rng(2026_12_02)
    original = tmp_path / "art.png"
    pictures.illustration(rng).save(original)
    protected = tmp_path / "protected.jpg"
    run_omamori(omamori_env, "protect", str(original), "-o", str(protected))
    unrelated = tmp_path / "unrelated.jpg"
    pictures.illustration(rng).save(unrelated, quality=90)
    copy = tmp_path / "copy.jpg"
    image = Image.open(protected)
    image.resize((image.width * 2 // 3, image.height * 2 // 3), Image.Resampling.BILINEAR).save(copy, quality=60)
    files = {"protected.jpg": protected, "unrelated.jpg": unrelated, "copy.jpg": copy}
    site = FakeSite({name: path.read_bytes() for name, path in files.items()})
    yield site, files
    site.close()


def start_chromium(playwright, profile: Path, env: dict[str, str]) -> Chromium:
    return Chromium(playwright, user_data_dir=profile, extension=EXTENSION, fake_x=FakeX(), env={**env, "LANGUAGE": "en"})


def worker(browser: Chromium):
    return browser.context.service_workers[0] if browser.context.service_workers else \
        browser.context.wait_for_event("serviceworker", timeout=15000)


# The person's answer to the permission question, recorded (see the module docstring): "Deny".
RECORD_QUESTIONS = """(() => {
  globalThis.questionsAsked = [];
  chrome.permissions.request = (permissions) => {
    globalThis.questionsAsked.push(permissions.origins);
    return Promise.resolve(false);
  };
})()"""


def click_menu(browser: Chromium, tab: ChromiumTab, page_url: str, src: str) -> None:
    """contextMenus.onClicked's listener, with what Chromium passes for a right-click on an image in the top frame
    of `tab` (brought to the front: without site access the extension cannot see tabs' addresses)."""
    tab.page.bring_to_front()
    worker(browser).evaluate("""async ([pageUrl, srcUrl, menuItemId]) => {
      const [tab] = await chrome.tabs.query({active: true, lastFocusedWindow: true});
      globalThis.omamoriMenuClicked({menuItemId, mediaType: "image", srcUrl, pageUrl, frameId: 0, editable: false},
                                    tab);
    }""", [page_url, src, MENU_ID])


PANEL = """async (pageUrl) => {
  const [tab] = await chrome.tabs.query({url: pageUrl});
  const [injection] = await chrome.scripting.executeScript({target: {tabId: tab.id}, func: () => {
    const root = globalThis.omamoriMinePanel?.root;
    const section = root?.querySelector('[data-testid="omamori-mine"]');
    if (!section) return null;
    const save = root.querySelector('[data-testid="omamori-mine-save"]')?.getBoundingClientRect();
    return {
      state: section.dataset.state, verdict: section.dataset.verdict ?? null,
      sentence: root.querySelector('[data-testid="omamori-mine-sentence"]').textContent,
      found: root.querySelector('[data-testid="omamori-mine-found"]')?.src ?? null,
      ledger: root.querySelector('[data-testid="omamori-mine-ledger"]')?.src?.slice(0, 23) ?? null,
      save: save ? {x: save.x + save.width / 2, y: save.y + save.height / 2} : null,
    };
  }});
  return injection.result;
}"""


def check(browser: Chromium, tab: ChromiumTab, page_url: str, src: str) -> dict:
    """Choose "omamori: is this mine?" on the image at `src`; the panel once it has answered about that image."""
    click_menu(browser, tab, page_url, src)
    deadline = time.monotonic() + CHECK_TIMEOUT
    while True:
        panel = worker(browser).evaluate(PANEL, page_url)
        if panel and panel["found"] == src and panel["state"] in ("done", "failed", "denied"):
            return panel
        assert time.monotonic() < deadline, f"no answer about {src} in the panel: {panel}"
        tab.pump()


def grant_as_allow_would(profile: Path, extension_id: str, origins: list[str]) -> None:
    """What Chromium stores when the person answers "Allow": the sites in the extension's granted and active
    permissions (Preferences, read when the browser starts)."""
    path = profile / "Default" / "Preferences"
    preferences = json.loads(path.read_text())
    settings = preferences["extensions"]["settings"][extension_id]
    for kind in ("granted_permissions", "active_permissions"):
        hosts = settings.setdefault(kind, {}).setdefault("explicit_host", [])
        settings[kind]["explicit_host"] = sorted(set(hosts) | set(origins))
    path.write_text(json.dumps(preferences))


def sheet_figures(tab: ChromiumTab) -> dict:
    return tab.evaluate("""Object.fromEntries([...document.querySelectorAll('[data-figure]')].map(
        (el) => [el.dataset.figure, el.dataset.value ?? el.textContent]))""")


def test_is_this_mine_on_another_site(playwright, tmp_path, omamori_env, site_and_files):
    site, files = site_and_files
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    register_host(omamori_env, user_data_dir=profile)
    sites = ["http://localhost/*", "http://127.0.0.1/*"]  # the image's site, the page's site

    # ---- installed: no access to any other site; first use asks for exactly the two sites, and "Deny" stops it
    browser = start_chromium(playwright, profile, omamori_env)
    try:
        granted = worker(browser).evaluate("chrome.permissions.getAll()")["origins"]
        assert not any(origin in granted for origin in sites), f"site access granted at install: {granted}"
        tab = browser.new_tab(site.page_url)
        worker(browser).evaluate(RECORD_QUESTIONS)
        click_menu(browser, tab, site.page_url, site.image_url("protected.jpg"))
        tab.page.wait_for_timeout(1500)
        assert worker(browser).evaluate("globalThis.questionsAsked") == [sites]
        assert worker(browser).evaluate(f"chrome.permissions.contains({{origins: {json.dumps(sites)}}})") is False
        extension_id = browser.extension_id
    finally:
        browser.close()

    # ---- the person allowed it: from now on nothing is asked again, and every answer comes from the real host
    grant_as_allow_would(profile, extension_id, sites)
    browser = start_chromium(playwright, profile, omamori_env)
    try:
        assert worker(browser).evaluate(f"chrome.permissions.contains({{origins: {json.dumps(sites)}}})") is True
        tab = browser.new_tab(site.page_url)
        tab.set_viewport(1100, 900)
        worker(browser).evaluate(RECORD_QUESTIONS)
        expected = verify(omamori_env, files["protected.jpg"])

        mine = check(browser, tab, site.page_url, site.image_url("protected.jpg"))
        assert mine["verdict"] == "yours", mine
        assert mine["sentence"] == f"Yes, this is yours (marked on {expected['mark']['date']}), certainty: very high."
        assert mine["found"] == site.image_url("protected.jpg") and mine["ledger"] == "data:image/jpeg;base64,"
        tab.screenshot(SCREENSHOTS / "is-this-mine-panel-yours.png")

        # the evidence sheet: saved through the panel's button, opened in the browser, same figures as --json
        with tab.page.expect_download() as download:
            tab.page.mouse.click(mine["save"]["x"], mine["save"]["y"])
        sheet_path = tmp_path / download.value.suggested_filename
        download.value.save_as(sheet_path)
        assert re.fullmatch(r"omamori-evidence-[0-9a-f]{12}\.html", sheet_path.name)
        sheet = browser.new_tab()
        sheet.set_viewport(1000, 900)
        sheet.goto(sheet_path.as_uri())
        assert sheet.evaluate("[...new Set([...document.querySelectorAll('[lang]')].map((el) => el.lang))].sort()") \
            == ["en", "ja"]
        assert sheet.evaluate("document.body.innerText").count("Yes, this is yours") == 1
        assert "はい、これはあなたの画像です" in sheet.evaluate("document.body.innerText")
        figures = sheet_figures(sheet)
        assert figures["confidence"] == repr(expected["confidence"])
        assert float(figures["false_positive_probability"]) == expected["false_positive_probability"]
        for field in ("id", "creator_id", "date"):
            assert figures[f"mark.{field}"] == expected["mark"][field]
        for field in ("time", "name", "sha256_original", "sha256_output"):
            assert figures[f"ledger_match.{field}"] == expected["ledger_match"][field]
        assert figures["sha256"] == expected["sha256"]
        assert site.image_url("protected.jpg") in sheet.evaluate("document.body.innerText")
        assert sheet.evaluate("[...document.images].every((img) => img.complete && img.naturalWidth > 0)")
        sheet.screenshot(SCREENSHOTS / "evidence-sheet.png")
        assert [line for line in sheet.console if line.startswith("error")] == []

        # an unrelated picture: not found
        other = check(browser, tab, site.page_url, site.image_url("unrelated.jpg"))
        assert other["verdict"] == "not_found" and other["sentence"] == locale_message("en", "mine_not_found")
        assert other["ledger"] is None

        # a reduced, re-encoded copy whose mark does not read: looks like yours, both pictures side by side
        unmarked = subprocess.run([omamori_command(), "verify", "--json", str(files["copy.jpg"])], env=omamori_env,
                                  capture_output=True, text=True, timeout=120)
        assert json.loads(unmarked.stdout)["marked"] is False, "the copy still carries a readable mark"
        copy = check(browser, tab, site.page_url, site.image_url("copy.jpg"))
        assert copy["verdict"] == "looks_like_yours", copy
        assert copy["sentence"].startswith(f"Looks like yours: it looks like the picture you protected on "
                                           f"{expected['ledger_match']['time'][:10]}.")
        assert copy["found"] == site.image_url("copy.jpg") and copy["ledger"] == "data:image/jpeg;base64,"
        tab.screenshot(SCREENSHOTS / "is-this-mine-panel-looks-like.png")

        # the same picture written into the page as a data: address: read there, no site named on the sheet
        inline = check(browser, tab, site.page_url, site.inline_url)
        assert inline["verdict"] == "yours", inline

        assert worker(browser).evaluate("globalThis.questionsAsked") == [], "asked again after the first use"
        assert [line for line in tab.console if line.startswith("error")] == []
    finally:
        browser.close()


ANSWER = """(() => {
  const section = document.querySelector('[data-testid="omamori-mine"]');
  if (!section || !["done", "failed"].includes(section.dataset.state)) return null;
  return {state: section.dataset.state, verdict: section.dataset.verdict ?? null,
          sentence: section.querySelector('[data-testid="omamori-mine-sentence"]').textContent,
          pictures: [...section.querySelectorAll('img')].map((img) => img.naturalWidth > 0),
          save: Boolean(section.querySelector('[data-testid="omamori-mine-save"]'))};
})()"""


def drop_file(tab: ChromiumTab, selector: str, path: Path) -> None:
    """A trusted drag and drop of a real file onto `selector`, through Chromium's input pipeline (CDP)."""
    target = tab.page.locator(selector)
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    session = tab.page.context.new_cdp_session(tab.page)
    data = {"items": [], "files": [str(path)], "dragOperationsMask": 1}
    for kind in ("dragEnter", "dragOver", "drop"):
        session.send("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data})
    session.detach()


def test_a_picture_dropped_on_the_options_page_or_the_popup(launch_chromium, site_and_files, omamori_env):
    _, files = site_and_files
    browser = launch_chromium(language="ja")
    expected = verify(omamori_env, files["protected.jpg"])

    options = browser.new_tab(browser.extension_url("options/options.html"))
    options.set_viewport(900, 1000)
    options.wait_for("document.querySelector('[aria-busy=\"false\"]')")
    assert options.evaluate("document.querySelector('[data-testid=\"options-ledger-thumbnails\"]').checked") is True
    drop_file(options, '[data-testid="options-mine-zone"]', files["protected.jpg"])
    dropped = options.wait_for(ANSWER, timeout=CHECK_TIMEOUT)
    certainty = locale_message("ja", "mine_certainty_very_high")
    assert dropped["verdict"] == "yours", dropped
    assert dropped["sentence"] == locale_message("ja", "mine_yours").replace("$DATE$", expected["mark"]["date"]) \
        .replace("$CERTAINTY$", certainty)
    assert dropped["pictures"] == [True, True] and dropped["save"]
    options.page.locator('[data-testid="options-mine"]').scroll_into_view_if_needed()
    options.page.locator('[data-testid="options-mine"]').screenshot(path=str(SCREENSHOTS / "is-this-mine-options-ja.png"))
    assert [line for line in options.console if line.startswith("error")] == []

    popup = browser.new_tab(browser.extension_url("popup/popup.html"))
    popup.set_viewport(380, 900)
    drop_file(popup, '[data-testid="popup-mine-zone"]', files["copy.jpg"])
    chosen = popup.wait_for(ANSWER, timeout=CHECK_TIMEOUT)
    assert chosen["verdict"] == "looks_like_yours", chosen
    assert chosen["sentence"].startswith(locale_message("ja", "mine_looks_like").split("$DATE$")[0])
    assert chosen["pictures"] == [True, True]
    assert [line for line in popup.console if line.startswith("error")] == []
