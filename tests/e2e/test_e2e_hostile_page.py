"""A script in the x.com page (an XSS, a compromised third-party script) gets nothing from omamori (issue 15): it
cannot have an image protected with the person's key through a composer it builds and events it dispatches, cannot
press the overlay's buttons, and cannot tell omamori is installed by fetching the extension's files."""
from __future__ import annotations

import json

import pytest

from browsers import BUTTON_CENTRE, Chromium, files_payload
from checks import (EDITOR_READY, OVERLAY, assert_handed_to_x, assert_original_uploaded, click_overlay_button, overlay_when,
                    run_omamori)

pytestmark = pytest.mark.e2e

PROTECT_TIMEOUT = 150  # s, as in test_e2e_attach.py

# The attacker's page script: a hidden composer of its own (an editor and X's picker, as omamori's selectors know
# them), the image put on its picker, then a change, a drop and a paste made by the script. What comes back on its
# picker (omamori hands protected files to X that way) is kept in window.stolen.
HOSTILE_COMPOSER_JS = """(files) => {
  const make = () => {
    const transfer = new DataTransfer();
    for (const file of JSON.parse(files)) {
      const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], file.name, {type: file.type}));
    }
    return transfer;
  };
  const composer = document.createElement("div");
  composer.style.cssText = "position: fixed; left: -9999px; top: 0; width: 10px; height: 10px; overflow: hidden";
  composer.innerHTML = '<div data-testid="tweetTextarea_9" role="textbox" contenteditable="true"></div>'
    + '<div data-testid="toolBar"><input type="file" data-testid="fileInput" multiple></div>';
  (document.querySelector("main") ?? document.body).append(composer);
  const picker = composer.querySelector("input");
  const editor = composer.querySelector('[role="textbox"]');
  picker.files = make().files;
  picker.dispatchEvent(new Event("change", {bubbles: true}));
  for (const type of ["dragenter", "dragover", "drop"]) {
    editor.dispatchEvent(new DragEvent(type, {dataTransfer: make(), bubbles: true, cancelable: true, composed: true}));
  }
  editor.dispatchEvent(new ClipboardEvent("paste", {clipboardData: make(), bubbles: true, cancelable: true}));
  // From now on (the events above were dispatched synchronously), a change on the picker is omamori handing files.
  window.stolen = [];
  picker.addEventListener("change", () => window.stolen.push(...[...picker.files].map((f) => `${f.name} ${f.type}`)));
  return true;
}"""

# Before the overlay exists, the page tries to get its shadow root handed over (a patched attachShadow).
CATCH_SHADOW_ROOTS_JS = """() => {
  const attach = Element.prototype.attachShadow;
  window.caughtRoots = [];
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, {...init, mode: "open"});
    window.caughtRoots.push(root);
    return root;
  };
  return true;
}"""

# Every way a page script has at a button it cannot see: the host's shadowRoot, a caught root, the element at the
# button's place on the screen, synthetic clicks there and on the host.
PRESS_ATTACH_ORIGINAL_JS = """([x, y]) => {
  const host = document.querySelector('[data-testid="omamori-overlay"]');
  const reached = [host.shadowRoot, ...window.caughtRoots].filter(Boolean)
    .map((root) => root.querySelector('[data-testid="omamori-attach-original"]')).filter(Boolean);
  for (const button of reached) button.click();
  const there = document.elementFromPoint(x, y);
  for (const target of [there, host]) {
    target.click();
    for (const type of ["pointerdown", "mousedown", "pointerup", "mouseup", "click"]) {
      target.dispatchEvent(new MouseEvent(type, {bubbles: true, composed: true, clientX: x, clientY: y}));
    }
  }
  return {reached: reached.length, there: there === host ? "host" : there.tagName};
}"""


def ledger_total(env) -> int:
    return json.loads(run_omamori(env, "history", "--json", "--limit", "1").stdout)["total"]


def call(tab, function: str, argument):
    """Run `function(argument)` as the page's own script (the main world)."""
    return tab.evaluate(f"({function})({json.dumps(argument)})")


def test_page_made_events_get_nothing_protected(launch_browser, fake_x, art, omamori_env, tmp_path):
    browser = launch_browser()
    tab = browser.new_tab("https://x.com/compose/post")
    tab.wait_for(EDITOR_READY)

    assert call(tab, HOSTILE_COMPOSER_JS, json.dumps(files_payload([art["illustration0.png"]])))
    # X itself takes the page's files (it accepts untrusted events), and the panel may say what omamori did about
    # Grok's edits for them; but no image of the page's is at omamori (which would have opened its panel as the
    # events were dispatched).
    overlay = tab.evaluate(OVERLAY)
    assert overlay is None or overlay["items"] == [], f"omamori took up an image a page script attached: {overlay}"

    # Then a person attaches an image, in a tab of their own. Protect requests run one at a time, whatever the tab,
    # so any image the script got in would be protected (and recorded in the ledger) before this one.
    person = browser.new_tab("https://x.com/compose/post")
    person.wait_for(EDITOR_READY)
    if isinstance(browser, Chromium):
        person.drop_files([art["illustration1.png"]])
    else:
        person.choose_files([art["illustration1.png"]])
    overlay = person.wait_for(overlay_when("o.finished && o.items.length"), timeout=PROTECT_TIMEOUT)
    assert overlay["items"] == ["protected"], overlay
    assert tab.evaluate("window.stolen") == [], "the page's own composer received files from omamori"
    assert ledger_total(omamori_env) == 1, "the ledger records more than the person's own image"
    fake_x.wait_for_uploads(1, pump=person.pump)


def test_page_cannot_press_attach_the_original(launch_browser, fake_x, art):
    browser = launch_browser(host="absent")
    tab = browser.new_tab("https://x.com/compose/post")
    tab.wait_for(EDITOR_READY)
    assert call(tab, CATCH_SHADOW_ROOTS_JS, None)
    tab.choose_files([art["photo.jpg"]])
    tab.wait_for(overlay_when("o.phase === 'asking'"), timeout=60)

    place = tab.in_overlay(BUTTON_CENTRE, "omamori-attach-original")
    tried = call(tab, PRESS_ATTACH_ORIGINAL_JS, place)
    assert tried == {"reached": 0, "there": "host"}, f"the page reached into the overlay: {tried}"
    # A click that counted would have handed the original over before the page's script returned.
    assert_handed_to_x(tab, fake_x, [])
    assert tab.evaluate(OVERLAY)["phase"] == "asking"

    click_overlay_button(tab, "omamori-attach-original")  # the person's own click still works
    [upload] = fake_x.wait_for_uploads(1, pump=tab.pump, timeout=20)
    assert_original_uploaded(upload, art["photo.jpg"])
    assert_handed_to_x(tab, fake_x, ["photo.jpg"])


def test_page_cannot_detect_omamori_by_its_files(launch_chromium):
    # Chromium's extension id is the same for everyone (the manifest's key): a web-accessible file would answer.
    browser = launch_chromium()
    tab = browser.new_tab("https://x.com/compose/post")
    tab.wait_for(EDITOR_READY)
    answers = tab.evaluate(f"""Promise.all({json.dumps([browser.extension_url(path) for path in (
        "content/main.js", "content/bundle.js", "content/selectors.js", "lib/messages.js", "manifest.json")])}
      .map((url) => fetch(url).then((r) => `${{url}}: ${{r.status}}`, () => null)))""")
    assert answers == [None] * 5, f"the page can fetch omamori's files: {answers}"
