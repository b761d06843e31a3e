"""An error's kind (usage, input, installation) decides the exit status of ``omamori``, one table for all."""
from __future__ import annotations

import json

import pytest

from omamori import errors
from omamori.exit_codes import EXIT_BROKEN, EXIT_PARTIAL, EXIT_USAGE, exit_status


def test_every_code_has_exactly_one_kind():
    assert set(errors.KIND) == set(errors.CODES)
    assert set(errors.KIND.values()) == {"usage", "input", "installation"}


@pytest.mark.parametrize(("code", "status"), [
    ("bad_setting", EXIT_USAGE), ("signature_unprintable", EXIT_USAGE), ("would_overwrite_input", EXIT_USAGE),
    ("key_exists", EXIT_USAGE),
    ("not_an_image", EXIT_PARTIAL), ("still_format_unsupported", EXIT_PARTIAL), ("file_unreadable", EXIT_PARTIAL),
    ("key_backup_invalid", EXIT_PARTIAL), ("timeout", EXIT_PARTIAL),
    ("key_unreadable", EXIT_BROKEN), ("settings_damaged", EXIT_BROKEN), ("model_missing", EXIT_BROKEN),
    ("storage_unwritable", EXIT_BROKEN), ("internal_error", EXIT_BROKEN),
])
def test_the_kind_of_an_error_decides_the_exit_status(code, status):
    assert exit_status(errors.OmamoriError(code)) == status


def test_the_branch_an_error_is_raised_as_does_not_change_its_kind():
    # the CLI rebuilds errors from replies by code alone, so the class must not matter
    assert exit_status(errors.StateError("bad_setting")) == exit_status(errors.RequestError("bad_setting"))


@pytest.mark.parametrize(("argv", "english", "japanese"), [
    (["protect", "a.png", "--placement", "middle"], "--placement cannot be 'middle'; use one of: 'corner', 'tiled'.",
     "--placement に 'middle' は使えません。次のどれかを指定してください: 'corner', 'tiled'。"),
    (["history", "--limit", "x"], "--limit takes a whole number, not 'x'.", "--limit には整数を指定してください"),
    (["history", "--limit"], "--limit needs a value after it.", "--limit の後に値を指定してください。"),
    (["protect"], "It also needs: IN.", "次の指定も必要です: IN。"),
    (["history", "--bogus"], "omamori does not know: --bogus.", "次の指定は使えません: --bogus。"),
    (["protect", "a.png", "-o", "a.jpg", "--out-dir", "b"], "--out-dir and -o/--output cannot be used together",
     "--out-dir と -o/--output は一緒に使えません"),
])
def test_what_argparse_refuses_is_said_in_the_persons_language(argv, english, japanese, monkeypatch, capsys):
    from omamori import cli
    for lang, expected in (("en_US.UTF-8", english), ("ja_JP.UTF-8", japanese)):
        monkeypatch.setenv("LC_ALL", lang)
        assert cli.main([*argv, "--json"]) == EXIT_USAGE
        failure = json.loads(capsys.readouterr().out)
        assert expected in failure["error"]["message"]["en" if lang.startswith("en") else "ja"]
        assert failure["error"]["details"]["problem"]        # argparse's own sentence, for scripts
