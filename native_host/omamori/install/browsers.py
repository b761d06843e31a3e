"""Where each browser looks for native messaging hosts, per OS, as data; and the
manifests we put there.

One table (``BROWSERS``) says, for every browser we support, where its user-level
host manifests live on Linux and macOS, which HKCU registry key it reads on
Windows, and how to tell it is installed. Everything else (the installer, the
doctor) derives from that table; no manifest is written by hand.

Sources: developer.chrome.com "Native messaging", MDN "Native manifests", the
Edge docs, chromium chrome_paths.cc, KeePassXC NativeMessageInstaller.cpp (Brave
and Vivaldi read Chrome's registry key on Windows). See
shared/research/native-messaging.md sections 6, 7 and 9.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal, Mapping

HOST_NAME = "jp.omamori.host"
MANIFEST_FILE = f"{HOST_NAME}.json"
HOST_DESCRIPTION = "omamori: protects your images before they are posted on X"

OS = Literal["linux", "darwin", "windows"]
Family = Literal["chromium", "firefox"]


@dataclass(frozen=True)
class Browser:
    """One browser's native messaging facts. Relative paths are under HOME
    (Linux, macOS) or %LOCALAPPDATA% / %APPDATA% (Windows, see ``windows_data``)."""

    name: str                       # what --browser takes
    label: str                      # what a person reads
    family: Family
    linux_hosts: str                # user-level manifest folder, relative to HOME
    mac_hosts: str
    windows_key: str                # HKCU subkey; the host's key is <this>\<HOST_NAME>
    linux_profile: str              # the browser's own folder: it exists once the browser has run
    mac_profile: str
    mac_app: str                    # bundle name under /Applications or ~/Applications
    windows_data: str               # the browser's folder under %LOCALAPPDATA% (Firefox: %APPDATA%), / separated
    executables: tuple[str, ...]    # names on PATH (Linux)
    extensions_page: str            # where the person loads an unpacked extension
    snap: str | None = None         # snap name; Chromium-family snaps cannot start native hosts
    flatpaks: tuple[str, ...] = ()  # Flatpak app ids; sandboxed, the host would need a wrapper

    def hosts_dir(self, machine: "Machine") -> Path:
        """The user-level folder this browser reads host manifests from (Linux,
        macOS; on Windows the registry says where the manifest is)."""
        return machine.home / (self.mac_hosts if machine.os == "darwin" else self.linux_hosts)

    def registry_key(self) -> str:
        return f"{self.windows_key}\\{HOST_NAME}"


_CHROMIUM_PAGE = "chrome://extensions"

BROWSERS: tuple[Browser, ...] = (
    Browser(
        name="chrome", label="Google Chrome", family="chromium",
        linux_hosts=".config/google-chrome/NativeMessagingHosts",
        mac_hosts="Library/Application Support/Google/Chrome/NativeMessagingHosts",
        windows_key=r"Software\Google\Chrome\NativeMessagingHosts",
        linux_profile=".config/google-chrome", mac_profile="Library/Application Support/Google/Chrome",
        mac_app="Google Chrome.app", windows_data="Google/Chrome/User Data",
        executables=("google-chrome", "google-chrome-stable"),
        extensions_page=_CHROMIUM_PAGE, flatpaks=("com.google.Chrome",),
    ),
    Browser(
        name="chromium", label="Chromium", family="chromium",
        linux_hosts=".config/chromium/NativeMessagingHosts",
        mac_hosts="Library/Application Support/Chromium/NativeMessagingHosts",
        windows_key=r"Software\Chromium\NativeMessagingHosts",
        linux_profile=".config/chromium", mac_profile="Library/Application Support/Chromium",
        mac_app="Chromium.app", windows_data="Chromium/User Data",
        executables=("chromium", "chromium-browser"),
        extensions_page=_CHROMIUM_PAGE, snap="chromium", flatpaks=("org.chromium.Chromium",),
    ),
    Browser(
        name="edge", label="Microsoft Edge", family="chromium",
        linux_hosts=".config/microsoft-edge/NativeMessagingHosts",
        mac_hosts="Library/Application Support/Microsoft Edge/NativeMessagingHosts",
        windows_key=r"Software\Microsoft\Edge\NativeMessagingHosts",
        linux_profile=".config/microsoft-edge", mac_profile="Library/Application Support/Microsoft Edge",
        mac_app="Microsoft Edge.app", windows_data="Microsoft/Edge/User Data",
        executables=("microsoft-edge", "microsoft-edge-stable"),
        extensions_page="edge://extensions", flatpaks=("com.microsoft.Edge",),
    ),
    Browser(
        name="brave", label="Brave", family="chromium",
        linux_hosts=".config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        mac_hosts="Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        windows_key=r"Software\Google\Chrome\NativeMessagingHosts",
        linux_profile=".config/BraveSoftware/Brave-Browser",
        mac_profile="Library/Application Support/BraveSoftware/Brave-Browser",
        mac_app="Brave Browser.app", windows_data="BraveSoftware/Brave-Browser/User Data",
        executables=("brave-browser", "brave"),
        extensions_page="brave://extensions", snap="brave", flatpaks=("com.brave.Browser",),
    ),
    Browser(
        name="vivaldi", label="Vivaldi", family="chromium",
        linux_hosts=".config/vivaldi/NativeMessagingHosts",
        mac_hosts="Library/Application Support/Vivaldi/NativeMessagingHosts",
        windows_key=r"Software\Google\Chrome\NativeMessagingHosts",
        linux_profile=".config/vivaldi", mac_profile="Library/Application Support/Vivaldi",
        mac_app="Vivaldi.app", windows_data="Vivaldi/User Data",
        executables=("vivaldi", "vivaldi-stable"),
        extensions_page="vivaldi://extensions", flatpaks=("com.vivaldi.Vivaldi",),
    ),
    Browser(
        name="firefox", label="Firefox", family="firefox",
        linux_hosts=".mozilla/native-messaging-hosts",
        mac_hosts="Library/Application Support/Mozilla/NativeMessagingHosts",
        windows_key=r"Software\Mozilla\NativeMessagingHosts",
        linux_profile=".mozilla/firefox", mac_profile="Library/Application Support/Firefox",
        mac_app="Firefox.app", windows_data="Mozilla/Firefox",
        executables=("firefox", "firefox-esr"),
        extensions_page="about:debugging#/runtime/this-firefox",
        snap="firefox", flatpaks=("org.mozilla.firefox",),
    ),
)

BROWSER_NAMES = tuple(b.name for b in BROWSERS)


def browser_named(name: str) -> Browser:
    for browser in BROWSERS:
        if browser.name == name:
            return browser
    raise KeyError(name)


def profile_browser(user_data_dir: Path) -> Browser:
    """A Chromium started with ``--user-data-dir DIR`` reads hosts from
    ``DIR/NativeMessagingHosts`` (chrome_paths.cc); end-to-end tests use this."""
    chromium = browser_named("chromium")
    hosts = str(user_data_dir / "NativeMessagingHosts")
    return Browser(
        name=f"profile:{user_data_dir}", label=f"Chromium ({user_data_dir})", family="chromium",
        linux_hosts=hosts, mac_hosts=hosts, windows_key=chromium.windows_key,
        linux_profile=str(user_data_dir), mac_profile=str(user_data_dir),
        mac_app=chromium.mac_app, windows_data=chromium.windows_data, executables=(),
        extensions_page=_CHROMIUM_PAGE,
    )


@dataclass(frozen=True)
class Machine:
    """The facts about the computer that decide where things go.

    Tests build one with a temporary ``home`` and ``root`` to stand for a Linux,
    macOS or Windows user without touching the real one.
    """

    os: OS
    home: Path
    env: Mapping[str, str] = field(default_factory=dict)
    root: Path = Path("/")          # where /Applications and /snap are

    @classmethod
    def current(cls) -> "Machine":
        platform = {"win32": "windows", "darwin": "darwin"}.get(sys.platform, "linux")
        return cls(os=platform, home=Path.home(), env=dict(os.environ))  # type: ignore[arg-type]

    @property
    def local_appdata(self) -> Path:
        return Path(self.env.get("LOCALAPPDATA") or self.home / "AppData" / "Local")

    @property
    def appdata(self) -> Path:
        return Path(self.env.get("APPDATA") or self.home / "AppData" / "Roaming")

    def which(self, name: str) -> str | None:
        return shutil.which(name, path=self.env.get("PATH", ""))


Sandbox = Literal["snap", "flatpak"]


@dataclass(frozen=True)
class Found:
    """A browser seen on the machine, and how it was installed."""

    browser: Browser
    native: bool                        # a normal install that can start a native host
    sandboxes: tuple[str, ...] = ()     # e.g. ("snap",), ("flatpak:org.chromium.Chromium",)


def detect(machine: Machine) -> list[Found]:
    """Every supported browser that is installed (or has run) for this user."""
    found = []
    for browser in BROWSERS:
        native = _has_native(browser, machine)
        sandboxes = _sandboxes(browser, machine) if machine.os == "linux" else ()
        if native or sandboxes:
            found.append(Found(browser, native, sandboxes))
    return found


def _has_native(browser: Browser, machine: Machine) -> bool:
    if machine.os == "linux":
        if (machine.home / browser.linux_profile).is_dir():
            # A snap's profile lives under ~/snap, so this folder means a native install ran.
            return True
        return any(_native_executable(machine, exe, browser) for exe in browser.executables)
    if machine.os == "darwin":
        return (
            (machine.home / browser.mac_profile).is_dir()
            or (machine.root / "Applications" / browser.mac_app).exists()
            or (machine.home / "Applications" / browser.mac_app).exists()
        )
    base = machine.appdata if browser.family == "firefox" else machine.local_appdata
    return (base / browser.windows_data).is_dir()


def _native_executable(machine: Machine, exe: str, browser: Browser) -> bool:
    path = machine.which(exe)
    if path is None:
        return False
    if "/snap/" in os.path.realpath(path) or path.startswith("/snap/"):
        return False
    # Ubuntu's /usr/bin/chromium-browser is a stub that installs or runs the snap.
    return not (browser.snap and _is_snap_stub(Path(path)))


def _is_snap_stub(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return head.startswith(b"#!") and b"/snap/bin/" in head


def _sandboxes(browser: Browser, machine: Machine) -> tuple[str, ...]:
    seen = []
    if browser.snap and (
        (machine.home / "snap" / browser.snap).is_dir()
        or (machine.root / "snap" / "bin" / browser.snap).exists()
    ):
        seen.append("snap")
    for app_id in browser.flatpaks:
        if (machine.home / ".var" / "app" / app_id).is_dir() or (
            machine.root / "var" / "lib" / "flatpak" / "app" / app_id
        ).is_dir():
            seen.append(f"flatpak:{app_id}")
    return tuple(seen)


def snap_can_host(browser: Browser) -> bool:
    """Firefox's snap reaches native hosts through the XDG portal (it asks the
    person once); Chromium-family snaps cannot start them at all."""
    return browser.family == "firefox"


@dataclass(frozen=True)
class ExtensionIds:
    """The extension's identity: the ids that ship inside this package (data/extension_ids.json), so an install
    from a wheel (pip, pipx) knows which extension to allow without the source folder."""

    chrome_extension_id: str
    gecko_id: str

    @classmethod
    def load(cls, extension_dir: Path | None = None) -> "ExtensionIds":
        """The packaged ids, or those of ``extension_dir``/ids.json when that folder has one (an extension
        published under other ids). Raises ``OSError`` or ``ValueError`` (with a reason) if they are wrong."""
        own = extension_dir / "ids.json" if extension_dir is not None else None
        if own is not None and own.exists():
            text = own.read_text(encoding="utf-8")
        else:
            text = resources.files("omamori").joinpath("data/extension_ids.json").read_text(encoding="utf-8")
        data = json.loads(text)
        ids = cls(chrome_extension_id=data["chrome_extension_id"], gecko_id=data["gecko_id"])
        name = data.get("native_host_name", HOST_NAME)
        if name != HOST_NAME:
            raise ValueError(f"ids.json names the host {name!r}, this package is {HOST_NAME!r}")
        if not (len(ids.chrome_extension_id) == 32 and set(ids.chrome_extension_id) <= set("abcdefghijklmnop")):
            raise ValueError("chrome_extension_id is not 32 letters a-p")
        if not ids.gecko_id:
            raise ValueError("gecko_id is empty")
        return ids

    @property
    def chrome_origin(self) -> str:
        return f"chrome-extension://{self.chrome_extension_id}/"


def manifest(family: Family, *, launcher: Path, ids: ExtensionIds) -> dict:
    """The host manifest for one browser family. Firefox rejects a manifest with
    ``allowed_origins``, so each family gets only its own allow-list key."""
    body = {"name": HOST_NAME, "description": HOST_DESCRIPTION, "path": str(launcher), "type": "stdio"}
    if family == "firefox":
        body["allowed_extensions"] = [ids.gecko_id]
    else:
        body["allowed_origins"] = [ids.chrome_origin]
    return body


def manifest_bytes(family: Family, *, launcher: Path, ids: ExtensionIds) -> bytes:
    return (json.dumps(manifest(family, launcher=launcher, ids=ids), indent=2, ensure_ascii=False) + "\n").encode()
