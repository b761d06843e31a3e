"""``omamori serve --install-autostart`` / ``--uninstall-autostart`` and pairing,
against temporary homes (Linux, macOS) and an in-memory registry (Windows)."""
from __future__ import annotations

import argparse
import os
import plistlib
import stat

import pytest

from omamori import pairing
from omamori.commands import serve as serve_command
from omamori.paths import default_paths
from install_world import MemoryRegistry, darwin, linux, run, snapshot, windows


def serve(machine, *argv, registry=None, env=None) -> int:
    parser = argparse.ArgumentParser()
    serve_command.register(parser.add_subparsers())
    return serve_command.run_on(parser.parse_args(["serve", *argv]), machine=machine, registry=registry,
                                env=env or os.environ)


def test_linux_autostart_is_a_systemd_user_unit_and_goes_away_exactly(world, capsys):
    before = snapshot(world)
    assert serve(linux(world), "--install-autostart", "--dry-run") == 0
    assert snapshot(world) == before

    assert serve(linux(world), "--install-autostart") == 0
    unit = world / "home/.config/systemd/user/omamori.service"
    text = unit.read_text()
    assert "ExecStart=" in text and text.split("ExecStart=")[1].split()[1] == "serve"
    assert f'Environment="OMAMORI_HOME={world / "omamori"}"' in text
    wants = world / "home/.config/systemd/user/default.target.wants/omamori.service"
    assert wants.is_symlink() and os.readlink(wants) == str(unit)
    out = capsys.readouterr().out
    token = out.split("Pairing token (shown only now): ")[1].split()[0]
    assert pairing.load(pairing.pairing_file(default_paths().config)).key == pairing.pairing_key(token)
    assert "systemctl --user" in out

    installed = snapshot(world)
    assert serve(linux(world), "--install-autostart") == 0      # idempotent; no second token
    assert snapshot(world) == installed
    assert "Pairing token" not in capsys.readouterr().out

    assert serve(linux(world), "--uninstall-autostart") == 0
    assert not (world / "home/.config").exists()
    # Only the pairing is kept: unpairing is its own choice (--unpair).
    assert set(snapshot(world)) - set(before) == {"omamori", "omamori/config", "omamori/config/pairing.json"}


def test_autostart_and_host_registration_share_one_receipt(world):
    (world / "home/.mozilla/firefox").mkdir(parents=True)
    assert run(world, linux(world)) == 0
    assert serve(linux(world), "--install-autostart") == 0
    assert serve(linux(world), "--uninstall-autostart") == 0
    assert (world / "home/.mozilla/native-messaging-hosts/jp.omamori.host.json").exists()
    assert serve(linux(world), "--install-autostart") == 0
    assert run(world, linux(world), "--uninstall") == 0      # a full uninstall takes autostart too
    assert not (world / "home/.config").exists() and not (world / "home/.mozilla/native-messaging-hosts").exists()


def test_macos_autostart_is_a_launch_agent(world):
    assert serve(darwin(world), "--install-autostart") == 0
    agent = plistlib.loads((world / "home/Library/LaunchAgents/jp.omamori.serve.plist").read_bytes())
    assert agent["Label"] == "jp.omamori.serve" and agent["ProgramArguments"][1:] == ["serve"]
    assert agent["RunAtLoad"] is True
    assert serve(darwin(world), "--uninstall-autostart") == 0
    assert not (world / "home/Library").exists()


def test_windows_autostart_is_a_startup_script(world):
    registry = MemoryRegistry()
    assert serve(windows(world), "--install-autostart", registry=registry) == 0
    script = world / "home/Roaming/Microsoft/Windows/Start Menu/Programs/Startup/omamori-serve.bat"
    assert script.read_text().rstrip().endswith('serve')
    assert registry.keys == {}
    assert serve(windows(world), "--uninstall-autostart", registry=registry) == 0
    assert not (world / "home/Roaming").exists()


def test_pairing_stores_only_a_hash_owner_only(world):
    token_file = pairing.pairing_file(default_paths().config)
    assert pairing.load(token_file).state is pairing.PairingState.UNPAIRED
    token = pairing.pair(token_file)
    assert token not in token_file.read_text()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    stored = pairing.load(token_file)
    assert stored.key == pairing.pairing_key(token) != pairing.pairing_key(token.upper())
    newer = pairing.pair(token_file)
    assert pairing.load(token_file).key == pairing.pairing_key(newer) != pairing.pairing_key(token)
    token_file.write_text("{damaged")
    assert pairing.load(token_file).state is pairing.PairingState.UNPAIRED


def test_unpaired_server_without_a_terminal_refuses_to_print_a_token(world, capsys):
    # pytest's captured stdout is not a terminal, as under systemd or launchd.
    assert serve(linux(world), "--port", "0") == 3
    captured = capsys.readouterr()
    assert "omamori serve --pair" in captured.err and captured.out == ""
    assert pairing.load(pairing.pairing_file(default_paths().config)).state is pairing.PairingState.UNPAIRED


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_only_loopback_addresses_are_accepted(world, capsys, address):
    assert serve(linux(world), "--address", address, "--pair") == 2
    assert "loopback" in capsys.readouterr().err
