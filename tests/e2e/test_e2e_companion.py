"""The WebSocket companion path: no native messaging, `omamori serve` running with a pairing token, and attaching an
image still reaches X protected (issue 6, item 6)."""
from __future__ import annotations

import re
import subprocess

import pytest

from checks import EDITOR_READY, EXTENSION, assert_protected, omamori_command, overlay_when

pytestmark = pytest.mark.e2e


@pytest.fixture
def companion_server(omamori_env):
    """`omamori serve --pair` on a free loopback port: yields (url, token) as it printed them."""
    server = subprocess.Popen([omamori_command(), "serve", "--pair", "--port", "0", "--extension", str(EXTENSION)],
                              env=omamori_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    printed, token, url = [], None, None
    for line in server.stdout:  # the token is printed first, then the address; EOF if the server gave up
        printed.append(line)
        token = token or (re.search(r"\b([0-9a-f]{32})\b", line) or [None, None])[1]
        found = re.search(r"ws://127\.0\.0\.1:\d+", line)
        if found:
            url = found.group(0)
            break
    if not (token and url):
        server.kill()
        server.wait()
        pytest.fail(f"omamori serve did not print a token and an address:\n{''.join(printed)}", pytrace=False)
    yield url, token
    server.terminate()
    server.wait(timeout=10)
    server.stdout.close()


def test_companion_server_protects_without_native_messaging(launch_chromium, companion_server, fake_x, art,
                                                           omamori_env, tmp_path):
    url, token = companion_server
    browser = launch_chromium(host="absent")

    # The person pastes the address and the token into the options page, as `omamori serve` tells them to.
    options = browser.new_tab(browser.extension_url("options/options.html"))
    options.page.check('[data-testid="options-connection-websocket"]')
    options.page.fill('[data-testid="options-server-url"]', url)
    options.page.fill('[data-testid="options-token"]', token)
    options.page.click('[data-testid="options-connection-save"]')
    options.wait_for("document.querySelector('[data-testid=\"options-connection-status\"]').textContent !== ''")

    tab = browser.new_tab("https://x.com/compose/post")
    tab.wait_for(EDITOR_READY)
    original = art["illustration2.png"]
    tab.choose_files([original])
    overlay = tab.wait_for(overlay_when("o.finished"), timeout=150)
    assert overlay["items"] == ["protected"], overlay
    [upload] = fake_x.wait_for_uploads(1, pump=tab.pump)
    assert_protected(upload, original, env=omamori_env, folder=tmp_path)
