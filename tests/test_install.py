"""``omamori install`` against temporary home folders (Linux, macOS layouts) and an
in-memory registry (Windows): what is written where, idempotency, dry run, and
an uninstall that leaves the machine exactly as it was."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pytest

from omamori.commands import install as install_command
from omamori.install import installer
from omamori.install.browsers import BROWSERS, ExtensionIds
from omamori.install.registration import receipt_path
from omamori.paths import default_paths
from install_world import CHROME_ID, GECKO_ID, MemoryRegistry, darwin, linux, run, snapshot, windows

def test_linux_registers_each_found_browser_with_its_own_manifest(world, capsys):
    home = world / "home"
    (home / ".config/google-chrome").mkdir(parents=True)
    (home / ".mozilla/firefox").mkdir(parents=True)
    bin_dir = world / "bin"
    bin_dir.mkdir()
    (bin_dir / "brave-browser").write_text("#!/bin/sh\n")
    (bin_dir / "brave-browser").chmod(0o755)

    assert run(world, linux(world)) == 0

    chrome = json.loads((home / ".config/google-chrome/NativeMessagingHosts/jp.omamori.host.json").read_text())
    brave = json.loads((home / ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts/jp.omamori.host.json").read_text())
    firefox = json.loads((home / ".mozilla/native-messaging-hosts/jp.omamori.host.json").read_text())
    assert chrome == brave
    assert chrome["allowed_origins"] == [f"chrome-extension://{CHROME_ID}/"] and "allowed_extensions" not in chrome
    assert firefox["allowed_extensions"] == [GECKO_ID] and "allowed_origins" not in firefox
    for body in (chrome, firefox):
        assert body["name"] == "jp.omamori.host" and body["type"] == "stdio"
    launcher = Path(chrome["path"])
    assert launcher.is_absolute() and launcher == Path(firefox["path"])
    assert os.access(launcher, os.X_OK)
    script = launcher.read_text()
    assert script.startswith("#!/bin/sh\n") and "-m omamori.transports.stdio \"$@\"" in script
    assert f"OMAMORI_HOME={world / 'omamori'}" in script
    assert not (home / ".config/chromium").exists()     # not installed: not touched
    out = capsys.readouterr().out
    assert "chrome://extensions" in out and "about:debugging" in out and "omamori doctor" in out
    assert str(world / "extension") in out


def test_second_run_changes_nothing(world, capsys):
    (world / "home/.mozilla/firefox").mkdir(parents=True)
    assert run(world, linux(world)) == 0
    before = snapshot(world)
    capsys.readouterr()
    assert run(world, linux(world)) == 0
    assert snapshot(world) == before
    out = capsys.readouterr().out
    assert "created" not in out and "updated" not in out and "already right" in out


def test_dry_run_writes_nothing(world, capsys):
    (world / "home/.config/chromium").mkdir(parents=True)
    before = snapshot(world)
    assert run(world, linux(world), "--dry-run") == 0
    assert snapshot(world) == before
    out = capsys.readouterr().out
    assert "Dry run" in out and "jp.omamori.host.json" in out


def test_uninstall_leaves_exactly_what_was_there(world, capsys):
    home = world / "home"
    (home / ".config/google-chrome/NativeMessagingHosts").mkdir(parents=True)
    other_host = home / ".config/google-chrome/NativeMessagingHosts/org.other.host.json"
    other_host.write_text("{}")
    (home / ".mozilla/firefox").mkdir(parents=True)
    before = snapshot(world)
    assert run(world, linux(world)) == 0
    assert snapshot(world) != before

    assert run(world, linux(world), "--uninstall", "--dry-run") == 0
    assert (home / ".mozilla/native-messaging-hosts/jp.omamori.host.json").exists()
    assert run(world, linux(world), "--uninstall") == 0
    assert snapshot(world) == before
    assert run(world, linux(world), "--uninstall") == 0
    assert "Nothing to remove" in capsys.readouterr().out


def test_uninstall_one_browser_keeps_the_others_and_the_launcher(world):
    home = world / "home"
    (home / ".config/chromium").mkdir(parents=True)
    (home / ".mozilla/firefox").mkdir(parents=True)
    before = snapshot(world)
    assert run(world, linux(world)) == 0
    launcher = world / "omamori/data/bin/omamori-host"

    assert run(world, linux(world), "--uninstall", "--browser", "firefox") == 0
    assert not (home / ".mozilla/native-messaging-hosts").exists()
    assert (home / ".config/chromium/NativeMessagingHosts/jp.omamori.host.json").exists() and launcher.exists()

    assert run(world, linux(world), "--uninstall", "--browser", "chromium") == 0
    assert snapshot(world) == before


def test_uninstall_keeps_a_file_changed_since(world, capsys):
    home = world / "home"
    (home / ".mozilla/firefox").mkdir(parents=True)
    assert run(world, linux(world)) == 0
    manifest = home / ".mozilla/native-messaging-hosts/jp.omamori.host.json"
    manifest.write_text('{"edited": "by hand"}')
    assert run(world, linux(world), "--uninstall") == 0
    assert manifest.read_text() == '{"edited": "by hand"}'
    assert "left in place" in capsys.readouterr().out
    assert not receipt_path(default_paths()).exists()


def test_named_browser_is_registered_even_if_not_found(world):
    assert run(world, linux(world), "--browser", "vivaldi") == 0
    assert (world / "home/.config/vivaldi/NativeMessagingHosts/jp.omamori.host.json").exists()
    assert not (world / "home/.mozilla").exists()


def test_user_data_dir_registers_only_that_profile(world):
    (world / "home/.mozilla/firefox").mkdir(parents=True)
    profile = world / "profile"
    assert run(world, linux(world), "--user-data-dir", str(profile)) == 0
    body = json.loads((profile / "NativeMessagingHosts/jp.omamori.host.json").read_text())
    assert body["allowed_origins"] == [f"chrome-extension://{CHROME_ID}/"]
    assert not (world / "home/.mozilla/native-messaging-hosts").exists()
    assert run(world, linux(world), "--uninstall", "--user-data-dir", str(profile)) == 0
    assert not (profile / "NativeMessagingHosts").exists() and not (world / "omamori/data/bin").exists()


def test_snap_chromium_and_flatpak_firefox_point_to_the_server(world, capsys):
    home = world / "home"
    (home / "snap/chromium").mkdir(parents=True)
    (home / ".var/app/org.mozilla.firefox").mkdir(parents=True)
    assert run(world, linux(world)) == 0     # nothing that can start a native host: a warning, not a failure
    captured = capsys.readouterr()
    assert captured.out.count("omamori serve") == 2 and "WARNING: no browser" in captured.err
    assert "Snap" in captured.out and "Flatpak" in captured.out
    assert not (home / ".config/chromium").exists() and not (home / ".mozilla").exists()


def test_snap_firefox_is_registered_with_a_permission_note(world, capsys):
    (world / "home/snap/firefox").mkdir(parents=True)
    assert run(world, linux(world)) == 0
    assert (world / "home/.mozilla/native-messaging-hosts/jp.omamori.host.json").exists()
    assert "asks whether it may start omamori" in capsys.readouterr().out


def test_ubuntu_chromium_browser_stub_counts_as_snap(world):
    bin_dir = world / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "chromium-browser"
    stub.write_text("#!/bin/sh\nexec /snap/bin/chromium \"$@\"\n")
    stub.chmod(0o755)
    assert run(world, linux(world)) == 0
    assert not (world / "home/.config/chromium").exists()


def test_macos_layout(world):
    home = world / "home"
    (home / "Library/Application Support/Google/Chrome").mkdir(parents=True)
    (world / "root/Applications/Firefox.app").mkdir(parents=True)
    (world / "root/Applications/Microsoft Edge.app").mkdir(parents=True)
    before = snapshot(world)
    assert run(world, darwin(world)) == 0
    support = home / "Library/Application Support"
    assert json.loads((support / "Google/Chrome/NativeMessagingHosts/jp.omamori.host.json").read_text())["allowed_origins"]
    assert json.loads((support / "Microsoft Edge/NativeMessagingHosts/jp.omamori.host.json").read_text())["allowed_origins"]
    assert json.loads((support / "Mozilla/NativeMessagingHosts/jp.omamori.host.json").read_text())["allowed_extensions"]
    assert run(world, darwin(world), "--uninstall") == 0
    assert snapshot(world) == before


def test_windows_writes_hkcu_keys_pointing_at_manifests(world, capsys):
    local = world / "home/Local"
    (local / "Google/Chrome/User Data").mkdir(parents=True)
    (local / "BraveSoftware/Brave-Browser/User Data").mkdir(parents=True)
    (local / "Microsoft/Edge/User Data").mkdir(parents=True)
    (world / "home/Roaming/Mozilla/Firefox").mkdir(parents=True)
    registry = MemoryRegistry({r"Software\Google\Chrome": None, r"Software\Microsoft\Edge\Other": "x"})
    registry_before = dict(registry.keys)
    files_before = snapshot(world)

    assert run(world, windows(world), registry=registry) == 0

    chrome_key = r"Software\Google\Chrome\NativeMessagingHosts\jp.omamori.host"
    chromium_manifest = Path(registry.get(chrome_key))
    assert chromium_manifest == Path(registry.get(r"Software\Microsoft\Edge\NativeMessagingHosts\jp.omamori.host"))
    assert json.loads(chromium_manifest.read_text())["allowed_origins"] == [f"chrome-extension://{CHROME_ID}/"]
    firefox_manifest = Path(registry.get(r"Software\Mozilla\NativeMessagingHosts\jp.omamori.host"))
    firefox = json.loads(firefox_manifest.read_text())
    assert firefox["allowed_extensions"] == [GECKO_ID] and "allowed_origins" not in firefox
    launcher = Path(firefox["path"])
    assert launcher.name == "omamori-host.bat"
    assert "-m omamori.transports.stdio %*" in launcher.read_text()

    registry_installed = dict(registry.keys)
    files_installed = snapshot(world)
    assert run(world, windows(world), registry=registry) == 0
    assert registry.keys == registry_installed and snapshot(world) == files_installed

    # Brave shares Chrome's key: removing Brave alone keeps it for Chrome.
    assert run(world, windows(world), "--uninstall", "--browser", "brave", registry=registry) == 0
    assert registry.get(chrome_key) == str(chromium_manifest)

    capsys.readouterr()
    assert run(world, windows(world), "--uninstall", registry=registry) == 0
    assert registry.keys == registry_before
    assert snapshot(world) == files_before
    assert r"HKCU\Software\Mozilla" in capsys.readouterr().out      # the key omamori created went too


def test_japanese_locale_speaks_japanese(world, capsys):
    (world / "home/.mozilla/firefox").mkdir(parents=True)
    assert run(world, linux(world), env={"LANG": "ja_JP.UTF-8"}) == 0
    out = capsys.readouterr().out
    assert "次にすること" in out and "一時的なアドオンを読み込む" in out


def test_unknown_browser_and_missing_ids_are_explained(world, capsys):
    assert run(world, linux(world), "--browser", "netscape") == 2
    assert "chrome, chromium, edge, brave, vivaldi, firefox" in capsys.readouterr().err
    (world / "extension/ids.json").write_text("{")
    assert run(world, linux(world), "--browser", "chrome") == 2
    assert "--extension" in capsys.readouterr().err
    assert not (world / "omamori").exists()


def test_without_an_extension_folder_the_packaged_ids_are_allowed(world, capsys, monkeypatch):
    """A wheel install (pip, pipx) has no extension folder: the ids that ship inside the package are used."""
    monkeypatch.setattr(installer, "default_extension_dir", lambda: world / "no-checkout")
    (world / "home/.config/chromium").mkdir(parents=True)
    parser = argparse.ArgumentParser()
    install_command.register(parser.add_subparsers())
    args = parser.parse_args(["install"])
    assert install_command.run_on(args, machine=linux(world), registry=None, env=os.environ) == 0
    body = json.loads((world / "home/.config/chromium/NativeMessagingHosts/jp.omamori.host.json").read_text())
    packaged = ExtensionIds.load()
    assert body["allowed_origins"] == [f"chrome-extension://{packaged.chrome_extension_id}/"]
    assert "add the omamori extension from your browser's add-on store" in capsys.readouterr().out


def test_every_browser_has_both_os_folders_and_a_registry_key():
    names = [b.name for b in BROWSERS]
    assert names == ["chrome", "chromium", "edge", "brave", "vivaldi", "firefox"]
    for browser in BROWSERS:
        assert browser.linux_hosts.endswith(("NativeMessagingHosts", "native-messaging-hosts"))
        assert browser.mac_hosts.endswith("NativeMessagingHosts")
        assert browser.windows_key.endswith("NativeMessagingHosts")


def test_damaged_receipt_is_explained_not_a_traceback(world, capsys):
    (world / "home/.mozilla/firefox").mkdir(parents=True)
    assert run(world, linux(world)) == 0
    receipt_path(default_paths()).write_text("{not json")
    assert run(world, linux(world), "--uninstall") == 3
    assert "install record" in capsys.readouterr().err
    assert (world / "home/.mozilla/native-messaging-hosts/jp.omamori.host.json").exists()


def test_the_command_is_linked_where_pipx_puts_commands_and_the_path_line_is_given(world, capsys):
    (world / "home/.mozilla/firefox").mkdir(parents=True)
    link = world / "home/.local/bin/omamori"
    assert run(world, linux(world), "--link-command", env={"PATH": "/usr/bin", "SHELL": "/bin/bash"}) == 0
    out = capsys.readouterr().out
    assert link.is_symlink() and Path(os.readlink(link)) == Path(sys.executable).parent / "omamori"
    assert f"The omamori command is {link}" in out
    assert 'export PATH="$HOME/.local/bin:$PATH"' in out and "~/.bashrc" in out
    assert run(world, linux(world), "--link-command", env={"PATH": f"{link.parent}:/usr/bin"}) == 0
    assert "not on your PATH" not in capsys.readouterr().out
    assert run(world, linux(world), "--uninstall") == 0
    assert not link.is_symlink()


def test_someone_elses_omamori_file_is_left_alone(world, capsys):
    mine = world / "home/.local/bin/omamori"
    mine.parent.mkdir(parents=True)
    mine.write_text("#!/bin/sh\necho mine\n")
    assert run(world, linux(world), "--link-command") == 0     # no browser either: a warning, exit 0
    captured = capsys.readouterr()
    assert "left alone" in captured.err and "WARNING: no browser" in captured.err
    assert mine.read_text() == "#!/bin/sh\necho mine\n"


def test_the_artists_name_is_asked_once_and_put_in_the_signature(tmp_path, capsys):
    settings_file = tmp_path / "settings.json"
    install_command.ask_signature_name(settings_file, "en", ask=lambda prompt: "ゆき🌸")
    assert "“🌸”" in capsys.readouterr().err and not settings_file.exists()      # refused, nothing saved
    install_command.ask_signature_name(settings_file, "en", ask=lambda prompt: "")
    assert "stays" in capsys.readouterr().out and not settings_file.exists()
    install_command.ask_signature_name(settings_file, "ja", ask=lambda prompt: "@yuki_draws")
    assert "@yuki_draws · AI学習禁止 / No AI training" in capsys.readouterr().out
    assert json.loads(settings_file.read_text())["signature"]["text"] == "@yuki_draws · AI学習禁止 / No AI training"
    install_command.ask_signature_name(settings_file, "en", ask=lambda prompt: pytest.fail("asked twice"))
