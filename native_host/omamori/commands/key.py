"""``omamori key show|export|import|new``: your secret mark key and its backup."""
from __future__ import annotations

import argparse
import stat
from pathlib import Path

from ..exit_codes import EXIT_OK, EXIT_USAGE
from .. import keys, mark
from ..atomic import write_atomic
from ..catalog import say
from ..errors import OmamoriError
from ..paths import default_paths
from ..protocol.handlers import Host
from ._shared import add_actions, lang


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "key", help="show, back up or restore your secret key",
        description="Your key makes your marks yours: back it up (export) and keep the copy safe. "
                    "Anyone with the key can mark images as you.",
    )
    actions = add_actions(parser, dest="action", metavar="ACTION")
    actions.add_parser("show", help="where the key is and your creator id").set_defaults(run=show)
    export = actions.add_parser("export", help="write a backup copy of the key to FILE")
    export.add_argument("file", type=Path, metavar="FILE")
    export.set_defaults(run=export_key)
    restore = actions.add_parser("import", help="install the key from a backup FILE")
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument("--replace", action="store_true",
                         help="replace a different existing key (the old one is kept as key.DATE.bak)")
    restore.set_defaults(run=import_key)
    new = actions.add_parser("new", help="start over with a new key (old marks stop counting as yours)")
    new.add_argument("--yes", action="store_true", help="confirm")
    new.set_defaults(run=new_key)


def _current_key() -> tuple[bytes, Path]:
    """The user's key (created on first use) and its file."""
    host = Host(default_paths(), transport="cli")
    try:
        return host.key(), host.paths.key_file
    finally:
        host.close()


def show(args: argparse.Namespace) -> int:
    key, path = _current_key()
    mode = stat.S_IMODE(path.stat().st_mode)
    print(say("key.show", lang(), path=path, mode=mode, creator=mark.creator_id(key)))
    return EXIT_OK


def export_key(args: argparse.Namespace) -> int:
    key, _ = _current_key()
    write_atomic(args.file, keys.format_key(key).encode("ascii"), mode=0o600)
    print(say("key.exported", lang(), path=args.file))
    return EXIT_OK


def import_key(args: argparse.Namespace) -> int:
    path = default_paths().key_file
    try:
        text = args.file.read_text(encoding="ascii", errors="replace")
    except OSError as error:
        raise OmamoriError("file_unreadable", path=str(args.file), reason=error.strerror or str(error)) from error
    key = keys.import_key(path, text, replace=args.replace)
    print(say("key.imported", lang(), creator=mark.creator_id(key)))
    return EXIT_OK


def new_key(args: argparse.Namespace) -> int:
    if not args.yes:
        print(say("key.new_confirm", lang()))
        return EXIT_USAGE
    key = keys.create(default_paths().key_file)
    print(say("key.created", lang(), creator=mark.creator_id(key)))
    return EXIT_OK
