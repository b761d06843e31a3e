"""Register omamori's native host with the browsers on this machine, or remove
that registration: the logic behind ``omamori install``.

The caller passes in everything that varies (the machine, omamori's folders,
the registry, the environment), so the same code is exercised by the tests with
a temporary home for Linux and macOS and an in-memory registry for Windows.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from ..paths import Paths
from .browsers import (BROWSERS, Browser, ExtensionIds, Found, Machine, browser_named, detect, profile_browser,
                       snap_can_host)
from .changes import Change, LinkItem, Receipt, Registry, WindowsRegistry, apply, undo
from .autostart import autostart_items
from .registration import MANIFEST_FILE, Target, host_items, launcher_path, receipt_path, target_for

HOST_GROUPS = frozenset(b.name for b in BROWSERS) | {"launcher"}


@dataclass
class Outcome:
    changes: list[Change] = field(default_factory=list)
    registered: list[Target] = field(default_factory=list)


def system_registry(machine: Machine) -> Registry | None:
    """Where registrations go besides files: the Windows registry, on Windows."""
    return WindowsRegistry() if machine.os == "windows" else None


def default_extension_dir() -> Path:
    """The extension folder of the checkout this package runs from (editable
    install: native_host/omamori/ -> ../../extension). A wheel install has none:
    the installer script passes ``--extension`` explicitly."""
    return Path(__file__).resolve().parents[3] / "extension"


def extension_dir(explicit: Path | None, paths: Paths) -> Path | None:
    """The unpacked extension folder to tell the person about: the one named, else the one recorded at the last
    install, else this checkout's; None when there is none (a wheel install: the ids ship inside the package)."""
    if explicit is not None:
        return explicit.resolve()
    for folder in (recorded_extension_dir(paths), default_extension_dir()):
        if folder is not None and (folder / "manifest.json").is_file():
            return folder.resolve()
    return None


def choose(machine: Machine, names: list[str], user_data_dir: Path | None) -> tuple[list[Browser], list[Found]]:
    """The browsers to register, and the sandboxed installs to tell the person about.

    Named browsers are registered even when not detected (the person knows
    better); with ``--user-data-dir`` alone only that Chromium profile is."""
    found = detect(machine)
    sandboxed = [f for f in found if f.sandboxes]
    if names or user_data_dir:
        chosen = [browser_named(name) for name in names]
        sandboxed = [f for f in sandboxed if f.browser.name in names]
    else:
        # Firefox's snap reaches the manifest in ~/.mozilla through the XDG portal.
        chosen = [f.browser for f in found if f.native or ("snap" in f.sandboxes and snap_can_host(f.browser))]
    if user_data_dir is not None:
        chosen.append(profile_browser(user_data_dir.resolve()))
    return chosen, sandboxed


def command_link(machine: Machine, *, python: str = sys.executable) -> LinkItem | None:
    """A link to this environment's ``omamori`` command in the folder pipx puts commands in (``~/.local/bin`` on
    Linux and macOS); None on Windows, where a link needs rights a user may not have."""
    if machine.os == "windows":
        return None
    return LinkItem(machine.home / ".local" / "bin" / "omamori", Path(python).parent / "omamori", ("command",))


def install(
    machine: Machine, paths: Paths, *, ids: ExtensionIds, browsers: list[Browser], registry: Registry | None,
    dry_run: bool, env: Mapping[str, str], extension_dir: Path | None, python: str = sys.executable,
    link: LinkItem | None = None,
) -> Outcome:
    targets = [target_for(browser, machine, paths) for browser in browsers]
    items = host_items(targets, machine=machine, paths=paths, ids=ids, python=python, env=env) if targets else []
    items += [link] if link else []
    receipt = Receipt(receipt_path(paths))
    receipt.notes["extension_dir"] = str(extension_dir) if extension_dir else ""
    receipt.notes["python"] = python
    changes = apply(items, receipt=receipt, registry=registry, dry_run=dry_run)
    return Outcome(changes=changes, registered=targets)


def places_of_omamori(machine: Machine, paths: Paths) -> Callable[[dict], bool]:
    """Whether a receipt entry names a place omamori's installer or autostart writes to on ``machine``: the
    launcher, a browser's host manifest (or its registry key), the server's autostart file, the command link, or
    a folder or parent key above one of those. ``undo`` touches nothing else, whatever the receipt says."""
    link = command_link(machine)
    files = {launcher_path(machine, paths), *(target_for(b, machine, paths).manifest for b in BROWSERS),
             *(item.path for item in autostart_items(machine, paths, python=sys.executable, env={})),
             *([link.path] if link else [])}
    keys = {b.registry_key() for b in BROWSERS}

    def file_of_omamori(path: Path) -> bool:
        # A Chromium started with --user-data-dir DIR has its manifest in DIR/NativeMessagingHosts (profile_browser).
        return path in files or (path.name == MANIFEST_FILE and path.parent.name == "NativeMessagingHosts")

    def ours(entry: dict) -> bool:
        if entry["kind"] in ("key", "parent-key"):
            key = entry["key"].lower()
            return any(k.lower() == key or (entry["kind"] == "parent-key" and k.lower().startswith(key + "\\"))
                       for k in keys)
        path = Path(entry["path"])
        if not path.is_absolute() or ".." in path.parts:
            return False
        if entry["kind"] == "dir":
            return any(path in f.parents for f in files) or path.name == "NativeMessagingHosts"
        return file_of_omamori(path)
    return ours


def uninstall(
    machine: Machine, paths: Paths, *, browsers: list[Browser] | None, registry: Registry | None, dry_run: bool
) -> Outcome:
    """Remove the registration for ``browsers``; None removes everything the
    receipt records (the launcher and the server's autostart too). The launcher
    goes once no browser is registered any more."""
    receipt = Receipt(receipt_path(paths))
    ours = places_of_omamori(machine, paths)
    if browsers is None:
        return Outcome(changes=undo(receipt, groups=None, registry=registry, dry_run=dry_run, ours=ours))
    groups = {b.name for b in browsers}
    still = {g for e in receipt.entries for g in e.get("groups", [])} - groups - {"launcher", "autostart", "command"}
    if not still:
        groups.add("launcher")
    return Outcome(changes=undo(receipt, groups=groups, registry=registry, dry_run=dry_run, ours=ours))


def registered_targets(machine: Machine, paths: Paths) -> list[Target]:
    """The browsers the receipt says omamori registered (for the doctor)."""
    receipt = Receipt(receipt_path(paths))
    names = sorted({g for e in receipt.entries if e["kind"] in ("file", "key") for g in e.get("groups", [])})
    targets = []
    for name in names:
        if name.startswith("profile:"):
            targets.append(target_for(profile_browser(Path(name.removeprefix("profile:"))), machine, paths))
        elif name in HOST_GROUPS - {"launcher"}:
            targets.append(target_for(browser_named(name), machine, paths))
    return targets


def recorded_extension_dir(paths: Paths) -> Path | None:
    value = Receipt(receipt_path(paths)).notes.get("extension_dir")
    return Path(value) if value else None
