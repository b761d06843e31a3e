"""Texts the user copies: a profile line for X and terms of use for a website.

The sentences are ``terms.…`` in the catalog; this module fills in the name and contact. The legal note says
neutrally what such terms can and cannot do (Japan's Copyright Act article 30-4); it is general information,
not legal advice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .catalog import Lang, say


@dataclass(frozen=True)
class Terms:
    """The terms of use in one language: heading, paragraph, and the note on what terms can do."""

    heading: str
    paragraph: str
    legal_note_heading: str
    legal_note: str


def profile_line(language: Lang | Literal["both"] = "both") -> str:
    """The short line for an X profile: "無断AI学習・無断転載禁止 / No AI training, no reposts" for "both"."""
    if language == "both":
        return say("terms.profile_line_both", "en")
    return say("terms.profile_line", language)


def terms(language: Lang, *, name: str = "", contact: str = "") -> Terms:
    """The website terms of use in ``language``, with ``name`` and ``contact`` filled in (placeholders
    in brackets when empty, for the user to replace)."""
    return Terms(
        heading=say("terms.heading", language),
        paragraph=say("terms.paragraph", language,
                      name=name.strip() or say("terms.placeholder_name", language),
                      contact=contact.strip() or say("terms.placeholder_contact", language)),
        legal_note_heading=say("terms.legal_note_heading", language),
        legal_note=say("terms.legal_note", language),
    )
