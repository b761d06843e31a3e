"""Bilingual texts the user copies: a profile line for X and terms of use for a website.

The texts live in ``data/templates.json`` (Japanese and English side by side,
so a translator sees both); this module fills in the name and contact. The
legal note says neutrally what such terms can and cannot do (Japan's Copyright
Act article 30-4); it is general information, not legal advice.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Literal

Language = Literal["ja", "en"]


@dataclass(frozen=True)
class Terms:
    """The terms of use in one language: heading, paragraph, and the note on what terms can do."""

    heading: str
    paragraph: str
    legal_note_heading: str
    legal_note: str


def _texts() -> dict:
    return json.loads(resources.files("omamori").joinpath("data/templates.json").read_text(encoding="utf-8"))


def profile_line(language: Language | Literal["both"] = "both") -> str:
    """The short line for an X profile: "無断AI学習・無断転載禁止 / No AI training, no reposts" for "both"."""
    return _texts()["profile_line"][language]


def terms(language: Language, *, name: str = "", contact: str = "") -> Terms:
    """The website terms of use in ``language``, with ``name`` and ``contact`` filled in (placeholders
    in brackets when empty, for the user to replace)."""
    texts = _texts()
    values = {key: value or texts["placeholders"][key][language]
              for key, value in (("name", name.strip()), ("contact", contact.strip()))}
    return Terms(
        heading=texts["terms_heading"][language],
        paragraph=texts["terms"][language].format_map(values),
        legal_note_heading=texts["legal_note_heading"][language],
        legal_note=texts["legal_note"][language],
    )
