"""Every sentence the host says to a person, in English and Japanese, and the one function that renders it.

The sentences live in ``data/catalog.json``, one table with both languages side by side (not a file per
language as the extension's ``_locales``): the host has two languages and every sentence is written in both
at once, so a reviewer sees a sentence next to its translation and a missing or stale one shows. Keys are
dotted (``error.<code>``, ``install.…``, ``report.<step>.…``); fields are ``str.format`` fields, the same
names in both languages (tests/test_catalog.py checks this). An entry may carry a ``note`` for translators, and
an entry with a ``{count}`` its English singular as ``en_one`` ("1 image"), said when the count is 1.

Code that decides something keeps a ``Message`` (a key and its fields) and renders it only at the edge: the
command line in the person's language (``language``), the protocol in both (``Message.both``).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

Lang = Literal["en", "ja"]
LANGUAGES: tuple[Lang, ...] = ("en", "ja")
# What separates two sentences: English puts a space after a full stop, Japanese (after 。) does not.
_SENTENCE_GAP: dict[Lang, str] = {"en": " ", "ja": ""}
_LIST_SEPARATOR: dict[Lang, str] = {"en": ", ", "ja": "、"}


@cache
def entries() -> dict[str, dict[str, str]]:
    """The catalog: key -> {"en": ..., "ja": ..., optionally "note": ...}."""
    return json.loads(resources.files("omamori").joinpath("data/catalog.json").read_text(encoding="utf-8"))


def say(key: str, lang: Lang, /, **fields: Any) -> str:
    """The sentence ``key`` in ``lang`` with ``fields`` filled in. A field that is a ``Message`` is rendered in
    the same language first; a tuple of them becomes a list ("a, b" / "a、b"). Raises KeyError for a key or
    field the catalog does not have."""
    entry = entries()[key]
    # "1 image", not "1 images": an entry with a {count} may carry its singular as "en_one" (Japanese has none)
    sentence = entry.get(f"{lang}_one", entry[lang]) if fields.get("count") == 1 else entry[lang]
    return sentence.format_map({name: _rendered(value, lang) for name, value in fields.items()})


def _rendered(value: Any, lang: Lang) -> Any:
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, tuple) and value and all(isinstance(item, Message) for item in value):
        return _LIST_SEPARATOR[lang].join(item.text(lang) for item in value)
    return value


@dataclass(frozen=True)
class Message:
    """A sentence not yet put into words: its catalog ``key`` and ``fields``, and the sentences that follow it
    (``then``), so that whoever shows it picks the language."""

    key: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    then: tuple[Message, ...] = ()

    def text(self, lang: Lang) -> str:
        sentences = [say(self.key, lang, **self.fields), *(more.text(lang) for more in self.then)]
        return _SENTENCE_GAP[lang].join(sentences)

    def both(self) -> dict[str, str]:
        """{"en": ..., "ja": ...}: how the protocol carries a sentence (docs/protocol.md)."""
        return {lang: self.text(lang) for lang in LANGUAGES}


def language(env: Mapping[str, str]) -> Lang:
    """The person's language from the locale variables, read as gettext reads them (LC_ALL, then LC_MESSAGES,
    then LANG): Japanese when the first one set starts with ``ja``, English otherwise."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"
