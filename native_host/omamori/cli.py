"""``omamori``: the command line, one subcommand per module in ``commands/``; the exit status in ``exit_codes``."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from . import __version__
from .errors import OmamoriError
from .catalog import language
from .exit_codes import EXIT_BROKEN

COMMANDS = (
    "protect",
    "verify",
    "history",
    "key",
    "settings",
    "sample",
    "install",
    "doctor",
    "serve",
    "site",
    "status",
    "terms",
    "models",
    "preview_ai",
)


def error_text(error: OmamoriError) -> str:
    """The error's message in the user's language (LANG/LC_ALL)."""
    return error.message.text(language(os.environ))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omamori",
        description="Protect your illustrations before posting them on X: a visible signature, an invisible "
                    "ownership mark, and a record of what you protected.",
    )
    parser.add_argument("--version", action="version", version=f"omamori {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except OmamoriError as error:
        print(f"omamori: {error_text(error)}", file=sys.stderr)
        return EXIT_BROKEN
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
