"""What the tests check on the outcome: the omamori CLI's word on an image, the overlay's state, files untouched."""
from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from browsers import InOverlay
from fakex import Upload
import pictures

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "extension"
SCREENSHOTS = REPO / "artifacts" / "screenshots"  # kept by CI; the README names this folder
WELCOME_PAGE = "welcome/welcome.html"  # the first-run page, opened by the extension when it is installed
# The first-run page has the program's answer (and, from a program that answered, the signature text).
WELCOME_SETTLED = "document.querySelector('[data-testid=\"welcome\"]').getAttribute('aria-busy') === 'false'"


def locale_message(language: str, key: str) -> str:
    """The extension's own sentence for `key` in `language` ("en", "ja"), from its _locales."""
    messages = json.loads((EXTENSION / "_locales" / language / "messages.json").read_text(encoding="utf-8"))
    return messages[key]["message"]


def wait_until(predicate: Callable[[], bool], *, pump: Callable[[], None], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        pump()


def omamori_command() -> str:
    """The `omamori` of the Python running the tests (tests/run.sh uses a venv it does not activate), else PATH's."""
    beside = Path(sys.executable).parent / "omamori"
    found = str(beside) if beside.exists() else shutil.which("omamori")
    if found is None:
        pytest.fail("the omamori command is not on PATH: install the package first (pip install -e '.[test]')",
                    pytrace=False)
    return found


def run_omamori(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run([omamori_command(), *args], env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"omamori {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def verify(env: dict[str, str], path: Path) -> dict:
    """What `omamori verify --json` says of an image, with the test's key and ledger."""
    return json.loads(run_omamori(env, "verify", "--json", str(path)).stdout)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_protected(upload: Upload, original: Path, *, env: dict[str, str], folder: Path) -> None:
    """What X received is a JPEG carrying this user's mark and the visible signature."""
    assert upload.media_type == "image/jpeg", f"X received {upload.media_type}, not the protected JPEG"
    received = pictures.decode(upload.data)
    assert received.format == "JPEG"
    assert_marked(upload, env=env, folder=folder)
    assert_signature(pictures.decode(original.read_bytes()), received)


def assert_marked(upload: Upload, *, env: dict[str, str], folder: Path) -> None:
    """``omamori verify`` finds this user's mark in what X received, and the ledger holds exactly those bytes."""
    saved = folder / f"received-{upload.media_id}.{'png' if upload.media_type == 'image/png' else 'jpg'}"
    saved.write_bytes(upload.data)
    report = verify(env, saved)
    assert report["marked"] is True, f"omamori verify found no mark in what X received: {report}"
    assert report["mark"]["own"] is True, f"the mark is not this user's: {report}"
    # The host that the browser started kept its ledger in the test's OMAMORI_HOME, and X got exactly those bytes --
    # unless X's web client encoded them once more (a JPEG under 6 pixels per byte, docs/x-client.md): then the
    # ledger still knows the picture, not the bytes.
    if upload.client_reencode:
        assert report["ledger_match"], f"X's client re-encode of the protected file is not in the ledger: {report}"
    else:
        assert report["ledger_match"] and report["ledger_match"]["exact"] is True, f"not in the ledger as sent: {report}"


def assert_original_uploaded(upload: Upload, original: Path) -> None:
    """X received the person's original file: its very bytes, or -- when X's web client encodes it once more (a JPEG
    under 6 pixels per byte, as a quality-95 photo is; fixtures/README.md) -- the same picture."""
    if not upload.client_reencode:
        assert upload.data == original.read_bytes(), "X did not receive the original file"
        return
    assert upload.client_reencode == "jpeg_under_6_pixels_per_byte", upload.client_reencode
    sent, kept = pictures.decode(original.read_bytes()), pictures.decode(upload.data)
    assert sent.size == kept.size
    mse = float(np.mean(np.square(pictures.as_float(sent) - pictures.as_float(kept))))
    assert 10 * np.log10(1 / mse) > 30, "X's client re-encode is not the original picture"


def assert_signature(original, received) -> None:
    """The default corner signature is visible: a clear share of its corner band differs strongly from the original
    and almost nothing else does (measured: 7-8 % inside, at most 0.02 % outside on the test illustrations)."""
    from omamori.settings import Settings

    signature = Settings().signature
    inside, outside = pictures.signature_contrast(original, received, corner=signature.corner, size=signature.size)
    assert inside > 0.02 and inside > 20 * outside, (
        f"no visible signature in the {signature.corner} corner: {inside:.4f} of its band changed strongly, "
        f"{outside:.4f} elsewhere")


EDITOR_READY = "document.querySelector('[data-testid=\"tweetTextarea_0\"]') !== null"

# The overlay's state as plain data: phase, whether it handed the files over, each item's state and status text.
OVERLAY = InOverlay("""(overlay, root) => {
  const all = (id) => [...root.querySelectorAll(`[data-testid="${id}"]`)];
  return {
    phase: overlay.dataset.phase, finished: overlay.dataset.finished === "true",
    title: root.querySelector('[data-testid="omamori-overlay-title"]')?.textContent ?? "",
    items: all("omamori-item").map((item) => item.dataset.state),
    statuses: all("omamori-item-status").map((status) => status.textContent),
    applied: all("omamori-applied").map((applied) => applied.textContent),
    warnings: all("omamori-warning").map((warning) => warning.textContent),
    buttons: all("omamori-attach-original").concat(all("omamori-cancel"), all("omamori-close")).map((b) => b.dataset.testid),
    notes: Object.fromEntries(all("omamori-notice").filter((n) => n.dataset.note).map((n) => [n.dataset.note, n.textContent])),
    folded: overlay.dataset.folded === "true", panelShown: root.querySelector(".panel")?.checkVisibility() ?? false,
    mark: ((mark) => mark && {
      text: mark.textContent, partial: mark.dataset.partial === "true", shown: mark.checkVisibility(),
      box: ((box) => ({top: box.top, bottom: box.bottom, width: box.width, height: box.height}))(mark.getBoundingClientRect()),
    })(root.querySelector('[data-testid="omamori-mark"]')),
  };
}""")


def overlay_when(condition: str) -> InOverlay:
    """The overlay's state once `condition` (JS, on `o`) holds, else null (for tab.wait_for and tab.evaluate)."""
    return InOverlay(f"(overlay, root) => {{ const o = ({OVERLAY})(overlay, root); return ({condition}) ? o : null; }}")


def click_overlay_button(tab, test_id: str) -> None:
    """A person's click on the overlay's button (the overlay ignores clicks a script makes)."""
    tab.click_in_overlay(test_id)


# The name of every file X's page was given, in order: fixtures/x_app.js records each as its handlers take it, so
# at any moment this is exactly what reached X (its uploads follow).
HANDED_TO_X = "window.omamoriFixtureReceived"
PROBE = base64.b64decode(  # a 1 x 1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")
# What a page script can do: give X's own picker a file (an untrusted event, which omamori leaves to X).
GIVE_X_THE_PROBE = """(data) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], "probe.png", {type: "image/png"}));
  const picker = document.querySelector('[data-testid="fileInput"]');
  picker.files = transfer.files;
  picker.dispatchEvent(new Event("change", {bubbles: true}));
  return true;
}"""


def assert_handed_to_x(tab, fake_x, names: list[str]) -> None:
    """X's page was given exactly the files ``names``, in that order, and began one upload for each."""
    assert tab.evaluate(HANDED_TO_X) == names, f"X's page was given {tab.evaluate(HANDED_TO_X)}, not {names}"
    assert len(fake_x.started_uploads()) == len(names), f"X began {len(fake_x.started_uploads())} uploads, not {len(names)}"


def assert_nothing_reached_x(tab, fake_x) -> None:
    """At a state the test waited for (the person has not chosen, or omamori is done): X's page was given nothing and
    upload.x.com saw no request. Then a file that a page script gives X's own picker is given and uploaded as the only
    one: the check sees what reaches X after that state, so a late upload would have been seen."""
    assert tab.evaluate(HANDED_TO_X) == [], f"X's page was given {tab.evaluate(HANDED_TO_X)}"
    assert fake_x.upload_requests == [], "something was uploaded"
    assert tab.evaluate(f"({GIVE_X_THE_PROBE})({json.dumps(base64.b64encode(PROBE).decode())})")
    [upload] = fake_x.wait_for_uploads(1, pump=tab.pump, timeout=20)
    assert upload.data == PROBE
    assert_handed_to_x(tab, fake_x, ["probe.png"])


ATTACHED = "[...document.querySelectorAll('[data-testid=\"attachments\"] img')].map((img) => img.dataset.fileType)"


# Hosts that misbehave, standing in for a broken install (the real host is used everywhere else).
CRASHING_HOST = """#!/bin/sh
# Reads the start of the first request, then dies without answering, as a host that crashes does.
head -c 4 >/dev/null
exit 70
"""
SILENT_HOST = """#!/bin/sh
# Starts and reads, but never answers: a host that hangs. (No exec: the shell keeps the answer pipe open, as a hung
# host does; cat's own output goes nowhere.)
cat >/dev/null
"""


# The live signature preview (lib/signature-preview.js) of the options and first-run pages: the picture it shows, as
# base64 of its bytes (a blob: URL of the host's JPEG).
PREVIEW_BYTES = ("(async (container) => { const picture = container.querySelector('[data-testid=\"signature-preview-image\"]');"
                 " const bytes = new Uint8Array(await (await fetch(picture.src)).arrayBuffer());"
                 " let text = ''; for (const byte of bytes) text += String.fromCharCode(byte); return btoa(text); })")


def signature_fields(tab, form: str) -> dict:
    """The signature fields of the form `form` (a CSS selector) as the page sends them: name -> value, 0-1 for the
    fields shown in percent."""
    return tab.evaluate(f"Object.fromEntries([...document.querySelectorAll('{form} [name^=\"signature.\"]')]"
                        ".map((el) => [el.name, el.type === 'checkbox' ? el.checked"
                        " : el.type === 'number' ? Number(el.value) / Number(el.dataset.scale ?? 1) : el.value]))")


def shown_preview(tab, test_id: str) -> bytes:
    """The bytes of the preview in the container `test_id` once drawn (a change sets it drawing at once, so this
    waits for the new one)."""
    container = f"document.querySelector('[data-testid=\"{test_id}\"]')"
    tab.wait_for(f"{container}.dataset.state === 'drawn'", timeout=30)
    return base64.b64decode(tab.evaluate(f"({PREVIEW_BYTES})({container})"))


def host_preview(omamori_env, monkeypatch, options: dict) -> bytes:
    """What the host draws for these settings, asked directly (the same request, in this process)."""
    from omamori.paths import default_paths
    from omamori.protocol.envelope import Request
    from omamori.protocol.handlers import Host

    monkeypatch.setenv("OMAMORI_HOME", omamori_env["OMAMORI_HOME"])
    host = Host(default_paths(), transport="cli")
    try:
        reply = host.handle(Request(id="e2e", type="signature.preview", body={"options": options}))
    finally:
        host.close()
    assert reply["ok"], reply
    return reply["result"]["image"]


RELAY = Path(__file__).with_name("relay_host.py")


class Relay:
    """The relay host's launcher and what it logged (one line per event, from every relay process started)."""

    def __init__(self, folder: Path, mode: str) -> None:
        self.folder = folder / f"relay-{mode}"
        self.folder.mkdir()
        self.script = f"#!/bin/sh\nexec {sys.executable} {RELAY} {mode} {self.folder}\n"

    def events(self) -> list[dict]:
        path = self.folder / "events.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def protect_requests(self) -> list[dict]:
        return [e for e in self.events() if e["event"] == "request" and e["type"] == "protect"]

    def replies(self) -> list[dict]:
        return [e for e in self.events() if e["event"] == "reply"]

    def wait_for_protect_requests(self, count: int, *, pump) -> None:
        wait_until(lambda: len(self.protect_requests()) >= count, pump=pump, timeout=60,
                   what=f"{count} protect request(s) at the host")

    def release(self) -> None:
        """Let the held replies go (mode "hold")."""
        (self.folder / "release").touch()
