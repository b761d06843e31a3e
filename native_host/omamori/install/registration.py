"""What registering the native host means, as items for ``changes.apply``.

A launcher script in omamori's data folder (the manifest's ``path``: browsers
need one absolute executable), and for each browser its manifest where it looks
(Linux, macOS) or a manifest file plus an HKCU key pointing at it (Windows).
"""
from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..paths import Paths
from .browsers import MANIFEST_FILE, Browser, ExtensionIds, Machine, manifest_bytes
from .changes import FileItem, Item, KeyItem

RECEIPT_FILE = "install-receipt.json"


def receipt_path(paths: Paths) -> Path:
    return paths.data / RECEIPT_FILE


def launcher_path(machine: Machine, paths: Paths) -> Path:
    name = "omamori-host.bat" if machine.os == "windows" else "omamori-host"
    return paths.data / "bin" / name


def launcher_text(machine: Machine, *, python: str, env: Mapping[str, str]) -> str:
    """The script a browser starts. It runs omamori's stdio host with the Python
    omamori is installed in; ``OMAMORI_HOME``, when the install used one, is
    passed on so the host finds the same key and ledger."""
    home = env.get("OMAMORI_HOME")
    if machine.os == "windows":
        # Python 3 puts stdin/stdout in binary mode itself, as native messaging requires.
        lines = ["@echo off", "rem omamori native messaging host, written by `omamori install`."]
        if home:
            lines.append(f'set "OMAMORI_HOME={home}"')
        lines.append(f'"{python}" -m omamori.transports.stdio %*')
        return "\r\n".join(lines) + "\r\n"
    lines = ["#!/bin/sh", "# omamori native messaging host, written by `omamori install`."]
    if home:
        lines.append(f"OMAMORI_HOME={shlex.quote(home)}; export OMAMORI_HOME")
    lines.append(f'exec {shlex.quote(python)} -m omamori.transports.stdio "$@"')
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Target:
    """One browser to register, and where its manifest goes."""

    browser: Browser
    manifest: Path
    registry_key: str | None        # Windows only


def target_for(browser: Browser, machine: Machine, paths: Paths) -> Target:
    if machine.os == "windows":
        # The registry points at a manifest file anywhere; one per family in omamori's folder.
        manifest = paths.data / "NativeMessagingHosts" / browser.family / MANIFEST_FILE
        return Target(browser, manifest, browser.registry_key())
    return Target(browser, browser.hosts_dir(machine) / MANIFEST_FILE, None)


def host_items(
    targets: list[Target], *, machine: Machine, paths: Paths, ids: ExtensionIds,
    python: str = sys.executable, env: Mapping[str, str],
) -> list[Item]:
    """The launcher, then each distinct manifest file and registry key (several
    Windows browsers share Chrome's key and a family shares one manifest file)."""
    launcher = launcher_path(machine, paths)
    items: dict[tuple[str, str], Item] = {
        ("file", str(launcher)): FileItem(
            launcher, launcher_text(machine, python=python, env=env).encode(), 0o755, ("launcher",)
        ),
    }
    for target in targets:
        group = (target.browser.name,)
        content = manifest_bytes(target.browser.family, launcher=launcher, ids=ids)
        _merge(items, ("file", str(target.manifest)), FileItem(target.manifest, content, 0o644, group))
        if target.registry_key:
            _merge(items, ("key", target.registry_key), KeyItem(target.registry_key, str(target.manifest), group))
    return list(items.values())


def _merge(items: dict, ident: tuple[str, str], item: Item) -> None:
    old = items.get(ident)
    if old is not None:
        item = type(item)(**{**item.__dict__, "groups": old.groups + item.groups})
    items[ident] = item
