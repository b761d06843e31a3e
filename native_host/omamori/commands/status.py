"""``omamori status``: the checklist of measures (the ``status`` request), with the state of each that this
computer can know.

The X settings and the extension's automatic protection live in the browser, which the command line cannot
see: those lines say to check the extension's popup instead of guessing.
"""
from __future__ import annotations

import argparse
import json

from ..catalog import Message, say
from ..exit_codes import EXIT_OK
from ._shared import call, lang, open_host

_SYMBOLS = {"done": "✓", "todo": "✗", "optional": "–", "in_browser": "?"}
# For your own website and other platforms: the tools, since their state is not on this computer.
TOOLS = (("omamori site DIR", "status.tool.site"),
         ("omamori protect --for web --creator NAME IN", "status.tool.web"),
         ("omamori terms --name NAME", "status.tool.terms"))


def note(item: dict) -> Message:
    """What the line of ``item`` (a ``status`` result item) says after the measure's name."""
    reason = item["reason"]
    if item["id"] == "mark" and item["state"] == "todo" and reason != "off":
        reason = "no_key"        # key_unreadable, key_missing, storage_unwritable: omamori doctor tells which
    return Message(f"status.note.{item['id']}.{reason or item['state']}")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status", help="the checklist of measures and which are in place",
        description="Shows each measure omamori helps with and whether it is in place: the signature, mark and "
                    "cloak from your settings; the X settings and automatic protection are in your browser, so "
                    "check those in the extension's popup. Lists the tools for your own website.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    host = open_host()
    try:
        items = call(host, "status")["items"]
    finally:
        host.close()
    if args.json:
        print(json.dumps({
            "items": [{**item, "name": Message(f"status.item.{item['id']}").both(), "note": note(item).both()}
                      for item in items],
            "tools": [{"command": command, **Message(key).both()} for command, key in TOOLS],
        }, ensure_ascii=False))
        return EXIT_OK
    language = lang()
    print(say("status.title", language))
    for item in items:
        name = Message(f"status.item.{item['id']}").text(language)
        print(f"  {_SYMBOLS[item['state']]} {name}: {note(item).text(language)}")
    print()
    print(say("status.tools_heading", language))
    for command, key in TOOLS:
        print(f"  {command}  —  {say(key, language)}")
    return EXIT_OK
