"""The WebSocket companion path: no native messaging, `omamori serve` running with a pairing token, and attaching an
image still reaches X protected (issue 6, item 6); a program that took the server's port gets neither the token nor
an image, and cannot pass for the server (issue 15)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from checks import (EDITOR_READY, EXTENSION, assert_nothing_reached_x, assert_protected, locale_message, omamori_command,
                    overlay_when)

pytestmark = pytest.mark.e2e


def start_companion(env):
    """`omamori serve --pair` on a free loopback port: (process, url, token) as it printed them."""
    server = subprocess.Popen([omamori_command(), "serve", "--pair", "--port", "0", "--extension", str(EXTENSION)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
    return server, url, token


def stop(server) -> None:
    server.terminate()
    server.wait(timeout=10)
    server.stdout.close()


@pytest.fixture
def companion_server(omamori_env):
    """`omamori serve --pair` running: yields (url, token)."""
    server, url, token = start_companion(omamori_env)
    yield url, token
    stop(server)


def connect_in_options(browser, url: str, token: str):
    """The person pastes the address and the token into the options page, as `omamori serve` tells them to."""
    options = browser.new_tab(browser.extension_url("options/options.html"))
    options.page.check('[data-testid="options-connection-websocket"]')
    options.page.fill('[data-testid="options-server-url"]', url)
    options.page.fill('[data-testid="options-token"]', token)
    options.page.click('[data-testid="options-connection-save"]')
    options.wait_for("document.querySelector('[data-testid=\"options-connection-status\"]').textContent !== ''")
    return options


def test_companion_server_protects_without_native_messaging(launch_chromium, companion_server, fake_x, art,
                                                           omamori_env, tmp_path):
    url, token = companion_server
    browser = launch_chromium(host="absent")

    options = connect_in_options(browser, url, token)
    # The token is not kept where it could be read back: neither in the page nor in storage content scripts share.
    assert options.evaluate("document.querySelector('[data-testid=\"options-token\"]').value") == ""
    assert token not in json.dumps(options.evaluate("chrome.storage.local.get(null)"))

    tab = browser.new_tab("https://x.com/compose/post")
    tab.wait_for(EDITOR_READY)
    original = art["illustration2.png"]
    tab.choose_files([original])
    overlay = tab.wait_for(overlay_when("o.finished"), timeout=150)
    assert overlay["items"] == ["protected"], overlay
    [upload] = fake_x.wait_for_uploads(1, pump=tab.pump)
    assert_protected(upload, original, env=omamori_env, folder=tmp_path)


def test_a_program_on_the_servers_port_gets_no_token_and_no_image(launch_chromium, omamori_env, fake_x, art, tmp_path):
    # The person paired with the real server once; now it is down, and another program has its port.
    server, url, token = start_companion(omamori_env)
    stop(server)
    port = int(url.rsplit(":", 1)[1])
    record = tmp_path / "squatter.jsonl"
    squatter = subprocess.Popen([sys.executable, str(Path(__file__).with_name("squatter.py")), str(port), str(record)],
                                stdout=subprocess.PIPE, text=True)
    try:
        assert squatter.stdout.readline().strip() == "listening"
        browser = launch_chromium(host="absent")
        options = connect_in_options(browser, url, token)
        # Even with "on failure: attach the original" (as the squatter would like), nothing goes out by itself.
        options.evaluate("chrome.storage.local.set({onFailure: 'original'})")

        tab = browser.new_tab("https://x.com/compose/post")
        tab.wait_for(EDITOR_READY)
        original = art["illustration3.png"]
        tab.choose_files([original])
        overlay = tab.wait_for(overlay_when("o.phase === 'asking'"), timeout=60)
        assert overlay["items"] == ["failed"], overlay
        assert overlay["statuses"] == [locale_message("en", "error_server_unverified")], overlay
        assert_nothing_reached_x(tab, fake_x)  # asking, even with "attach the original": it waits for the person
    finally:
        squatter.terminate()
        squatter.wait(timeout=10)
    seen = [json.loads(line) for line in record.read_text().splitlines()]
    assert seen and all(entry["kind"] in ("connection", "text") for entry in seen), "the squatter was sent an image"
    assert not any(token in json.dumps(entry) for entry in seen), "the squatter received the pairing token"
    assert [json.loads(entry["text"])["type"] for entry in seen if entry["kind"] == "text"] == \
        ["auth.hello"] * sum(entry["kind"] == "connection" for entry in seen), f"more than the hello: {seen}"
