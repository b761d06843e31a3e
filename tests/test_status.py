"""The checklist: computed by the host (``status`` request), printed by ``omamori status``; and ``omamori terms``."""
from __future__ import annotations

import json

import pytest

from omamori import checklist
from omamori.commands.status import note
from omamori.protocol.envelope import Request
from omamori.protocol.handlers import Host
from omamori.settings import Settings, apply_changes
from processes import run_cli as omamori

BROWSER_ITEMS = ["grok_training", "grok_edits", "protect_posts", "auto_protect"]


def items(changes: dict | None = None, *, font_problem=None, key_problem=None, cloak_installed=False) -> dict:
    """id -> (state, reason) of the checklist for settings with ``changes``."""
    settings = apply_changes(Settings(), changes or {})
    found = checklist.checklist(settings, font_problem=font_problem, key_problem=key_problem,
                                cloak_installed=cloak_installed)
    return {item.id: (item.state, item.reason) for item in found}


def test_defaults_signature_and_mark_done_cloak_optional_browser_items_not_guessed():
    assert items() == {
        **{name: ("in_browser", None) for name in BROWSER_ITEMS},
        "signature": ("done", None), "mark": ("done", None), "cloak": ("optional", "off"),
    }


@pytest.mark.parametrize("changes, problems, item, expected", [
    ({"signature.enabled": False}, {}, "signature", ("todo", "off")),
    ({}, {"font_problem": "font_missing"}, "signature", ("todo", "font_missing")),
    ({"signature.enabled": False}, {"font_problem": "font_missing"}, "signature", ("todo", "off")),
    ({"mark.enabled": False}, {}, "mark", ("todo", "off")),
    ({}, {"key_problem": "key_unreadable"}, "mark", ("todo", "key_unreadable")),
    ({"mark.enabled": False}, {"key_problem": "key_unreadable"}, "mark", ("todo", "off")),
    ({"cloak.enabled": True}, {}, "cloak", ("todo", "model_missing")),
    ({"cloak.enabled": True}, {"cloak_installed": True}, "cloak", ("done", None)),
    ({}, {"cloak_installed": True}, "cloak", ("optional", "off")),
])
def test_a_measure_that_cannot_work_is_not_done_and_says_why(changes, problems, item, expected):
    assert items(changes, **problems)[item] == expected


def host_status(paths) -> dict:
    host = Host(paths)
    try:
        reply = host.handle(Request(id="s", type="status", body={}))
        hello = host.handle(Request(id="h", type="hello", body={}))["result"]
    finally:
        host.close()
    assert reply["ok"], reply
    assert "status" in hello["capabilities"]
    # The popup reads the checklist from hello (one request when it opens): the same list as `status`.
    assert hello["checklist"] == reply["result"]["items"]
    return {item["id"]: (item["state"], item["reason"]) for item in reply["result"]["items"]}


def test_the_host_reads_the_key_the_font_and_the_model_on_this_computer(paths):
    assert list(host_status(paths)) == BROWSER_ITEMS + ["signature", "mark", "cloak"]
    paths.key_file.write_text("not a key")
    paths.settings_file.write_text(json.dumps({"signature": {"text": "🌸"}, "cloak": {"enabled": True}}))
    found = host_status(paths)
    assert found["mark"] == ("todo", "key_unreadable"), "a mark that cannot be made counted as done"
    assert found["signature"] == ("todo", "font_missing"), "a signature no font draws counted as done"
    assert found["cloak"] == ("todo", "model_missing")


def every_item() -> list[dict]:
    """Every (id, state, reason) the host can answer, as the ``status`` result carries it."""
    seen = {}
    for changes in ({}, {"signature.enabled": False, "mark.enabled": False}, {"cloak.enabled": True}):
        for problems in ({}, {"font_problem": "font_missing", "key_problem": "key_unreadable"},
                         {"key_problem": "key_missing", "cloak_installed": True}):
            for name, (state, reason) in items(changes, **problems).items():
                seen[name, state, reason] = {"id": name, "state": state, "reason": reason}
    return list(seen.values())


@pytest.mark.parametrize("item", every_item(), ids=lambda item: f"{item['id']}-{item['state']}-{item['reason']}")
def test_every_line_says_what_to_do_next_in_both_languages(item):
    said = note(item).both()
    assert said["en"] != said["ja"] and all(said.values())
    fix = {"off": f"omamori settings set {item['id']}.enabled=true", "font_missing": "omamori doctor",
           "key_unreadable": "omamori doctor", "key_missing": "omamori doctor",
           "model_missing": "omamori models fetch"}.get(item["reason"])
    if item["state"] == "in_browser":
        assert "popup" in said["en"] and "ポップアップ" in said["ja"]
    elif item["state"] != "done" and fix:
        assert fix in said["en"] and fix in said["ja"]


def test_status_command_reads_the_real_settings_and_key(tmp_path):
    assert omamori(tmp_path, "settings", "set", "signature.enabled=false").returncode == 0
    run = omamori(tmp_path, "status", "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert {item["id"]: item["state"] for item in report["items"]}["signature"] == "todo"
    assert [tool["command"].split()[1] for tool in report["tools"]] == ["site", "protect", "terms"]
    (tmp_path / "config" / "key").write_text("not a key")
    text = omamori(tmp_path, "status", lang="ja_JP.UTF-8").stdout
    assert "✗ 見える署名" in text and "omamori site DIR" in text
    mark_line = next(line for line in text.splitlines() if "透かし" in line)
    assert mark_line.lstrip().startswith("✗") and "omamori doctor" in mark_line


def test_terms_texts_in_both_languages_with_the_name_filled_in(tmp_path):
    profile = {lang: omamori(tmp_path, "terms", "--only", "profile", "--lang", lang).stdout.strip()
               for lang in ("en", "ja", "both")}
    for lang, line in profile.items():
        assert line and "\n" not in line and len(line) <= 160, f"the {lang} profile line does not fit an X bio"
    assert profile["en"].isascii() and not profile["ja"].isascii()
    assert not profile["both"].isascii() and any(word in profile["both"] for word in ("AI training", "reposts"))
    ja = omamori(tmp_path, "terms", "--only", "terms", "--lang", "ja", "--name", "山田花子",
                 "--contact", "hanako@example.com").stdout
    assert "山田花子" in ja and "hanako@example.com" in ja
    assert "第30条の4" in ja and "法的助言ではありません" in ja
    run = omamori(tmp_path, "terms", "--name", "Hanako", "--lang", "en")
    assert run.returncode == 0 and "© Hanako" in run.stdout and "利用規約" not in run.stdout
    assert "Article 30-4" in run.stdout and "not legal advice" in run.stdout
    assert "[your name]" in omamori(tmp_path, "terms", "--lang", "en").stdout
