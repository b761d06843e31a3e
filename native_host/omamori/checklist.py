"""The checklist of measures omamori helps with, and the state of each as this computer knows it.

One list for every client (the ``status`` request, docs/protocol.md): ``omamori status`` prints it and the
extension's popup shows it, filling in the items whose state only the browser knows (X's settings as it saw
them, whether automatic protection is on). Each client words the items itself: what to do next differs
between a terminal and the popup.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .settings import Settings

State = Literal["done", "todo", "optional", "in_browser"]

# In the order shown: first what a person sets on X and in the browser, then what omamori does to each image.
IN_BROWSER = ("grok_training", "grok_edits", "protect_posts", "auto_protect")


@dataclass(frozen=True)
class Item:
    """One measure: ``state`` and, when it is not done, ``reason``: ``"off"`` (switched off in the settings)
    or the error code of what stops it (``font_missing``, ``key_unreadable``, ``model_missing`` ...)."""

    id: str
    state: State
    reason: str | None = None


def checklist(settings: Settings, *, font_problem: str | None, key_problem: str | None,
              cloak_installed: bool) -> list[Item]:
    """The checklist from the settings and what stops a measure on this computer: the error code of finding a
    font for the signature text and of reading the key (None when they work), and whether the cloak's model is
    installed."""
    items = [Item(name, "in_browser") for name in IN_BROWSER]
    items.append(_switched("signature", settings.signature.enabled, font_problem))
    items.append(_switched("mark", settings.mark.enabled, key_problem))
    if not settings.cloak.enabled:
        items.append(Item("cloak", "optional", "off"))
    else:
        items.append(Item("cloak", "done") if cloak_installed else Item("cloak", "todo", "model_missing"))
    return items


def _switched(name: str, enabled: bool, problem: str | None) -> Item:
    if not enabled:
        return Item(name, "todo", "off")
    return Item(name, "todo", problem) if problem else Item(name, "done")
