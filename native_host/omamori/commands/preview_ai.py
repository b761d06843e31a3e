"""``omamori preview-ai IN``: what an AI model "sees" of an image, clean and cloaked, side by side.

The work is ``omamori.cloak.preview.what_ai_sees`` (shared with the protocol
request ``cloak.preview``): the left half of the output is the tiny model's
reconstruction of the clean image, the right half that of the cloaked one.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .. import cloak, imageio, settings as settings_store
from ..atomic import write_atomic
from ..cloak.preview import what_ai_sees
from ..paths import default_paths
from ..protect.pipeline import full_colour
from ._shared import lang
from .protect import read_input


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "preview-ai", help="write what an AI model sees of an image, clean and cloaked, side by side",
        description="Cloaks IN, then writes the tiny model's reconstruction of the clean image (left) and of the "
                    "cloaked image (right) as a PNG. " + cloak.LIMITS,
    )
    parser.add_argument("input", type=Path, metavar="IN")
    parser.add_argument("--out", type=Path, help="output PNG (default: IN.ai-preview.png beside it)")
    parser.add_argument("--strength", type=float, default=1.0, help="cloak strength, 0.25-2 (default 1)")
    parser.add_argument("--seed", type=int, help="random seed, for a repeatable result")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ja = lang() == "ja"
    settings = settings_store.load(default_paths().settings_file)
    image = full_colour(read_input(args.input), settings=settings)

    def progress(_step: str, fraction: float) -> None:
        print(f"\r{'クローク' if ja else 'cloak'} {fraction:4.0%}", end="", flush=True)

    preview = what_ai_sees(image, strength=args.strength, rng=np.random.default_rng(args.seed), progress=progress)
    print()
    target = args.out or args.input.with_name(args.input.stem + ".ai-preview.png")
    write_atomic(target, imageio.encode_png(preview), mode=0o644)
    print((f"AI から見た姿(左: そのまま、右: クローク後)を書き出しました: {target}" if ja else
           f"Wrote what an AI model sees (left: as is, right: cloaked): {target}"))
    print(cloak.LIMITS_JA if ja else cloak.LIMITS)
    return 0
