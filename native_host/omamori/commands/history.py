"""``omamori history``: the images you protected, newest first, at your local time, with where each went."""
from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from ..catalog import Lang, Message, say
from ..exit_codes import EXIT_OK
from ..protect.sites import SITES
from ..protocol.handlers import MAX_HISTORY
from ..settings import bad_setting
from ._shared import call, lang, message, open_host

BROWSER_PREFIX = "browser:"     # the ledger's destination of an image handed to a page (docs/protocol.md, history)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("history", help="list recent protections from your local ledger")
    parser.add_argument("--limit", type=int, default=20, metavar="N", help=f"how many (1-{MAX_HISTORY}, default 20)")
    parser.add_argument("--json", action="store_true",
                        help="print the ledger's entries as JSON (time in UTC, local_time in your time zone)")
    parser.set_defaults(run=run)


def local_time(utc: str) -> datetime:
    """The ledger's UTC time (ISO 8601) in this computer's time zone."""
    return datetime.fromisoformat(utc).astimezone()


def destination(item: dict[str, Any]) -> Message | str:
    """Where the output went: the file written, the site it was attached on in the browser, or "not recorded"."""
    where = item["destination"]
    if where is None:
        return Message("history.to_unknown")
    if where.startswith(BROWSER_PREFIX):
        profile = where[len(BROWSER_PREFIX):]
        site = SITES[profile].name if profile in SITES else Message("history.web")
        return Message("history.to_browser", {"site": site})
    return where


def describe(item: dict[str, Any], language: Lang) -> str:
    """One protection: the time, the file protected, where it went, the output; what was skipped below it."""
    mark = Message("history.mark", {"id": item["mark_id"]}) if item["mark_id"] else Message("history.no_mark")
    line = say("history.line", language, time=f"{local_time(item['time']):%Y-%m-%d %H:%M}",
               name=item["original_name"] or item["name"], destination=destination(item), width=item["width"],
               height=item["height"], format=item["format"].upper(), mark=mark)
    return "\n".join([line, *(f"    ⚠ {message(step['message'])}" for step in item["skipped"] or ())])


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= MAX_HISTORY:     # said as a flag to fix, not as the protocol's bad_request
        raise bad_setting("--limit", args.limit, "range", low=1, high=MAX_HISTORY)
    host = open_host()
    try:
        result = call(host, "history", limit=args.limit)
    finally:
        host.close()
    if args.json:
        for item in result["items"]:
            item["local_time"] = local_time(item["time"]).isoformat(timespec="seconds")
        print(json.dumps(result, ensure_ascii=False))
        return EXIT_OK
    language = lang()
    if not result["items"]:
        print(say("history.empty", language))
    for item in result["items"]:
        print(describe(item, language))
    return EXIT_OK
