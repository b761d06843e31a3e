"""The key, the ledger and the settings store, on temporary folders."""
from __future__ import annotations

import json
import multiprocessing
import sqlite3
import stat
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from omamori import keys, settings as store
from omamori.errors import OmamoriError, StateError
from omamori.ledger import SCHEMA_VERSION, Entry, Ledger

from in_process import ask


def test_a_new_key_is_owner_only_and_read_back(tmp_path):
    path = tmp_path / "config" / "key"
    key = keys.load_or_create(path, used_before=False)
    assert len(key) == 32 and keys.read_key(path) == key
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
@pytest.mark.parametrize("write", [
    lambda folder: keys.create(folder / "key"),
    lambda folder: keys.import_key(folder / "key", keys.format_key(bytes(32)), replace=False),
    lambda folder: store.save(store.Settings(), folder / "settings.json"),
], ids=["key new", "key import", "settings"])
def test_the_config_folder_a_write_makes_is_owner_only(tmp_path, write):
    write(tmp_path / "config")
    assert stat.S_IMODE((tmp_path / "config").stat().st_mode) == 0o700


def test_a_damaged_key_is_reported_and_never_replaced(tmp_path):
    path = tmp_path / "key"
    keys.create(path)
    damaged = path.read_text().replace("a", "b", 1).replace("0", "1", 1)
    path.write_text(damaged)
    with pytest.raises(StateError) as caught:
        keys.load_or_create(path, used_before=True)
    assert caught.value.code == "key_unreadable"
    assert path.read_text() == damaged


def test_a_missing_key_is_not_silently_recreated_once_images_were_protected(tmp_path):
    with pytest.raises(StateError) as caught:
        keys.load_or_create(tmp_path / "key", used_before=True)
    assert caught.value.code == "key_missing"
    assert not (tmp_path / "key").exists()


def test_import_asks_before_replacing_a_different_key_and_keeps_the_old_one(tmp_path):
    path = tmp_path / "key"
    old = keys.create(path)
    other = keys.format_key(bytes(range(32)))
    with pytest.raises(StateError) as caught:
        keys.import_key(path, other, replace=False)
    assert caught.value.code == "key_exists" and keys.read_key(path) == old
    key, kept = keys.import_key(path, other, replace=True)
    backups = list(tmp_path.glob("key.*.bak"))
    assert key == bytes(range(32)) and backups == [kept] and keys.parse_key(kept.read_text()) == old


def test_ledger_records_and_finds_by_output_and_by_likeness(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    entry = Entry(time="2026-11-21T10:00:00+00:00", name="a.jpg", sha256_original="0" * 64, sha256_output="f" * 64,
                  mark_id="abc", fingerprint=0xFFFF_0000_FFFF_0000, width=10, height=20, format="jpeg")
    ledger.record(entry, settings={"x": 1})
    assert ledger.count() == 1 and ledger.recent(5) == [entry]
    assert ledger.find_output("f" * 64) == entry
    assert ledger.nearest(0xFFFF_0000_FFFF_0003, max_distance=4) == (entry, 2)
    assert ledger.nearest(0x0000_FFFF_0000_FFFF, max_distance=10) is None
    assert (tmp_path / "ledger.sqlite3-wal").exists()
    ledger.close()


def _open_ledger(path: str) -> str | None:
    try:
        Ledger(Path(path)).close()
    except StateError as exc:
        return str(exc.fields)
    return None


def test_two_hosts_opening_a_new_ledger_together_both_succeed(tmp_path):
    # SQLite refuses a second switch to WAL at once ("locked") instead of waiting: this failed one time in two.
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        for n in range(30):
            path = str(tmp_path / f"ledger{n}.db")
            assert pool.map(_open_ledger, [path, path]) == [None, None]


def test_settings_changes_are_checked_and_dotted_keys_work():
    changed = store.apply_changes(store.Settings(), {"signature.text": "@me", "mark": {"strength": 2}})
    assert changed.signature.text == "@me" and changed.mark.strength == 2.0
    for bad in ({"signature.opacity": 3}, {"nope": 1}, {"mark": {"enabled": "yes"}},
                {"signature": {"placement": "middle"}}, {"extension.on_failure": "upload"},
                {"extension.server_url": "ws://127.0.0.1:8765"}):
        with pytest.raises(OmamoriError) as caught:
            store.apply_changes(store.Settings(), bad)
        assert caught.value.code == "bad_setting"


def test_settings_round_trip_through_the_file_and_a_typo_is_noticed(tmp_path):
    path = tmp_path / "settings.json"
    assert store.load(path) == store.Settings()
    changed = store.apply_changes(store.Settings(), {"output.max_side": 2048})
    store.save(changed, path)
    assert store.load(path) == changed
    path.write_text(json.dumps({"signatur": {}}))
    with pytest.raises(OmamoriError) as caught:
        store.load(path)
    assert caught.value.code == "settings_damaged" and caught.value.kind == "installation"


def test_a_file_saved_with_the_retired_connection_settings_still_loads_and_drops_them(tmp_path):
    path = tmp_path / "settings.json"
    saved_before = store.Settings().to_dict()
    saved_before["extension"].update(on_failure="cancel", connection="websocket", server_url="ws://127.0.0.1:8765")
    path.write_text(json.dumps(saved_before))
    assert store.load(path).extension == store.ExtensionSettings(on_failure="cancel")
    store.change(path, {"mark.strength": 2})
    assert "connection" not in json.loads(path.read_text())["extension"]


@pytest.mark.parametrize(("changes", "en", "ja"), [
    ({"signature.opacity": 1.5}, "1.5 for signature.opacity. Use a number from 0.05 to 1.0.", "0.05〜1.0 の数"),
    ({"signature.enabled": "no"}, '"no" for signature.enabled. Use true or false.', "true か false"),
    ({"output.max_side": 100}, "from 256 to 4096", "256〜4096"),
    ({"signature.placement": "middle"}, "Use one of: corner, tiled.", "corner, tiled"),
])
def test_a_refused_setting_names_the_field_the_value_and_what_it_may_be_in_both_languages(changes, en, ja):
    with pytest.raises(OmamoriError) as caught:
        store.apply_changes(store.Settings(), changes)
    field = next(iter(changes))
    assert caught.value.kind == "usage" and caught.value.details["field"] == field
    assert en in caught.value.message.text("en")
    assert field in caught.value.message.text("ja") and ja in caught.value.message.text("ja")


def test_a_font_path_with_no_file_is_refused_when_set_and_nothing_is_saved(tmp_path):
    path = tmp_path / "settings.json"
    with pytest.raises(OmamoriError) as caught:
        store.change(path, {"signature.font_path": str(tmp_path / "missing.ttf")})
    assert caught.value.details["rule"] == "font_file" and not path.exists()


def test_a_font_path_to_a_file_that_is_not_a_font_is_refused_as_such(tmp_path):
    picture = tmp_path / "art.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(OmamoriError) as caught:
        store.change(tmp_path / "settings.json", {"signature.font_path": str(picture)})
    assert caught.value.code == "bad_setting" and caught.value.details["rule"] == "font_file"


def test_a_number_too_large_for_a_float_is_a_bad_setting(tmp_path):
    with pytest.raises(OmamoriError) as caught:
        store.change(tmp_path / "settings.json", {"signature.opacity": 10 ** 400})
    assert (caught.value.code, caught.value.details["rule"]) == ("bad_setting", "number")
    assert len(caught.value.details["value"]) <= 61     # said back shortened, not 400 digits


def test_a_refused_long_value_is_said_back_shortened():
    with pytest.raises(OmamoriError) as caught:
        store.apply_changes(store.Settings(), {"signature.placement": "x" * 10_000})
    assert "…" in caught.value.details["value"] and len(caught.value.message.text("en")) < 400
    path = "/home/yuki/.local/share/fonts/" + "deep/" * 20 + "NotoSansCJKjp-Regular-Variable-Old.otf"
    with pytest.raises(OmamoriError) as caught:
        store.checked_entry(store.Settings(), {"signature.font_path": path})
    shown = caught.value.details["value"]
    assert shown.startswith('"/home/') and shown.endswith('NotoSansCJKjp-Regular-Variable-Old.otf"') and "…" in shown


def _version_2_ledger(path: Path) -> None:
    """A ledger as omamori wrote it before version 3 (no original name, destination or skipped steps)."""
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE protections (id INTEGER PRIMARY KEY, time TEXT NOT NULL, name TEXT NOT NULL,
            sha256_original TEXT NOT NULL, sha256_output TEXT NOT NULL, mark_id TEXT, fingerprint TEXT NOT NULL,
            width INTEGER NOT NULL, height INTEGER NOT NULL, format TEXT NOT NULL, settings TEXT NOT NULL,
            thumbnail BLOB);
        CREATE INDEX protections_output ON protections (sha256_output);
        INSERT INTO protections VALUES (1, '2026-01-02T03:04:05+00:00', 'old.jpg', 'a', 'b', NULL,
            '00000000000000ff', 10, 20, 'jpeg', '{}', NULL);
        PRAGMA user_version = 2;""")
    db.close()


def test_a_ledger_from_before_version_3_keeps_its_entries_and_records_the_new_fields(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    _version_2_ledger(path)
    ledger = Ledger(path)
    old, = ledger.recent(5)
    assert (old.name, old.original_name, old.destination, old.skipped) == ("old.jpg", None, None, None)
    skipped = ({"step": "mark", "reason": "image_too_small", "message": {"en": "no mark", "ja": "透かしなし"}},)
    new = Entry(time="2026-02-03T04:05:06+00:00", name="art.jpg", sha256_original="c", sha256_output="d",
                mark_id=None, fingerprint=1, width=30, height=40, format="jpeg", original_name="art.png",
                skipped=skipped)
    ledger.record(new, settings={})
    ledger.set_destination("d", "/pictures/art.omamori.jpg")
    assert ledger.recent(1)[0] == replace(new, destination="/pictures/art.omamori.jpg")
    assert ledger.count_other_than("c") == 1 and ledger.count_other_than("x") == 2
    ledger.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    reopened = Ledger(path)
    assert [entry.name for entry in reopened.recent(5)] == ["art.jpg", "old.jpg"]
    reopened.close()


def test_a_key_backup_made_in_the_same_second_as_another_never_writes_over_it(tmp_path):
    path = tmp_path / "key"
    first = keys.create(path)
    second = keys.create(path)         # backs up `first`
    keys.create(path)                  # backs up `second`, most likely within the same second
    kept = {keys.parse_key(backup.read_text()) for backup in tmp_path.glob("key.*.bak")}
    assert kept == {first, second}


def test_a_damaged_settings_file_names_the_setting_or_the_line_and_what_to_do(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"signature": {"opacity": 1.5}}))
    with pytest.raises(StateError) as caught:
        store.load(path)
    said = caught.value.message.both()
    assert caught.value.details["field"] == "signature.opacity"
    assert "omamori cannot use 1.5 for signature.opacity. Use a number from 0.05 to 1.0." in said["en"]
    assert "signature.opacity に 1.5 は使えません" in said["ja"] and "omamori settings reset" in said["ja"]
    json.dumps(caught.value.to_dict())                     # the protocol carries it as it is
    path.write_text('{"signature":\n  {"opacity": 0.5,}}')
    with pytest.raises(StateError) as caught:
        store.load(path)
    said = caught.value.message.both()
    assert "line 2, column 19" in said["en"] and "2 行目の 19 文字目" in said["ja"]


def test_settings_reset_is_the_way_out_of_a_damaged_file_that_fails_hello(host, paths):
    from omamori.protocol.envelope import Request

    paths.settings_file.parent.mkdir(parents=True, exist_ok=True)
    paths.settings_file.write_text("{bad")
    refused = host.handle(Request(id="h", type="hello", body={}))
    assert not refused["ok"] and refused["error"]["code"] == "settings_damaged"
    assert ask(host, "settings.reset")["settings"] == store.Settings().to_dict()
    assert ask(host, "hello")["settings"] == store.Settings().to_dict()
