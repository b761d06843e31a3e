"""``omamori sample``: protect the bundled sample picture and verify it — the first thing to try."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..exit_codes import EXIT_OK, EXIT_PARTIAL
from ..catalog import say
from ..protocol.handlers import sample_picture
from ._shared import call, lang, note_destination, open_host, print_report, save_as


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sample", help="protect the bundled sample picture and verify it",
        description="Protects the sample illustration that ships with omamori with your settings, writes the "
                    "result, then reads the invisible mark back from it.",
    )
    parser.add_argument("--out-dir", type=Path, metavar="DIR",
                        help="where to write it (default: the omamori data folder)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    language = lang()
    host = open_host()
    try:
        original = sample_picture()
        result = call(host, "protect", image=original, name="sample.png")
        target = (args.out_dir or host.paths.data) / f"sample.omamori{Path(result['name']).suffix}"
        save_as(target, result["image"], mode=0o644)
        note_destination(result["image"], target)
        verdict = call(host, "verify", image=result["image"])
    finally:
        host.close()
    print(say("sample.protected", language, path=target))
    print_report(result["report"], indent="  ")
    if verdict["marked"] and verdict["mark"]["own"]:
        print(say("sample.read_back", language, id=verdict["mark"]["id"], date=verdict["mark"]["date"]))
        print(say("sample.look", language, path=target))
        return EXIT_OK
    print(say("sample.unread", language))
    return EXIT_PARTIAL
