"""A temporary machine for the installer: browsers' folders under a fake home, an in-memory Windows registry, and
``omamori install`` run on it in-process. Helpers only; the ``world`` fixture (the machine's folder) is in conftest.py."""
from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path

from omamori.commands import install as install_command
from omamori.install.browsers import Machine

CHROME_ID = "abcdefghijklmnopabcdefghijklmnop"
GECKO_ID = "omamori@omamori.jp"


class MemoryRegistry:
    """HKCU as a dict: key path (case-insensitive, like Windows) -> default value or None."""

    def __init__(self, existing: dict[str, str | None] | None = None) -> None:
        self.keys: dict[str, str | None] = {}
        for key, value in (existing or {}).items():
            self.set(key, value)

    @staticmethod
    def _norm(key: str) -> str:
        return key.lower()

    def exists(self, key: str) -> bool:
        return self._norm(key) in self.keys

    def get(self, key: str) -> str | None:
        return self.keys.get(self._norm(key))

    def set(self, key: str, value: str | None) -> None:
        parts = key.split("\\")
        for depth in range(1, len(parts)):
            self.keys.setdefault(self._norm("\\".join(parts[:depth])), None)
        self.keys[self._norm(key)] = value

    def delete(self, key: str) -> None:
        assert not self.children(key), f"{key} has subkeys"
        del self.keys[self._norm(key)]

    def children(self, key: str) -> list[str]:
        prefix = self._norm(key) + "\\"
        return [k[len(prefix):] for k in self.keys if k.startswith(prefix) and "\\" not in k[len(prefix):]]

    def has_values(self, key: str) -> bool:
        return self.keys.get(self._norm(key)) is not None


def snapshot(root: Path) -> dict[str, object]:
    """Every file, folder and link under ``root`` with its content and mode."""
    seen: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            seen[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            seen[rel] = ("dir", stat.S_IMODE(path.stat().st_mode))
        else:
            seen[rel] = ("file", path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return seen


def linux(world: Path) -> Machine:
    return Machine(os="linux", home=world / "home", env={"PATH": str(world / "bin")}, root=world / "root")


def darwin(world: Path) -> Machine:
    return Machine(os="darwin", home=world / "home", env={}, root=world / "root")


def windows(world: Path) -> Machine:
    return Machine(os="windows", home=world / "home", root=world / "root",
                   env={"LOCALAPPDATA": str(world / "home" / "Local"), "APPDATA": str(world / "home" / "Roaming")})


def run(world: Path, machine: Machine, *argv: str, registry=None, env=None) -> int:
    parser = argparse.ArgumentParser()
    install_command.register(parser.add_subparsers())
    args = parser.parse_args(["install", "--extension", str(world / "extension"), *argv])
    return install_command.run_on(args, machine=machine, registry=registry, env=env or os.environ)
