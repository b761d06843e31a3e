"""Start the companion server at login: a systemd user unit (Linux), a
LaunchAgent (macOS) or a script in the Startup folder (Windows).

Returned as items for ``changes.apply`` in the group ``autostart``, so the
receipt records them and ``--uninstall-autostart`` (or ``omamori install
--uninstall``) removes exactly them.
"""
from __future__ import annotations

import plistlib
import shlex
from pathlib import Path
from typing import Mapping

from ..paths import Paths
from .browsers import Machine
from .changes import FileItem, Item, LinkItem

GROUP = ("autostart",)
UNIT_NAME = "omamori.service"
AGENT_LABEL = "jp.omamori.serve"


def omamori_command(python: str, machine: Machine) -> Path:
    """The ``omamori`` console script installed beside ``python`` (venv bin/ or Scripts\\)."""
    name = "omamori.exe" if machine.os == "windows" else "omamori"
    return Path(python).parent / name


def autostart_items(machine: Machine, paths: Paths, *, python: str, env: Mapping[str, str]) -> list[Item]:
    command = omamori_command(python, machine)
    home = env.get("OMAMORI_HOME")
    if machine.os == "linux":
        config = Path(machine.env.get("XDG_CONFIG_HOME") or machine.home / ".config")
        unit = config / "systemd" / "user" / UNIT_NAME
        lines = [
            "[Unit]",
            "Description=omamori companion server (local WebSocket for the browser extension)",
            "",
            "[Service]",
            f"ExecStart={shlex.quote(str(command))} serve",
            *([f'Environment="OMAMORI_HOME={home}"'] if home else []),
            "Restart=on-failure",
            "",
            "[Install]",
            "WantedBy=default.target",
            "",
        ]
        # What `systemctl --user enable` would do, as a file we can record and undo.
        wants = unit.parent / "default.target.wants" / UNIT_NAME
        return [FileItem(unit, "\n".join(lines).encode(), 0o644, GROUP), LinkItem(wants, unit, GROUP)]
    if machine.os == "darwin":
        agent = {
            "Label": AGENT_LABEL,
            "ProgramArguments": [str(command), "serve"],
            "RunAtLoad": True,
            "KeepAlive": {"SuccessfulExit": False},
            "StandardErrorPath": str(paths.log / "serve.log"),
        }
        if home:
            agent["EnvironmentVariables"] = {"OMAMORI_HOME": home}
        plist = machine.home / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
        return [FileItem(plist, plistlib.dumps(agent), 0o644, GROUP)]
    startup = machine.appdata / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup" / "omamori-serve.bat"
    lines = ["@echo off", "rem omamori companion server, written by `omamori serve --install-autostart`."]
    if home:
        lines.append(f'set "OMAMORI_HOME={home}"')
    lines.append(f'start "omamori" /min "{command}" serve')
    return [FileItem(startup, ("\r\n".join(lines) + "\r\n").encode(), 0o644, GROUP)]


def start_now_hint(machine: Machine) -> str:
    """The command that starts the server now (autostart takes effect at the next login)."""
    if machine.os == "linux":
        return f"systemctl --user daemon-reload && systemctl --user start {UNIT_NAME}"
    if machine.os == "darwin":
        return f"launchctl load ~/Library/LaunchAgents/{AGENT_LABEL}.plist"
    return "omamori serve"
