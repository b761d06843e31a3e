"""``omamori``: the command line, one subcommand per module in ``commands/``; the exit status in ``exit_codes``."""
from __future__ import annotations

import argparse
import json
import importlib
import os
import re
import signal
import sys

from . import __version__
from .errors import OmamoriError
from .catalog import language, say
from .exit_codes import exit_status
from .commands._shared import add_actions

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


# argparse's refusals (Python 3.9-3.13 word them so), each said again by a ``rule.<name>`` of the catalog in the
# person's language with the parts named here; one not listed is said as argparse wrote it (``rule.arguments``).
ARGPARSE_REFUSALS = tuple((re.compile(pattern), rule) for pattern, rule in (
    (r"the following arguments are required: (?P<names>.+)", "argument_required"),
    (r"one of the arguments (?P<names>.+) is required", "argument_one_of"),
    (r"unrecognized arguments: (?P<names>.+)", "argument_unknown"),
    (r"ambiguous option: (?P<option>\S+) could match (?P<names>.+)", "argument_ambiguous"),
    (r"argument (?P<argument>[^:]+): invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)",
     "argument_choice"),
    (r"argument (?P<argument>[^:]+): expected (one|at most one) argument", "argument_value"),
    (r"argument (?P<argument>[^:]+): expected at least one argument", "argument_at_least_one"),
    (r"argument (?P<argument>[^:]+): invalid int value: (?P<value>.+)", "argument_int"),
    (r"argument (?P<argument>[^:]+): invalid float value: (?P<value>.+)", "argument_number"),
    (r"argument (?P<argument>[^:]+): not allowed with argument (?P<other>.+)", "argument_together"),
    (r"argument (?P<argument>[^:]+): ignored explicit argument (?P<value>.+)", "argument_no_value"),
))


def refusal(problem: str) -> OmamoriError:
    """The ``bad_usage`` error for what argparse refused (``problem``, its English sentence, kept in the details
    for scripts), with the rule that says it in the person's language."""
    for pattern, rule in ARGPARSE_REFUSALS:
        found = pattern.fullmatch(problem)
        if found:
            return OmamoriError("bad_usage", rule=rule, problem=problem,
                                **{name: value for name, value in found.groupdict().items() if value})
    return OmamoriError("bad_usage", rule="arguments", problem=problem)


class Parser(argparse.ArgumentParser):
    """argparse, but a command line it refuses is a ``bad_usage`` error like any other: said in the person's
    language (``refusal``) and, with --json, as a JSON object. The usage line and --help stay in English."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        raise refusal(message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="omamori",
        description="Protect your illustrations before posting them on X: a visible signature, an invisible "
                    "ownership mark, and a record of what you protected.",
        epilog=say("cli.exit_status", language(os.environ)),
    )
    parser.add_argument("--version", action="version", version=f"omamori {__version__}")
    subparsers = add_actions(parser, dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).register(subparsers)
    return parser


def failed(error: OmamoriError, *, as_json: bool) -> int:
    """Say why the command stopped; its exit status. With --json also as a JSON object on stdout, so that a
    script reading --json gets an object on failure too."""
    status = exit_status(error)
    if as_json:
        print(json.dumps({"error": error.to_dict(), "exit_status": status}, ensure_ascii=False), flush=True)
    print(f"omamori: {error_text(error)}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(arguments)
    except OmamoriError as error:
        return failed(error, as_json="--json" in arguments)
    try:
        status = args.run(args)
        sys.stdout.flush()     # here, where a reader that left is caught below, not at interpreter exit
        return status
    except OmamoriError as error:
        return failed(error, as_json=getattr(args, "json", False))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader left (``omamori history | head``): stop quietly as other tools do, and keep Python from
        # failing again while flushing stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
