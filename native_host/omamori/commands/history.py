"""``omamori history``: the images you protected, newest first."""
from __future__ import annotations

import argparse
import json

from ..catalog import say
from ..exit_codes import EXIT_OK
from ._shared import call, lang, open_host


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("history", help="list recent protections from your local ledger")
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="how many (1-500, default 20)")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    host = open_host()
    try:
        result = call(host, "history", limit=args.limit)
    finally:
        host.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return EXIT_OK
    if not result["items"]:
        print(say("history.empty", lang()))
    for item in result["items"]:
        print(f"{item['time']}  {item['name']:<32} {item['width']}×{item['height']} {item['format']:<4} "
              f"mark {item['mark_id'] or '-'}  sha256 {item['sha256_output'][:12]}")
    return EXIT_OK
