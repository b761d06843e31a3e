"""``omamori status`` (the checklist) and ``omamori terms`` (the texts to copy)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from omamori import templates
from omamori.commands.status import DONE, IN_BROWSER, OPTIONAL, TODO, checklist
from omamori.settings import Settings


def omamori(home, *args: str, lang: str = "en_US.UTF-8") -> subprocess.CompletedProcess:
    env = dict(os.environ, OMAMORI_HOME=str(home), OMAMORI_MODELS=str(home / "no-models"), LANG=lang, LC_ALL="")
    return subprocess.run([sys.executable, "-m", "omamori.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def hello(*, signature=True, mark=True, cloak=False, cloak_installed=False, key=True) -> dict:
    settings = Settings().to_dict()
    settings["signature"]["enabled"], settings["mark"]["enabled"], settings["cloak"]["enabled"] = signature, mark, cloak
    return {"settings": settings, "key": {"present": key}, "cloak": {"available": cloak_installed}}


def states(result) -> dict:
    return {item.id: item.state for item in result}


def test_defaults_signature_and_mark_done_cloak_optional_browser_lines_not_guessed():
    assert states(checklist(hello())) == {
        "grok_training": IN_BROWSER, "protect_posts": IN_BROWSER, "auto_protect": IN_BROWSER,
        "signature": DONE, "mark": DONE, "cloak": OPTIONAL,
    }


@pytest.mark.parametrize("changes, item, state, says", [
    ({"signature": False}, "signature", TODO, "signature.enabled=true"),
    ({"mark": False}, "mark", TODO, "mark.enabled=true"),
    ({"key": False}, "mark", TODO, "omamori doctor"),
    ({"cloak": True}, "cloak", TODO, "omamori models fetch"),
    ({"cloak": True, "cloak_installed": True}, "cloak", DONE, "on"),
])
def test_each_measure_that_is_not_in_place_says_why_and_what_to_do(changes, item, state, says):
    found = next(entry for entry in checklist(hello(**changes)) if entry.id == item)
    assert found.state == state and says in found.note["en"] and found.note["ja"]


def test_browser_lines_send_the_user_to_the_popup_in_both_languages():
    for item in checklist(hello()):
        if item.state == IN_BROWSER:
            assert "popup" in item.note["en"] and "ポップアップ" in item.note["ja"]
    posts = next(entry for entry in checklist(hello()) if entry.id == "protect_posts")
    assert "optional" in posts.name["en"] and "followers" in posts.note["en"]


def test_status_command_reads_the_real_settings(tmp_path):
    assert omamori(tmp_path, "settings", "set", "signature.enabled=false").returncode == 0
    run = omamori(tmp_path, "status", "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert {item["id"]: item["state"] for item in report["items"]}["signature"] == TODO
    assert [tool["command"].split()[1] for tool in report["tools"]] == ["site", "protect", "terms"]
    text = omamori(tmp_path, "status", lang="ja_JP.UTF-8").stdout
    assert "✗ 見える署名" in text and "omamori site DIR" in text


def test_terms_texts_in_both_languages_with_the_name_filled_in(tmp_path):
    assert templates.profile_line() == "無断AI学習・無断転載禁止 / No AI training, no reposts"
    assert len(templates.profile_line()) <= 160                  # fits an X bio
    ja = templates.terms("ja", name="山田花子", contact="hanako@example.com")
    en = templates.terms("en")
    assert "山田花子" in ja.paragraph and "hanako@example.com" in ja.paragraph
    assert "[your name]" in en.paragraph and "{" not in en.paragraph
    assert "第30条の4" in ja.legal_note and "Article 30-4" in en.legal_note
    assert "法的助言ではありません" in ja.legal_note and "not legal advice" in en.legal_note
    run = omamori(tmp_path, "terms", "--name", "Hanako", "--lang", "en")
    assert run.returncode == 0 and "© Hanako" in run.stdout and "利用規約" not in run.stdout
