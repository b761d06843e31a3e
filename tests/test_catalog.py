"""The catalog of host sentences: both languages for every key, the same fields in each, every key the code
names exists and every key is named somewhere (the host's counterpart of tests/extension/locales.test.mjs)."""
from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest

from omamori import catalog, errors

PACKAGE = Path(catalog.__file__).parent
KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_-]+)+$")
ENTRIES = catalog.entries()
NAMESPACES = {key.split(".")[0] for key in ENTRIES}


def _fields(sentence: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(sentence) if name is not None}


# Calls that take a catalog key, and at which position (a key may also sit in a variable first; the run-time
# lookup catches a wrong one there).
KEY_TAKERS = {"say": 0, "Message": 0, "Refused": 0, "Finding": 2}


def _constant_keys(node: ast.expr) -> set[str]:
    """The strings an argument can be: a constant, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _constant_keys(node.body) | _constant_keys(node.orelse)
    return set()


def _named_in_code() -> tuple[set[str], set[str], set[str]]:
    """(every string in the package's code, the keys given to KEY_TAKERS, prefixes of keys the code builds at run
    time: the constant start of an f-string or of a ``"prefix." + name`` sum)."""
    literals: set[str] = set()
    given: set[str] = set()
    prefixes: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_fstrings:
                literals.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                prefixes.add(node.values[0].value)
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) \
                    and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
                prefixes.add(node.left.value)
            elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in KEY_TAKERS:
                position = KEY_TAKERS[getattr(node.func, "id", getattr(node.func, "attr", None))]
                if len(node.args) > position:
                    given |= _constant_keys(node.args[position])
    return literals, given, {p for p in prefixes if p.endswith((".", "_")) and p.split(".")[0] in NAMESPACES}


def test_every_key_has_both_languages_and_nothing_else():
    for key, entry in ENTRIES.items():
        assert KEY.match(key), key
        assert set(entry) - {"note", "en_one"} == {"en", "ja"}, key
        assert "en_one" not in entry or "{count}" in entry["en"], f"{key}: a singular with no count to choose it"
        assert entry["en"].strip() and entry["ja"].strip(), key


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_both_languages_have_the_same_fields(key):
    entry = ENTRIES[key]
    assert _fields(entry["en"]) == _fields(entry["ja"]), key
    assert _fields(entry.get("en_one", "")) <= _fields(entry["en"]), key
    # Every field can be filled: a sentence renders with a value for each field it names.
    values = {name: 1 for name in _fields(entry["en"])}
    for lang in catalog.LANGUAGES:
        assert "{" not in catalog.say(key, lang, **values).replace("{1", "")


def test_every_error_code_has_a_sentence_and_every_error_sentence_a_code():
    assert {key.removeprefix("error.") for key in ENTRIES if key.startswith("error.")} == set(errors.CODES)


def test_every_key_the_code_names_exists():
    _, given, prefixes = _named_in_code()
    assert given - set(ENTRIES) == set()
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in ENTRIES), f"no key starts with {prefix!r}"


def test_every_key_is_named_in_the_code():
    literals, _, prefixes = _named_in_code()
    unused = {key for key in ENTRIES if key not in literals and not key.startswith(tuple(prefixes))}
    assert unused == set()


def test_a_count_of_one_is_said_in_the_singular_in_english():
    assert catalog.say("doctor.ledger_ok", "en", path="L", count=1) == "L (1 image)"
    assert catalog.say("doctor.ledger_ok", "en", path="L", count=2) == "L (2 images)"
    assert catalog.say("doctor.broken", "en", count=1).startswith("1 problem found.")
    assert catalog.say("doctor.ledger_ok", "ja", path="L", count=1) == "L（1 枚）"


def test_a_message_renders_its_fields_and_following_sentences_in_one_language():
    error = errors.ImageError("signature_unprintable", chars="🌸")
    message = catalog.Message("doctor.fix", then=(error.message,))
    both = message.both()
    assert both["en"].startswith("fix No font") and "“🌸”" in both["en"]
    assert both["ja"].startswith("直し方署名の「🌸」")


def test_language_follows_the_locale_variables_as_gettext_reads_them():
    assert catalog.language({"LANG": "ja_JP.UTF-8"}) == "ja"
    assert catalog.language({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}) == "en"
    assert catalog.language({"LC_MESSAGES": "ja_JP", "LANG": "en_US"}) == "ja"
    assert catalog.language({}) == "en"


def test_the_extension_shows_the_cloak_headline_word_for_word():
    extension = PACKAGE.parents[1] / "extension" / "_locales"
    for lang in catalog.LANGUAGES:
        locale = json.loads((extension / lang / "messages.json").read_text(encoding="utf-8"))
        assert locale["options_cloak_limits"]["message"] == catalog.say("cloak.limits", lang)


def test_the_switch_the_report_names_is_labelled_as_the_report_says():
    """The report tells people to turn off “keep palette PNGs” (output.keep_png8): the options page's switch must
    carry those very words, in each language."""
    locales = PACKAGE.parents[1] / "extension" / "_locales"
    label = {language: json.loads((locales / language / "messages.json").read_text(encoding="utf-8"))
             ["options_keep_png8"]["message"] for language in catalog.LANGUAGES}
    naming = [entry for entry in ENTRIES.values() if "keep_png8" in entry["en"] or "keep palette" in entry["en"]]
    assert len(naming) >= 5
    for entry in naming:
        assert f"“{label['en'][0].lower()}{label['en'][1:]}”" in entry["en"], entry["en"]
        assert f"「{label['ja']}」" in entry["ja"], entry["ja"]


def test_the_companion_servers_instructions_are_what_serve_does_and_what_the_options_page_shows():
    """Every “omamori serve …” a sentence names is a command line serve takes (``--pair`` pairs and serves: the token
    is printed once), and the labels the server's token message names are the options page's, in each language."""
    from omamori.cli import build_parser

    named = {match[1] for _, _, text in _sentences_people_read()
             for match in re.finditer(r"[“「](omamori serve[^”」]*)[”」]", text)}
    assert "omamori serve --pair" in named
    for command in named:
        build_parser().parse_args(command.split()[1:])  # a bad_usage error if serve does not take it
    locales = PACKAGE.parents[1] / "extension" / "_locales"
    for language in catalog.LANGUAGES:
        locale = json.loads((locales / language / "messages.json").read_text(encoding="utf-8"))
        said = catalog.say("server.token", language, token="T")
        quoted = re.findall(r'"([^"]+)"' if language == "en" else "「([^」]+)」", said)
        labels = [locale[key]["message"] for key in ("options_connection_heading", "options_connection_websocket",
                                                     "options_token", "options_server_url")]
        assert len(quoted) == len(labels) and all(label.startswith(name) for name, label in zip(quoted, labels)), \
            (language, quoted, labels)


def _sentences_people_read():
    """(where, language, text) of every sentence a person reads: the catalog's (the CLI's, and the host's that the
    extension shows) and the extension's own _locales; not the notes for translators."""
    for key, entry in ENTRIES.items():
        for field, text in entry.items():
            if field != "note":
                yield f"catalog {key} {field}", field[:2], text
    locales = PACKAGE.parents[1] / "extension" / "_locales"
    for language in catalog.LANGUAGES:
        for key, entry in json.loads((locales / language / "messages.json").read_text(encoding="utf-8")).items():
            yield f"_locales/{language} {key}", language, entry["message"]


def test_no_literal_backticks_commands_are_quoted_as_sentences_quote():
    """A command in a sentence is “omamori doctor” in English and 「omamori doctor」 in Japanese, in the terminal and
    in the browser alike: a backtick is markup no one renders."""
    assert [where for where, _, text in _sentences_people_read() if "`" in text] == []


# Japanese writes these loanwords with the long vowel (ブラウザー, not ブラウザ), as the extension and the CLI do
# throughout: one spelling per word.
LONG_VOWEL_WORDS = ("ブラウザ", "ユーザ", "サーバ", "フォルダ", "コンピュータ", "エディタ", "ヘッダ", "インストーラ",
                    "クローラ", "エンコーダ", "デコーダ", "パラメータ", "ドライバ", "プリンタ", "フィルタ", "マネージャ")


def test_japanese_spells_each_word_one_way():
    short = re.compile(f"(?:{'|'.join(LONG_VOWEL_WORDS)})(?!ー)")
    assert [(where, short.search(text)[0]) for where, language, text in _sentences_people_read()
            if language == "ja" and short.search(text)] == []


# Japanese sentences take full-width parentheses, as Japanese typesetting does (a sentence with both looks careless);
# half-width ones belong to what is quoted as typed (「…」: a command, a path, a header).
QUOTED = re.compile("「[^」]*」")


def test_japanese_writes_parentheses_full_width():
    assert [where for where, language, text in _sentences_people_read()
            if language == "ja" and re.search(r"[()]", QUOTED.sub("", text))] == []
