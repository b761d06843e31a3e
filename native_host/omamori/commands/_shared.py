"""What the commands share: the host and its requests, the user's language, input files, a progress line, the
changes an installation made."""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..catalog import Lang, language, say
from ..exit_codes import EXIT_USAGE
from ..errors import OmamoriError
from ..install.changes import Change
from ..ledger import Ledger
from ..paths import default_paths
from ..protocol.envelope import Request
from ..settings import Settings, apply_changes
from ..protocol.handlers import Host, Progress
from ..transports.worker import WorkerHost

def add_actions(parser: argparse.ArgumentParser, **options: Any) -> argparse._SubParsersAction:
    """Sub-commands of ``parser``; the command alone prints its help and exits 2 (a usage error, as argparse
    exits for a missing argument: a script that forgot the action learns it), rather than argparse's one line."""
    def show_help(args: argparse.Namespace) -> int:
        parser.print_help()
        return EXIT_USAGE

    parser.set_defaults(run=show_help)
    return parser.add_subparsers(**options)


def means_folder(place: str) -> bool:
    """Whether an output place the person typed means "into this folder": a folder that exists ("-o .") or a name
    ending in a slash ("-o done/", made when missing). Such options take text: argparse's Path drops the slash."""
    return place.endswith(("/", os.sep)) or Path(place).is_dir()


def output_file(place: str, name: str) -> Path:
    """The file an output place the person typed means: ``name`` in it when it means a folder, else itself."""
    return Path(place) / name if means_folder(place) else Path(place)


def save_as(path: Path, data: bytes, *, mode: int) -> None:
    """Write ``data`` to a file the person chose. A place that cannot take it (a folder that is a file, no
    permission) is ``output_unwritable``, naming it: the person's choice to change, not omamori's folders."""
    try:
        write_atomic(path, data, mode=mode)
    except OmamoriError as error:
        raise OmamoriError("output_unwritable", path=str(path), reason=error.details.get("reason")) from error


def lang() -> Lang:
    return language(os.environ)


def call(host: Host | WorkerHost, request_type: str, *, progress: Progress | None = None,
         **body: Any) -> dict[str, Any]:
    """Run one request through the same dispatch as the native host.

    Returns the result; raises the reply's error as an ``OmamoriError`` (its ``kind`` says whether a batch
    goes on: only an "input" error concerns one file alone).
    """
    reply = host.handle(Request(id="cli", type=request_type, body=body), progress)
    if reply["ok"]:
        return reply["result"]
    error = reply["error"]
    raise OmamoriError(error["code"], **error["details"])


def check_flags(options: dict[str, Any], flags: dict[str, str]) -> None:
    """Refuse per-run settings overrides the host would refuse, before any work, naming the flag typed
    (``flags``: setting -> flag) rather than the setting behind it (``bad_setting``, a usage error)."""
    try:
        apply_changes(Settings(), options)
    except OmamoriError as error:
        field = error.details.get("field")
        raise OmamoriError(error.code, **{**error.details, "field": flags.get(field, field)}) from None


def read_input(source: Path) -> bytes:
    """The bytes of an input file; ``file_unreadable`` when it cannot be read."""
    try:
        return source.read_bytes()
    except OSError as error:
        raise OmamoriError("file_unreadable", path=str(source), reason=error.strerror or str(error)) from error


def note_destination(output: bytes, target: Path) -> None:
    """Record in the ledger that ``output`` (a protect reply's image) was written to ``target``: ``history`` says
    where each protected picture went. The host recorded the protection; only the command knows the file."""
    ledger = Ledger(default_paths().ledger_file)
    try:
        ledger.set_destination(hashlib.sha256(output).hexdigest(), str(target.resolve()))
    finally:
        ledger.close()


def open_host(*, time_limit: float | None = None) -> WorkerHost:
    """The dispatcher as the native host runs it: in a worker process with the same time limits (a crafted
    file cannot hold a batch for ever); ``time_limit`` (seconds) replaces every per-type limit."""
    return WorkerHost(default_paths(), transport="cli", time_limit=time_limit)


def add_time_limit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--time-limit", type=float, metavar="SECONDS",
                        help="longest time one image may take (default: as in the browser, 300 s to protect "
                             "and to preview the cloak, 60 s to verify)")


def message(msg: dict[str, str]) -> str:
    return msg.get(lang(), msg["en"])


def print_report(report: list[dict[str, Any]], *, indent: str) -> None:
    """A protect reply's steps, one a line; a step that warns (a signature no font could draw) on stderr, loudly."""
    for decision in report:
        if decision["details"].get("warning"):
            print(f"{indent}⚠ {message(decision['message'])}", file=sys.stderr)
        else:
            print(f"{indent}{'•' if decision['applied'] else '–'} {message(decision['message'])}")


class ProgressLine:
    """``[3/10] name`` on stderr for batches on a terminal; silent otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.enabled = total > 1 and sys.stderr.isatty()

    def show(self, index: int, name: str) -> None:
        if self.enabled:
            width = 24
            done = width * index // self.total
            sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {index}/{self.total} {name[:40]:<40}")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 80 + "\r")
            sys.stderr.flush()


def print_changes(changes: list[Change], lang: Lang, *, dry_run: bool) -> None:
    """What ``install`` or ``serve --install-autostart`` did (or would do), one change a line."""
    if dry_run:
        print(say("install.dry_run", lang))
    for change in changes:
        print(f"  {say('install.verb.' + change.verb, lang)}: {change.target}")
