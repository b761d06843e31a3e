"""Real browsers with the real extension loaded, x.com answered by FakeX: Chromium through Playwright, firefox-esr
through WebDriver BiDi.

Both give tabs with one small interface (`Tab`), so a test written once runs in either browser.
"""
from __future__ import annotations

import base64
import http.server
import json
import mimetypes
import os
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Protocol

import pytest
from playwright.sync_api import Error as PlaywrightError, TimeoutError as PlaywrightTimeoutError

import executables
from bidi import BiDi, BiDiError
from fakex import HOSTS, FakeX, Request


# Chromium's flags for a machine without network: no first-run UI, no background fetches or component updates.
CHROMIUM_ARGS = ["--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Puts an image on the clipboard from the page, as copying it in another program would.
CLIPBOARD_WRITE_JS = """async ([data, type]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  await navigator.clipboard.write([new ClipboardItem({[type]: new Blob([bytes], {type})})]);
}"""
MEDIA_BUTTON = '[data-testid="toolBar"] [role="button"]:has(input[data-testid="fileInput"])'
X_EDITOR = '[data-testid="tweetTextarea_0"]'


def require_executable(browser: str) -> str:
    """The real browser's path ("chromium" or "firefox"); a missing one fails the test (CI installs them), it never
    skips. tests/run.sh leaves the e2e set out, saying so, where there is none (Ubuntu's Snap stubs)."""
    found = executables.find(browser)
    if found is None:
        pytest.fail(f"no real {browser} (the e2e tests need one): {executables.MISSING_HINT[browser]}", pytrace=False)
    return found


def files_payload(paths: list[Path]) -> list[dict]:
    return [{"name": path.name, "type": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
             "data": base64.b64encode(path.read_bytes()).decode()} for path in paths]


class InOverlay(str):
    """A JS function `(overlay, root) => value` run on omamori's overlay: its host element in the page and its closed
    shadow root, which page scripts cannot reach. The tabs reach it the way a browser's devtools do (CDP in Chromium,
    WebDriver BiDi in Firefox); `tab.evaluate` of one gives null when there is no overlay."""


OVERLAY_HOST = '[data-testid="omamori-overlay"]'
# Where a button in the overlay is on the screen, to click it as a person does (a page's click() counts for nothing).
BUTTON_CENTRE = """(overlay, root, testId) => {
  const box = root.querySelector(`[data-testid="${testId}"]`).getBoundingClientRect();
  return [box.x + box.width / 2, box.y + box.height / 2];
}"""


def poll(evaluate, expression: str, *, timeout: float, pump):
    """The value of `expression` once it is truthy (an exception in it counts as not yet)."""
    deadline = time.monotonic() + timeout
    guarded = expression if isinstance(expression, InOverlay) else \
        f"(() => {{ try {{ return ({expression}); }} catch {{ return null; }} }})()"
    while True:
        value = evaluate(guarded)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still falsy after {timeout:.0f} s: {expression}")
        pump()


class Tab(Protocol):
    def goto(self, url: str) -> None: ...
    def evaluate(self, expression: str): ...
    def wait_for(self, expression: str, *, timeout: float = 30.0): ...
    def choose_files(self, paths: list[Path]) -> None: ...
    def drop_files(self, paths: list[Path], *, target: str = X_EDITOR) -> None: ...
    def pump(self) -> None: ...
    def screenshot(self, path: Path) -> None: ...
    def close(self) -> None: ...


# ---------------------------------------------------------------- Chromium


def route_fake_x(context, fake_x: FakeX) -> None:
    def answer(route) -> None:
        request = route.request
        response = fake_x.handle(Request(request.method, request.url, request.all_headers(),
                                         request.post_data_buffer or b""))
        route.fulfill(status=response.status, headers=response.headers, body=response.body)

    for host in HOSTS:
        context.route(f"https://{host}/**", answer)


class LoopbackX:
    """FakeX over HTTPS on 127.0.0.1, for the requests Playwright's routing never sees: a tab the extension opens
    (chrome.tabs.create, as "Check now" does) starts loading before Playwright attaches to it (microsoft/playwright
    #12303). Chromium resolves X's hosts here (--host-resolver-rules) and accepts the throwaway certificate
    (--ignore-certificate-errors); routed requests never reach it. Same FakeX, so the state is shared."""

    def __init__(self, fake_x: FakeX, folder: Path) -> None:
        key, cert = folder / "x.key", folder / "x.crt"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=x.com",
                        "-addext", "subjectAltName=" + ",".join(f"DNS:{host}" for host in HOSTS),
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                request = Request(self.command, f"https://{self.headers['host'].split(':')[0]}{self.path}",
                                  {name.lower(): value for name, value in self.headers.items()}, self.rfile.read(length))
                response = fake_x.handle(request)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_GET = do_POST = do_OPTIONS = _answer

            def log_message(self, *args) -> None:  # the tests report what matters
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="loopback-x", daemon=True)
        self.thread.start()

    @property
    def chromium_args(self) -> list[str]:
        rules = ", ".join(f"MAP {host} 127.0.0.1:{self.port}" for host in HOSTS)
        return [f"--host-resolver-rules={rules}", "--ignore-certificate-errors"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ChromiumTab:
    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []  # console messages and uncaught errors, as "level: text"
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"error: {error}"))

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def set_viewport(self, width: int, height: int) -> None:
        self.page.set_viewport_size({"width": width, "height": height})

    def evaluate(self, expression: str):
        if isinstance(expression, InOverlay):
            return self.in_overlay(expression)
        return self.page.evaluate(expression)

    def in_overlay(self, function: str, *args):
        """`function(overlay, root, *args)` on the overlay (InOverlay), or None without one or when it throws."""
        session = self.page.context.new_cdp_session(self.page)
        try:
            document = session.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
            host = session.send("DOM.querySelector", {"nodeId": document, "selector": OVERLAY_HOST})["nodeId"]
            if not host:
                return None
            roots = session.send("DOM.describeNode", {"nodeId": host, "depth": 1, "pierce": True})["node"].get("shadowRoots")
            if not roots:
                return None
            handle = lambda **node: session.send("DOM.resolveNode", node)["object"]["objectId"]  # noqa: E731
            answer = session.send("Runtime.callFunctionOn", {
                "functionDeclaration": f"function (root, args) {{ try {{ return JSON.stringify(({function})(this, root, ...args)); }} "
                                       f"catch {{ return null; }} }}",
                "objectId": handle(nodeId=host),
                "arguments": [{"objectId": handle(backendNodeId=roots[0]["backendNodeId"])}, {"value": list(args)}],
                "returnByValue": True})
            value = answer["result"].get("value")
            return None if value is None else json.loads(value)
        except PlaywrightError as error:
            if "Could not find node" in error.message or "No node with given id" in error.message:
                return None  # the overlay was replaced or closed between two of these steps
            raise
        finally:
            session.detach()

    def click_in_overlay(self, test_id: str) -> None:
        """A person's click on a button of the overlay: a real mouse click where it shows."""
        x, y = self.in_overlay(BUTTON_CENTRE, test_id)
        self.page.mouse.click(x, y)

    def wait_for(self, expression: str, *, timeout: float = 30.0):
        # Polled with evaluate: wait_for_function evals its string in the page, which x.com's CSP forbids.
        return poll(self.evaluate, expression, timeout=timeout, pump=lambda: self.page.wait_for_timeout(100))

    def choose_files(self, paths: list[Path]) -> None:
        """As a person does: click X's media button, pick the files in the chooser X opens."""
        with self.page.expect_file_chooser() as chooser:
            self.page.click(MEDIA_BUTTON)
        chooser.value.set_files([str(path) for path in paths])

    def drop_files(self, paths: list[Path], *, target: str = X_EDITOR) -> None:
        """A trusted drag and drop of real files onto the editor (`target`), through Chromium's input pipeline."""
        box = self.page.locator(target).bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        session = self.page.context.new_cdp_session(self.page)
        data = {"items": [], "files": [str(path) for path in paths], "dragOperationsMask": 1}
        for kind in ("dragEnter", "dragOver", "drop"):
            session.send("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data})
        session.detach()

    def paste_image(self, path: Path, *, target: str = X_EDITOR, origin: str = "https://x.com") -> None:
        """A trusted Ctrl+V into the editor with a PNG image on the clipboard: Chromium hands the page a File
        ("image.png", re-encoded by the clipboard), as when a person pastes a copied picture. Headless Firefox's
        clipboard keeps no images, so paste is Chromium-only."""
        self.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        self.page.click(target)
        self.page.evaluate(CLIPBOARD_WRITE_JS, [base64.b64encode(path.read_bytes()).decode(), "image/png"])
        self.page.keyboard.press("Control+V")

    def pump(self) -> None:
        self.page.wait_for_timeout(50)

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)

    def close(self) -> None:
        self.page.close()


class Chromium:
    """Chromium with the unpacked extension, a fresh user-data-dir, and x.com answered by `fake_x`."""

    def __init__(self, playwright, *, user_data_dir: Path, extension: Path, fake_x: FakeX, env: dict[str, str]) -> None:
        executable = require_executable("chromium")
        self.loopback = LoopbackX(fake_x, user_data_dir.parent)
        args = [f"--disable-extensions-except={extension}", f"--load-extension={extension}", *CHROMIUM_ARGS,
                *self.loopback.chromium_args]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to start as root with its sandbox
        # Playwright adds --disable-extensions by default; the service worker only starts without it.
        self.context = playwright.chromium.launch_persistent_context(
            str(user_data_dir), headless=True, executable_path=executable, args=args,
            ignore_default_args=["--disable-extensions"], env=env)
        self.fake_x = fake_x
        route_fake_x(self.context, fake_x)
        worker = self.context.service_workers[0] if self.context.service_workers else \
            self.context.wait_for_event("serviceworker", timeout=15000)
        self.extension_id = worker.url.split("/")[2]

    def new_tab(self, url: str | None = None) -> ChromiumTab:
        tab = ChromiumTab(self.context.new_page())
        if url:
            tab.goto(url)
        return tab

    def extension_url(self, path: str) -> str:
        return f"chrome-extension://{self.extension_id}/{path}"

    def opened_tab(self, path: str, *, timeout: float = 15.0) -> ChromiumTab:
        """The tab showing the extension's page `path` that the extension opened by itself (not the test)."""
        url = self.extension_url(path)
        deadline = time.monotonic() + timeout
        while True:
            for page in self.context.pages:
                if page.url == url:
                    return ChromiumTab(page)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no tab opened at {url} in {timeout:.0f} s: {[p.url for p in self.context.pages]}")
            try:
                self.context.wait_for_event("page", timeout=200)
            except PlaywrightTimeoutError:
                pass  # none new: look again (a tab's address can change after it opened)

    def close(self) -> None:
        self.context.close()
        self.loopback.close()


# ---------------------------------------------------------------- Firefox

# WebDriver BiDi cannot drag files, and a drop a page makes is not a person's (omamori ignores it). Firefox's own
# tests (EventUtils.synthesizeDrop) make a trusted drop with privileged code in the page's process, dispatched
# through its PresShell; this frame script does the same. It runs there with system rights: the DataTransfer and
# the Files are made with the page's own constructors, since Firefox hides from the page files that privileged
# code put in a DataTransfer.
DROP_FRAME_SCRIPT = """
addMessageListener("omamori-test:drop", function drop({ data: { selector, files } }) {
  removeMessageListener("omamori-test:drop", drop);
  try {
    const page = content.wrappedJSObject;
    const transfer = new page.DataTransfer();
    for (const { name, type, bytes } of files) {
      transfer.items.add(new page.File(Cu.cloneInto([bytes], page), name, Cu.cloneInto({ type }, page)));
    }
    const target = content.document.querySelector(selector);
    const box = target.getBoundingClientRect();
    const at = { clientX: box.x + box.width / 2, clientY: box.y + box.height / 2 };
    for (const type of ["dragenter", "dragover", "drop"]) {
      const event = new content.DragEvent(type, { bubbles: true, cancelable: true, composed: true,
                                                  dataTransfer: transfer, ...at });
      content.windowUtils.dispatchDOMEventViaPresShellForTesting(target, event);
    }
    sendAsyncMessage("omamori-test:dropped", { error: null });
  } catch (error) {
    sendAsyncMessage("omamori-test:dropped", { error: String(error) });
  }
});
"""
# Run in the browser window's chrome context (BiDi `moz:scope`, Firefox started with --remote-allow-system-access):
# the files are read in the parent process (the page's process may not read the disk) and handed to the frame
# script of the selected tab.
DROP_FROM_CHROME = """async (script, selector, files) => {
  const manager = gBrowser.selectedBrowser.messageManager;
  const read = await Promise.all(JSON.parse(files).map(async ({ path, name, type }) => ({ name, type, bytes: await IOUtils.read(path) })));
  const dropped = new Promise((resolve) => manager.addMessageListener("omamori-test:dropped", function done({ data }) {
    manager.removeMessageListener("omamori-test:dropped", done);
    resolve(data.error);
  }));
  manager.loadFrameScript(`data:,${encodeURIComponent(script)}`, false);
  manager.sendAsyncMessage("omamori-test:drop", { selector, files: read });
  return dropped;
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FirefoxTab:
    def __init__(self, firefox: "Firefox", context: str) -> None:
        self.firefox = firefox
        self.context = context

    def goto(self, url: str) -> None:
        self.firefox.bidi.command("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def evaluate(self, expression: str):
        if isinstance(expression, InOverlay):
            return self.in_overlay(expression)
        # Results come back as JSON text, so both browsers return plain values. BiDi compiles the expression itself:
        # x.com's CSP forbids eval in the page.
        answer = self.firefox.bidi.command("script.evaluate", {
            "expression": f"(async () => JSON.stringify(await ({expression})))()", "awaitPromise": True,
            "target": {"context": self.context}, "resultOwnership": "none"})
        if answer["type"] == "exception":
            raise RuntimeError(f"page script failed: {answer['exceptionDetails']['text']}")
        value = answer["result"].get("value")
        return None if value is None else json.loads(value)

    def _overlay_nodes(self) -> list[dict] | None:
        """The overlay's host and closed shadow root as BiDi node references, or None without an overlay."""
        host = self.firefox.bidi.command("script.evaluate", {
            "expression": f"document.querySelector('{OVERLAY_HOST}')", "target": {"context": self.context},
            "awaitPromise": False, "resultOwnership": "root",
            "serializationOptions": {"maxDomDepth": 0, "includeShadowTree": "all"}})["result"]
        root = host.get("value", {}).get("shadowRoot") if host.get("type") == "node" else None
        return None if not root else [{"sharedId": host["sharedId"]}, {"sharedId": root["sharedId"]}]

    def in_overlay(self, function: str, *args):
        nodes = self._overlay_nodes()
        if nodes is None:
            return None
        answer = self.firefox.bidi.command("script.callFunction", {
            "functionDeclaration": f"(overlay, root, args) => {{ try {{ return JSON.stringify(({function})(overlay, root, ...JSON.parse(args))); }} "
                                   f"catch {{ return null; }} }}",
            "arguments": [*nodes, {"type": "string", "value": json.dumps(list(args))}],
            "target": {"context": self.context}, "awaitPromise": False, "resultOwnership": "none"})
        value = answer["result"].get("value")
        return None if value is None else json.loads(value)

    def click_in_overlay(self, test_id: str) -> None:
        """A person's click on a button of the overlay: WebDriver's pointer, on the button itself."""
        button = self.firefox.bidi.command("script.callFunction", {
            "functionDeclaration": "(overlay, root, testId) => root.querySelector(`[data-testid=\"${testId}\"]`)",
            "arguments": [*self._overlay_nodes(), {"type": "string", "value": test_id}],
            "target": {"context": self.context}, "awaitPromise": False, "resultOwnership": "root"})["result"]
        self.firefox.bidi.command("input.performActions", {"context": self.context, "actions": [{
            "type": "pointer", "id": "mouse", "actions": [
                {"type": "pointerMove", "x": 0, "y": 0, "origin": {"type": "element", "element": {"sharedId": button["sharedId"]}}},
                {"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0}]}]})

    def wait_for(self, expression: str, *, timeout: float = 30.0):
        return poll(self.evaluate, expression, timeout=timeout, pump=lambda: time.sleep(0.1))

    def choose_files(self, paths: list[Path]) -> None:
        """WebDriver BiDi's input.setFiles on X's file input: Firefox fires input and change as a chooser does."""
        node = self.firefox.bidi.command("script.evaluate", {
            "expression": 'document.querySelector(\'input[data-testid="fileInput"]\')',
            "target": {"context": self.context}, "awaitPromise": False, "resultOwnership": "root"})["result"]
        self.firefox.bidi.command("input.setFiles", {
            "context": self.context, "element": {"sharedId": node["sharedId"]}, "files": [str(p) for p in paths]})

    def drop_files(self, paths: list[Path], *, target: str = X_EDITOR) -> None:
        """A trusted drop of real files on `target` (a CSS selector), as Firefox's own tests make one: see
        DROP_FRAME_SCRIPT. The tab is brought to the front first (the drop goes to the window's selected tab)."""
        self.firefox.bidi.command("browsingContext.activate", {"context": self.context})
        files = [{"path": str(path), "name": path.name, "type": mimetypes.guess_type(path.name)[0] or ""}
                 for path in paths]
        answer = self.firefox.bidi.command("script.callFunction", {
            "functionDeclaration": DROP_FROM_CHROME, "awaitPromise": True, "resultOwnership": "none",
            "target": {"context": self.firefox.chrome_context},
            "arguments": [{"type": "string", "value": DROP_FRAME_SCRIPT}, {"type": "string", "value": target},
                          {"type": "string", "value": json.dumps(files)}]})
        if answer["type"] == "exception":
            raise RuntimeError(f"the drop failed in Firefox's chrome: {answer['exceptionDetails']['text']}")
        if answer["result"]["type"] != "null":
            raise RuntimeError(f"the drop failed in the page's process: {answer['result'].get('value')}")

    def pump(self) -> None:
        time.sleep(0.05)

    def screenshot(self, path: Path) -> None:
        data = self.firefox.bidi.command("browsingContext.captureScreenshot", {"context": self.context, "origin": "document"})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))

    def close(self) -> None:
        self.firefox.bidi.command("browsingContext.close", {"context": self.context})


class Firefox:
    """firefox-esr, headless, driven over WebDriver BiDi; HOME is `home`, so native messaging finds the host manifest
    in `home`/.mozilla/native-messaging-hosts and nothing of the real user's is touched."""

    def __init__(self, *, home: Path, extension: Path, fake_x: FakeX, env: dict[str, str]) -> None:
        executable = require_executable("firefox")
        profile = home / "profile"
        profile.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.log = (home / "firefox.log").open("wb")
        self.process = subprocess.Popen(
            [executable, "--headless", "--no-remote", "--profile", str(profile), "--remote-debugging-port", str(port),
             "--remote-allow-system-access"],   # the browser window's chrome context, for trusted drops (drop_files)
            env={**env, "HOME": str(home)}, stdout=self.log, stderr=subprocess.STDOUT)
        self.fake_x = fake_x
        self.bidi = self._connect(port)
        self.bidi.command("session.new", {"capabilities": {}})
        self.bidi.on("network.beforeRequestSent", self._answer)
        self.bidi.command("session.subscribe", {"events": ["network.beforeRequestSent"]})
        self.bidi.command("network.addDataCollector", {"dataTypes": ["request"], "maxEncodedDataSize": 64 * 1024 * 1024})
        self.bidi.command("network.addIntercept", {
            "phases": ["beforeRequestSent"], "urlPatterns": [{"type": "pattern", "hostname": host} for host in HOSTS]})
        self.bidi.command("webExtension.install", {"extensionData": {"type": "path", "path": str(extension)}})

    def _connect(self, port: int) -> BiDi:
        deadline = time.monotonic() + 30
        while True:
            try:
                return BiDi(f"ws://127.0.0.1:{port}/session")
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"firefox-esr did not open WebDriver BiDi on port {port} "
                                       f"(exit code {self.process.poll()}); see {self.log.name}")
                time.sleep(0.1)

    def _answer(self, event: dict) -> None:
        if not event.get("isBlocked"):
            return
        request = event["request"]
        body = b""
        if request.get("bodySize"):
            try:
                data = self.bidi.command("network.getData", {"dataType": "request", "request": request["request"]})["bytes"]
                body = base64.b64decode(data["value"]) if data["type"] == "base64" else data["value"].encode()
            except BiDiError as error:
                if error.error != "no such network data":  # a body-less request
                    raise
        headers = {h["name"].lower(): h["value"].get("value", "") for h in request.get("headers", [])}
        response = self.fake_x.handle(Request(request["method"], request["url"], headers, body))
        self.bidi.command("network.provideResponse", {
            "request": request["request"], "statusCode": response.status,
            "headers": [{"name": name, "value": {"type": "string", "value": value}} for name, value in response.headers.items()],
            "body": {"type": "base64", "value": base64.b64encode(response.body).decode()}})

    @property
    def chrome_context(self) -> str:
        """The BiDi context of the browser window's own document (browser.xhtml), where privileged code runs."""
        [window] = self.bidi.command("browsingContext.getTree", {"moz:scope": "chrome", "maxDepth": 0})["contexts"]
        return window["context"]

    def opened_tab(self, path: str, *, timeout: float = 15.0) -> FirefoxTab:
        """The tab showing the extension's page `path` that the extension opened by itself. WebDriver BiDi may not
        send a tab to a moz-extension:// page, but it drives one the extension opened."""
        deadline = time.monotonic() + timeout
        while True:
            tabs = self.bidi.command("browsingContext.getTree", {"maxDepth": 0})["contexts"]
            for tab in tabs:
                if tab["url"].startswith("moz-extension://") and tab["url"].endswith("/" + path):
                    return FirefoxTab(self, tab["context"])
            if time.monotonic() > deadline:
                raise TimeoutError(f"no tab opened at {path} in {timeout:.0f} s: {[tab['url'] for tab in tabs]}")
            time.sleep(0.1)

    def new_tab(self, url: str | None = None) -> FirefoxTab:
        context = self.bidi.command("browsingContext.create", {"type": "tab"})["context"]
        tab = FirefoxTab(self, context)
        if url:
            tab.goto(url)
        return tab

    def close(self) -> None:
        try:
            self.bidi.command("browser.close", timeout=10)
        except (BiDiError, ConnectionError, TimeoutError):
            pass  # already going away
        self.bidi.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        if self.bidi.handler_errors:
            raise AssertionError(f"Firefox request routing failed: {self.bidi.handler_errors!r}")

