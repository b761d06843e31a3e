"""``omamori preview-ai IN``: what an AI model "sees" of an image, clean and cloaked, side by side.

The work is the protocol request ``cloak.preview`` (``omamori.cloak.preview.
what_ai_sees``), run in the host's worker under its time limit: the left half of the output is the tiny model's
reconstruction of the clean image, the right half that of the cloaked one.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..catalog import say
from ._shared import add_time_limit, call, check_flags, lang, open_host, output_file, read_input, save_as


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "preview-ai", help="write what an AI model sees of an image, clean and cloaked, side by side",
        description="Cloaks IN, then writes the tiny model's reconstruction of the clean image (left) and of the "
                    "cloaked image (right) as a PNG. " + say("cloak.limits", "en"),
    )
    parser.add_argument("input", type=Path, metavar="IN")
    parser.add_argument("--out", help="output PNG, or a folder to write it into (default: IN.ai-preview.png beside IN)")
    parser.add_argument("--strength", type=float, help="cloak strength, 0.25-2 (default: your cloak.strength setting)")
    parser.add_argument("--seed", type=int, help="random seed, for a repeatable result")
    add_time_limit(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    language = lang()

    def progress(step: str, fraction: float) -> None:
        if step == "cloak":
            print("\r" + say("preview_ai.progress", language, fraction=fraction), end="", flush=True)

    name = args.input.stem + ".ai-preview.png"
    target = args.input.with_name(name) if args.out is None else output_file(args.out, name)
    fields: dict = {}
    if args.strength is not None:
        fields["options"] = {"cloak.strength": args.strength}
        check_flags(fields["options"], {"cloak.strength": "--strength"})
    host = open_host(time_limit=args.time_limit)
    try:
        # the cloak.preview request, in the host's killable worker under its time limit
        if args.seed is not None:
            fields["seed"] = args.seed
        result = call(host, "cloak.preview", progress=progress, image=read_input(args.input), **fields)
    finally:
        host.close()
    print()
    save_as(target, result["image"], mode=0o644)
    print(say("preview_ai.written", language, path=target))
    print(say("cloak.limits", language))
    return 0
