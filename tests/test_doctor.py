"""``omamori doctor`` on a real installation in a temporary home: the launcher is
really started and asked ``hello`` over the native framing; each breakage is
reported with its fix and a non-zero exit."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from omamori import keys
from omamori.catalog import say
from omamori.commands import doctor as doctor_command
from omamori.install.doctor import Finding, check_key, check_ledger, manifest_problem, run_checks
from omamori.install.browsers import ExtensionIds
from omamori.paths import default_paths
from install_world import CHROME_ID, GECKO_ID, MemoryRegistry, linux, run, windows

IDS = ExtensionIds(chrome_extension_id=CHROME_ID, gecko_id=GECKO_ID)


@pytest.fixture
def installed(world):
    home = world / "home"
    (home / ".config/chromium").mkdir(parents=True)
    (home / ".mozilla/firefox").mkdir(parents=True)
    assert run(world, linux(world)) == 0
    return world


def findings(world: Path, machine=None, registry=None) -> dict[str, Finding]:
    return {f.subject: f for f in run_checks(machine or linux(world), default_paths(), registry=registry)}


def test_healthy_install_passes_with_a_live_hello(installed, capsys):
    result = findings(installed)
    for subject in ("Chromium", "Firefox"):
        assert result[subject].status == "ok", result[subject]
        assert result[subject].fields["version"]      # came from the host's hello reply
    assert doctor_command.run_on(machine=linux(installed), registry=None, env={}) == 0
    assert "Everything omamori needs is in place." in capsys.readouterr().out


def test_missing_manifest_names_the_install_command(installed, capsys):
    (installed / "home/.mozilla/native-messaging-hosts/jp.omamori.host.json").unlink()
    result = findings(installed)["Firefox"]
    assert (result.status, result.what, result.fix) == ("problem", "doctor.no_manifest", "omamori install --browser firefox")
    assert doctor_command.run_on(machine=linux(installed), registry=None, env={"LANG": "ja_JP.UTF-8"}) == 3
    out = capsys.readouterr().out
    assert "直し方: omamori install --browser firefox" in out and "1 件の問題" in out


def test_firefox_manifest_with_allowed_origins_is_wrong(installed):
    manifest = installed / "home/.mozilla/native-messaging-hosts/jp.omamori.host.json"
    body = json.loads(manifest.read_text())
    body["allowed_origins"] = [f"chrome-extension://{CHROME_ID}/"]
    manifest.write_text(json.dumps(body))
    result = findings(installed)["Firefox"]
    assert result.what == "doctor.bad_manifest" and "allowed_origins" in result.fields["reason"]


def test_unparsable_manifest(installed):
    (installed / "home/.config/chromium/NativeMessagingHosts/jp.omamori.host.json").write_text("{")
    assert findings(installed)["Chromium"].what == "doctor.bad_manifest"


def test_launcher_not_executable_and_not_answering(installed):
    launcher = installed / "omamori/data/bin/omamori-host"
    launcher.chmod(0o644)
    result = findings(installed)["Chromium"]
    assert result.what == "doctor.not_executable" and result.fix.startswith("chmod 755")
    launcher.write_text("#!/bin/sh\necho broken >&2\nexit 3\n")
    launcher.chmod(0o755)
    result = findings(installed)["Chromium"]
    assert result.what == "doctor.no_hello" and "broken" in str(result.fields["reason"])


def test_manifest_problem_checks_the_allow_list_against_the_extension():
    good = {"name": "jp.omamori.host", "type": "stdio", "path": "/x", "allowed_origins": [f"chrome-extension://{CHROME_ID}/"]}
    assert manifest_problem(good, "chromium", IDS) is None
    other = {**good, "allowed_origins": ["chrome-extension://pppppppppppppppppppppppppppppppp/"]}
    assert "does not list this extension" in manifest_problem(other, "chromium", IDS)
    assert "name" in manifest_problem({**good, "name": "other"}, "chromium", IDS)


def test_key_permissions_and_damage(world):
    paths = default_paths()
    assert check_key(paths).status == "note"             # none yet: made on first protect
    keys.create(paths.key_file)
    assert check_key(paths).status == "ok"
    paths.key_file.chmod(0o644)
    result = check_key(paths)
    assert result.status == "problem" and result.fix == f"chmod 600 '{paths.key_file}'"
    paths.key_file.write_text("omamori-key-v1 damaged")
    assert check_key(paths).what == "doctor.key_unreadable"


def test_ledger_opens_or_is_reported(world):
    paths = default_paths()
    assert check_ledger(paths).what == "doctor.ledger_new"
    assert not paths.ledger_file.exists()               # doctor never creates it
    paths.ledger_file.parent.mkdir(parents=True)
    paths.ledger_file.write_bytes(b"this is not a database" * 100)
    result = check_ledger(paths)
    assert result.status == "problem" and result.what == "doctor.ledger_broken"


def test_damaged_settings_are_one_problem_the_browsers_host_still_answers(installed, capsys):
    """Every hello fails on a damaged settings file; the browsers are not a second problem whose fix is doctor."""
    paths = default_paths()
    paths.settings_file.parent.mkdir(parents=True, exist_ok=True)
    paths.settings_file.write_text('{"signature": {"opacity": "half"}}')
    result = findings(installed)
    assert [(result[s].status, result[s].what) for s in ("Chromium", "Firefox")] == \
        [("ok", "doctor.browser_ok_settings_damaged")] * 2
    assert result["settings"].status == "problem"
    assert doctor_command.run_on(machine=linux(installed), registry=None, env={}) != 0
    out = capsys.readouterr().out
    assert "fix: omamori doctor" not in out and "omamori settings reset" in out


@pytest.mark.parametrize("content", ["{bad", "[]", "null", '{"signature": {"opacity": "x"}}'])
def test_damaged_settings_are_said_as_such_with_the_reset_and_no_font_check(world, content):
    paths = default_paths()
    paths.settings_file.parent.mkdir(parents=True, exist_ok=True)
    paths.settings_file.write_text(content)
    result = {f.subject: f for f in run_checks(linux(world), paths, registry=None)}
    settings = result["settings"]
    assert (settings.status, settings.what, settings.fix) == ("problem", "doctor.settings_damaged",
                                                               "omamori settings reset")
    assert str(paths.settings_file) in say(settings.what, "en", **settings.fields)
    assert "font" not in result     # the font depends on the saved text, which cannot be read


def test_readable_settings_are_ok_and_the_font_is_checked(world):
    result = {f.subject: f for f in run_checks(linux(world), default_paths(), registry=None)}
    assert result["settings"].status == "ok" and "font" in result


def test_nothing_registered(world):
    (world / "home/.mozilla/firefox").mkdir(parents=True)
    result = run_checks(linux(world), default_paths(), registry=None)
    assert [(f.subject, f.status, f.what, f.fix) for f in result[:2]] == [
        ("Firefox", "note", "doctor.not_registered", "omamori install --browser firefox"),
        ("browsers", "problem", "doctor.no_registration", "omamori install"),
    ]


def test_no_browser_at_all_says_to_install_one(world):
    [finding] = [f for f in run_checks(linux(world), default_paths(), registry=None) if f.subject == "browsers"]
    assert (finding.status, finding.what) == ("problem", "doctor.no_browser")
    fix = finding.fix.text("en")
    assert "sudo apt install chromium" in fix and fix.endswith("omamori install")


def test_browser_left_out_on_purpose_is_a_note(world):
    (world / "home/.mozilla/firefox").mkdir(parents=True)
    (world / "home/.config/chromium").mkdir(parents=True)
    assert run(world, linux(world), "--browser", "firefox") == 0
    result = findings(world)
    assert result["Firefox"].status == "ok"
    assert (result["Chromium"].status, result["Chromium"].fix) == ("note", "omamori install --browser chromium")


def test_windows_missing_registry_key(world):
    (world / "home/Roaming/Mozilla/Firefox").mkdir(parents=True)
    registry = MemoryRegistry()
    assert run(world, windows(world), registry=registry) == 0
    registry.delete(r"Software\Mozilla\NativeMessagingHosts\jp.omamori.host")
    result = findings(world, windows(world), registry)["Firefox"]
    assert result.what == "doctor.no_key" and result.fix == "omamori install --browser firefox"
