"""The ``omamori`` command as a user runs it (a real subprocess)."""
from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

from omamori import keys
from omamori.protocol.envelope import Request
from omamori.protocol.handlers import Host
from omamori.settings import Settings
from images import palette_png, small_art
from processes import run_cli


def test_protect_json_then_verify_json(tmp_path, sample):
    before = hashlib.sha256(sample.read_bytes()).hexdigest()
    run = run_cli(tmp_path / "home", "protect", str(sample), "--json")
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert {"output", "width", "height", "format", "bytes", "elapsed_ms", "mark"} <= set(record)
    assert record["output"] == str(tmp_path / "art.omamori.jpg") and record["format"] == "jpeg"
    assert hashlib.sha256(sample.read_bytes()).hexdigest() == before, "the input was modified"
    check = run_cli(tmp_path / "home", "verify", record["output"], "--json")
    assert check.returncode == 0
    verdict = json.loads(check.stdout)
    assert verdict["marked"] and verdict["mark"]["id"] == record["mark"]["id"]


def test_a_cloak_asked_for_without_its_model_is_said_plainly_and_exits_4(tmp_path, sample):
    """Protected (mark and signature), but the cloak asked for was not applied: the summary, the JSON's
    ``skipped`` and the exit status (exit_codes.EXIT_SKIPPED) all say so."""
    run = run_cli(tmp_path / "home", "protect", str(sample), "--cloak", "--json")
    assert run.returncode == 4, run.stderr
    record = json.loads(run.stdout)
    assert record["mark"]["verified"] and [s["step"] for s in record["skipped"]] == ["cloak"]
    assert record["skipped"][0]["reason"] == "unavailable"
    assert all("omamori models fetch" in record["skipped"][0]["message"][lang] for lang in ("en", "ja"))
    said = run_cli(tmp_path / "home", "protect", str(sample), "--cloak", "-o", str(tmp_path / "b.jpg"),
                   lang="ja_JP.UTF-8")
    assert said.returncode == 4 and said.stdout.startswith("⚠ ")
    assert "クロークなし" in said.stdout.splitlines()[1]
    assert run_cli(tmp_path / "home", "protect", str(sample), "-o", str(tmp_path / "c.jpg")).returncode == 0


def test_verify_says_the_verdict_in_words_and_the_figures_only_when_asked(tmp_path, sample):
    home = tmp_path / "home"
    output = json.loads(run_cli(home, "protect", str(sample), "--json").stdout)["output"]
    plain = run_cli(home, "verify", output, str(sample), lang="ja_JP.UTF-8")
    assert "はい、これはあなたの画像です" in plain.stdout and "確からしさ:非常に高い" in plain.stdout
    assert not any(figure in plain.stdout for figure in ("/64", "≤", "e+00", "e-"))
    figures = run_cli(home, "verify", "--verbose", output, str(sample)).stdout
    assert "confidence 1.000" in figures and "1 in 10^" in figures and "of 64 bits differ" in figures


def test_verify_exits_1_on_an_unmarked_image_and_says_so_in_japanese(tmp_path, sample):
    check = run_cli(tmp_path / "home", "verify", str(sample), lang="ja_JP.UTF-8")
    assert check.returncode == 1 and "あなたの透かしは見つから" in check.stdout


def test_a_batch_with_a_bad_file_goes_on_and_exits_1(tmp_path, sample):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    out = tmp_path / "out"
    run = run_cli(tmp_path / "home", "protect", str(broken), str(sample), "--out-dir", str(out), "--no-visible",
                  "--json")
    assert run.returncode == 1
    first, second = (json.loads(line) for line in run.stdout.splitlines())
    assert first["error"]["code"] == "not_an_image" and Path(second["output"]) == out / "art.jpg"
    assert (out / "art.jpg").exists()


def test_the_input_is_never_overwritten(tmp_path, sample):
    jpeg = tmp_path / "photo.jpg"
    protected = run_cli(tmp_path / "home", "protect", str(sample), "-o", str(jpeg))
    assert protected.returncode == 0
    before = jpeg.read_bytes()
    again = run_cli(tmp_path / "home", "protect", str(jpeg), "-o", str(jpeg), "--json")
    failure = json.loads(again.stdout)
    assert again.returncode == 2 and failure["error"]["code"] == "would_overwrite_input"
    assert failure["exit_status"] == 2 and str(jpeg) in failure["error"]["message"]["ja"]
    assert jpeg.read_bytes() == before


def test_key_export_and_import_round_trip(tmp_path, sample):
    home, backup = tmp_path / "home", tmp_path / "backup.key"
    assert run_cli(home, "key", "export", str(backup)).returncode == 0
    shown = run_cli(home, "key", "show").stdout
    other = tmp_path / "other"
    assert run_cli(other, "key", "import", str(backup)).returncode == 0
    assert run_cli(other, "key", "show").stdout.splitlines()[-1] == shown.splitlines()[-1]
    refused = run_cli(home, "key", "new")
    assert refused.returncode == 2 and "--yes" in refused.stdout
    assert run_cli(home, "key", "new", "--yes").returncode == 0
    assert run_cli(home, "key", "show").stdout.splitlines()[-1] != shown.splitlines()[-1]
    assert list((home / "config").glob("key*.bak")), "the old key was not kept"


def test_a_missing_key_after_use_stops_with_exit_3_and_the_fix(tmp_path, sample):
    home = tmp_path / "home"
    assert run_cli(home, "protect", str(sample), "--out-dir", str(tmp_path / "o")).returncode == 0
    (home / "config" / "key").unlink()
    run = run_cli(home, "protect", str(sample), "--out-dir", str(tmp_path / "o2"))
    assert run.returncode == 3 and "omamori key import" in run.stderr


def test_settings_set_and_show(tmp_path):
    home = tmp_path / "home"
    assert run_cli(home, "settings", "set", "signature.placement=tiled", "output.max_side=2048").returncode == 0
    shown = json.loads(run_cli(home, "settings", "show", "--json").stdout)
    assert shown["signature"]["placement"] == "tiled" and shown["output"]["max_side"] == 2048
    assert run_cli(home, "settings", "set", "output.max_side=12").returncode == 2
    refused = run_cli(home, "settings", "set", "signature.text=ゆき🌸")
    assert refused.returncode == 2 and "“🌸”" in refused.stderr
    assert json.loads(run_cli(home, "settings", "show", "--json").stdout)["signature"]["text"] != "ゆき🌸"


def test_settings_reset_brings_back_the_defaults_even_over_a_damaged_file(tmp_path):
    home = tmp_path / "home"
    assert run_cli(home, "settings", "set", "signature.placement=tiled").returncode == 0
    (home / "config" / "settings.json").write_text("{not json")
    assert run_cli(home, "settings", "show").returncode == 3
    reset = run_cli(home, "settings", "reset")
    assert reset.returncode == 0 and 'signature.placement = "corner"' in reset.stdout
    assert json.loads(run_cli(home, "settings", "show", "--json").stdout) == Settings().to_dict()


def test_preview_ai_takes_the_cloak_strength_the_request_allows(tmp_path, sample):
    home = tmp_path / "home"
    out = ("--out", str(tmp_path / "p.png"))
    # no model here: a strength in range gets as far as the model; one out of range is refused before
    assert "omamori models fetch" in run_cli(home, "preview-ai", str(sample), "--strength", "2", *out).stderr
    refused = run_cli(home, "preview-ai", str(sample), "--strength", "5", *out)
    assert refused.returncode == 2 and refused.stderr and "models fetch" not in refused.stderr
    assert not (tmp_path / "p.png").exists()


def test_a_file_that_is_not_a_key_backup_is_named_as_such_and_the_key_in_use_is_kept(tmp_path):
    home, bad = tmp_path / "home", tmp_path / "bad.key"
    bad.write_text("hello")
    shown = run_cli(home, "key", "show").stdout
    refused = run_cli(home, "key", "import", str(bad), lang="ja_JP.UTF-8")
    assert refused.returncode == 1 and "有効な omamori の鍵のバックアップ" in refused.stderr
    assert run_cli(home, "key", "show").stdout == shown


def test_a_flag_out_of_range_is_a_usage_error_naming_the_flag_before_any_work(tmp_path, sample):
    refused = run_cli(tmp_path / "home", "protect", str(sample), "--max-side", "100", "--json", lang="ja_JP.UTF-8")
    failure = json.loads(refused.stdout)
    assert refused.returncode == 2 and failure["exit_status"] == 2 and failure["error"]["details"]["field"] == "--max-side"
    assert "--max-side に 100 は使えません" in refused.stderr and "256〜4096" in refused.stderr
    assert not (tmp_path / "art.omamori.jpg").exists()


def test_a_command_without_its_action_prints_its_help_and_exits_2(tmp_path):
    for args in ((), ("models",), ("key",)):
        alone = run_cli(tmp_path / "home", *args)
        assert alone.returncode == 2 and "usage: omamori" in alone.stdout and "-h, --help" in alone.stdout


def test_two_inputs_with_o_are_refused_in_the_users_language_and_as_json(tmp_path, sample):
    refused = run_cli(tmp_path / "home", "protect", str(sample), str(sample), "-o", str(tmp_path / "x.jpg"),
                      "--json", lang="ja_JP.UTF-8")
    failure = json.loads(refused.stdout)
    assert refused.returncode == 2 and failure == {"error": failure["error"], "exit_status": 2}
    assert failure["error"]["code"] == "bad_usage" and "-o に指定できる入力は 1 つ" in refused.stderr


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path, sample):
    home = tmp_path / "home"
    for n in range(3):
        assert run_cli(home, "protect", str(sample), "-o", str(tmp_path / f"{n}.jpg")).returncode == 0
    environment = dict(os.environ, OMAMORI_HOME=str(home), LANG="en_US.UTF-8")
    history = subprocess.Popen([sys.executable, "-m", "omamori.cli", "history"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environment)
    history.stdout.close()      # what `| head` does once it has its lines, here before the first one
    errors = history.stderr.read()
    assert history.wait(timeout=60) == 141 and errors == "", errors


def test_what_argparse_refuses_is_a_bad_usage_error_with_json_too(tmp_path, sample):
    refused = run_cli(tmp_path / "home", "protect", str(sample), "--placement", "middle", "--json", lang="ja_JP.UTF-8")
    failure = json.loads(refused.stdout)
    assert refused.returncode == 2 and failure["error"]["code"] == "bad_usage" and failure["exit_status"] == 2
    assert "usage: omamori protect" in refused.stderr and "このコマンドは、このままでは実行できません" in refused.stderr


def test_history_limit_out_of_range_is_said_as_the_flag_to_fix(tmp_path):
    refused = run_cli(tmp_path / "home", "history", "--limit", "0", lang="ja_JP.UTF-8")
    assert refused.returncode == 2 and "--limit に 0 は使えません。1〜500 の数を指定してください。" in refused.stderr


def test_history_names_the_file_protected_where_it_went_and_the_local_time(tmp_path, sample, paths):
    """The CLI's output path; the browser's site for what the extension protected; the time in the person's
    time zone (the ledger keeps UTC); the file's own name (art.png), not the output's (art.jpg)."""
    home = tmp_path / "omamori"        # the paths fixture's OMAMORI_HOME
    out = tmp_path / "out.jpg"
    assert run_cli(home, "protect", str(sample), "-o", str(out)).returncode == 0
    host = Host(paths, transport="native")       # what the extension sends on Bluesky (background.js, PORTS)
    reply = host.handle(Request(id=1, type="protect", body={"image": small_art(), "name": "cat.png",
                                                            "profile": "bluesky"}))
    host.close()
    assert reply["ok"], reply
    tokyo = {"TZ": "Asia/Tokyo"}
    listed = run_cli(home, "history", env=tokyo).stdout.splitlines()
    assert "cat.png → attached on Bluesky in the browser" in listed[0]
    assert f"art.png → {out}" in listed[1] and "art.jpg" not in listed[1]
    items = json.loads(run_cli(home, "history", "--json", env=tokyo).stdout)["items"]
    assert [(item["original_name"], item["destination"]) for item in items] == [
        ("cat.png", "browser:bluesky"), ("art.png", str(out))]
    utc = datetime.fromisoformat(items[1]["time"])
    local = datetime.fromisoformat(items[1]["local_time"])
    assert local == utc and local.utcoffset() == timedelta(hours=9)
    assert listed[1].startswith(f"{local:%Y-%m-%d %H:%M}  ")
    said = run_cli(home, "history", lang="ja_JP.UTF-8", env=tokyo).stdout
    assert "ブラウザーで Bluesky に添付" in said


def test_an_output_name_whose_ending_says_another_format_is_corrected_and_said(tmp_path, sample):
    """-o names the file; its ending follows the format written (a PNG named .jpg is refused or misread)."""
    home = tmp_path / "home"
    art = tmp_path / "pixels.png"
    art.write_bytes(palette_png()[0])
    run = run_cli(home, "protect", str(art), "-o", str(tmp_path / "dot.jpg"), "--json")
    record = json.loads(run.stdout)
    assert run.returncode == 0 and record["format"] == "png" and record["output"] == str(tmp_path / "dot.png")
    assert Image.open(tmp_path / "dot.png").format == "PNG" and not (tmp_path / "dot.jpg").exists()
    said = run_cli(home, "protect", str(sample), "-o", str(tmp_path / "photo.PNG"), lang="ja_JP.UTF-8")
    assert Image.open(tmp_path / "photo.jpg").format == "JPEG"
    assert "photo.PNG ではなく photo.jpg として保存しました" in said.stdout.splitlines()[1]
    kept = run_cli(home, "protect", str(sample), "-o", str(tmp_path / "photo.jpeg"), "--json")
    assert json.loads(kept.stdout)["output"] == str(tmp_path / "photo.jpeg")
    named = run_cli(home, "protect", str(sample), "-o", str(tmp_path / "final.v2"), "--json")
    assert json.loads(named.stdout)["output"] == str(tmp_path / "final.v2.jpg")


def test_an_output_that_names_a_folder_writes_into_it_and_a_place_that_cannot_hold_a_file_is_named(tmp_path,
                                                                                                   sample):
    home, folder = tmp_path / "home", tmp_path / "done"
    folder.mkdir()
    into = run_cli(home, "protect", str(sample), "-o", str(folder), "--json")
    assert into.returncode == 0 and json.loads(into.stdout)["output"] == str(folder / f"{sample.stem}.jpg")
    here = run_cli(home, "protect", str(sample), "-o", ".", "--json", cwd=folder)
    assert here.returncode == 0 and "renamed" not in json.loads(here.stdout)
    assert (folder / json.loads(here.stdout)["output"]).parent.resolve() == folder.resolve()
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("x")
    refused = run_cli(home, "protect", str(sample), "--out-dir", str(not_a_folder), "--json",
                      lang="ja_JP.UTF-8")
    failure = json.loads(refused.stdout)
    assert refused.returncode == 2 and failure["error"]["code"] == "output_unwritable"
    assert str(not_a_folder) in failure["error"]["message"]["ja"] and not_a_folder.read_text() == "x"


def test_an_output_ending_in_a_slash_is_a_folder_made_for_it(tmp_path, sample):
    """"-o done/" with no such folder yet: argparse's Path would drop the slash and write done.jpg beside it."""
    home, second = tmp_path / "home", tmp_path / "second.png"
    second.write_bytes(palette_png()[0])
    run = run_cli(home, "protect", str(sample), str(second), "-o", f"{tmp_path / 'done'}/", "--json")
    assert run.returncode == 0, run.stderr
    outputs = [json.loads(line)["output"] for line in run.stdout.splitlines()]
    assert outputs == [str(tmp_path / "done" / f"{sample.stem}.jpg"), str(tmp_path / "done" / "second.png")]
    assert not (tmp_path / "done.jpg").exists()


def test_key_export_to_a_folder_writes_the_backup_into_it(tmp_path):
    home, folder = tmp_path / "home", tmp_path / "Backups"
    folder.mkdir()
    assert run_cli(home, "key", "new", "--yes").returncode == 0
    assert run_cli(home, "key", "export", str(folder)).returncode == 0
    assert keys.read_key(folder / "omamori-key.txt") == keys.read_key(home / "config" / "key")
    assert run_cli(home, "key", "export", f"{tmp_path / 'new'}/").returncode == 0
    assert keys.read_key(tmp_path / "new" / "omamori-key.txt") == keys.read_key(home / "config" / "key")


class _Terminal(io.StringIO):
    """Standard input as a person's terminal, holding what they type."""

    def isatty(self) -> bool:
        return True


def test_key_export_asks_before_writing_over_a_file_and_refuses_when_nobody_can_answer(tmp_path, paths,
                                                                                         monkeypatch, capsys):
    from omamori import cli
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))          # a script: nobody to ask
    assert cli.main(["key", "export", str(notes)]) == 2
    assert notes.read_text() == "my notes" and "--replace" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    assert cli.main(["key", "export", str(notes)]) == 2 and notes.read_text() == "my notes"
    said = capsys.readouterr().out
    assert "鍵で上書きしますか? [y/N]" in said and "何も書き込んでいません" in said
    monkeypatch.setattr(sys, "stdin", _Terminal("はい\n"))
    assert cli.main(["key", "export", str(notes)]) == 0
    key = keys.read_key(notes)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))          # the same key again: nothing to lose, no question
    assert cli.main(["key", "export", str(notes)]) == 0 and keys.read_key(notes) == key
    other = tmp_path / "other.txt"
    other.write_text("x")
    assert cli.main(["key", "export", str(other), "--replace"]) == 0 and keys.read_key(other) == key


def test_the_key_of_the_installers_sample_run_gives_way_to_an_imported_one(tmp_path, sample):
    """`omamori sample` (run by the installer) makes a key; a backup imported next replaces it without --replace,
    the sample's key kept; once a picture of the person's was protected, --replace is needed again."""
    home = tmp_path / "home"
    backup = tmp_path / "backup.key"
    backup.write_text(keys.format_key(bytes(range(32))))
    assert run_cli(home, "sample").returncode == 0
    imported = run_cli(home, "key", "import", str(backup))
    assert imported.returncode == 0 and "only the sample picture" in imported.stdout
    assert len(list((home / "config").glob("key.*.bak"))) == 1
    assert run_cli(home, "key", "new", "--yes").returncode == 0
    own = tmp_path / "own.png"
    own.write_bytes(palette_png()[0])
    assert run_cli(home, "protect", str(own)).returncode == 0
    refused = run_cli(home, "key", "import", str(backup))
    assert refused.returncode == 2 and "--replace" in refused.stderr
    assert run_cli(home, "key", "import", str(backup), "--replace").returncode == 0


def test_verify_of_an_unmarked_palette_output_says_from_the_ledger_why_it_has_no_mark(tmp_path):
    home = tmp_path / "home"
    tiny = tmp_path / "tiny.png"
    picture = Image.fromarray(np.random.default_rng(4).integers(0, 4, (40, 50), dtype=np.uint8), "P")
    picture.putpalette([0, 0, 0, 255, 255, 255, 200, 30, 30, 30, 30, 200])
    picture.save(tiny)
    assert run_cli(home, "protect", str(tiny)).returncode == 4          # no signature, no mark: said, exit 4
    checked = run_cli(home, "verify", str(tmp_path / "tiny.omamori.png"), "--json")
    result = json.loads(checked.stdout)
    assert checked.returncode == 1 and not result["marked"] and result["ledger_match"]["exact"]
    assert "use a larger image" in result["summary"]["en"] and "大きめの画像" in result["summary"]["ja"]
    said = run_cli(home, "verify", str(tmp_path / "tiny.omamori.png"), lang="ja_JP.UTF-8").stdout
    assert "保護したときの報告" in said and "256 ピクセル未満" in said
    picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(tiny)     # another picture: another output
    off = run_cli(home, "protect", str(tiny), "--no-mark", "-o", str(tmp_path / "plain.png"))
    assert off.returncode == 4                                           # the signature: asked for, too small
    plain = json.loads(run_cli(home, "verify", str(tmp_path / "plain.png"), "--json").stdout)
    assert "the mark was off in your settings" in plain["summary"]["en"]
