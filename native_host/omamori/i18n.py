"""Which language to talk to a person in, for every command-line message.

The language follows the locale variables the way gettext reads them (LC_ALL,
then LC_MESSAGES, then LANG): Japanese when the first one set starts with
``ja``, English otherwise.
"""
from __future__ import annotations

from typing import Literal, Mapping

Lang = Literal["en", "ja"]


def language(env: Mapping[str, str]) -> Lang:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"
