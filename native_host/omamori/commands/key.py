"""``omamori key show|export|import|new``: your secret mark key and its backup."""
from __future__ import annotations

import argparse
import hashlib
import stat
import sys
from pathlib import Path

from ..exit_codes import EXIT_OK, EXIT_USAGE
from .. import keys, mark
from ..catalog import say
from ..errors import OmamoriError
from ..ledger import Ledger
from ..paths import default_paths
from ..protocol.handlers import Host, sample_picture
from ._shared import add_actions, lang, output_file, save_as

YES = {"y", "yes", "はい"}    # the answers that let ``key export`` write over a file (anything else keeps it)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "key", help="show, back up or restore your secret key",
        description="Your key makes your marks yours: back it up (export) and keep the copy safe. "
                    "Anyone with the key can mark images as you.",
    )
    actions = add_actions(parser, dest="action", metavar="ACTION")
    actions.add_parser("show", help="where the key is and your creator id").set_defaults(run=show)
    export = actions.add_parser("export", help="write a backup copy of the key to FILE (a folder: omamori-key.txt in it)")
    export.add_argument("file", metavar="FILE")
    export.add_argument("--replace", action="store_true",
                        help="write over FILE if it exists (otherwise omamori asks, or refuses when it cannot ask)")
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


BACKUP_NAME = "omamori-key.txt"   # the backup is text (omamori-key-v1 …): a name any computer opens


def export_key(args: argparse.Namespace) -> int:
    key, _ = _current_key()
    file = output_file(args.file, BACKUP_NAME)   # "key export ~/Backups" writes into it
    if not (args.replace or _holds(file, key) or _may_replace(file)):
        print(say("key.export_kept", lang(), path=file))
        return EXIT_USAGE
    save_as(file, keys.format_key(key).encode("ascii"), mode=0o600)
    print(say("key.exported", lang(), path=file))
    return EXIT_OK


def _holds(path: Path, key: bytes) -> bool:
    """Whether ``path`` is already a backup of ``key`` (writing it again loses nothing)."""
    try:
        return keys.read_key(path) == key
    except OmamoriError:
        return False


def _may_replace(path: Path) -> bool:
    """Whether a backup may be written at ``path``: nothing is there, or the person says yes when asked. A file
    there when nobody can answer (no terminal) is ``bad_usage``: --replace says yes in advance."""
    if not path.exists() and not path.is_symlink():
        return True
    if not sys.stdin.isatty():
        raise OmamoriError("bad_usage", rule="file_exists", path=str(path))
    try:
        answer = input(say("key.export_overwrite", lang(), path=path))
    except EOFError:
        return False
    return answer.strip().lower() in YES


def import_key(args: argparse.Namespace) -> int:
    path = default_paths().key_file
    try:
        text = args.file.read_text(encoding="ascii", errors="replace")
    except OSError as error:
        raise OmamoriError("file_unreadable", path=str(args.file), reason=error.strerror or str(error)) from error
    sample_only = _only_the_sample_protected()
    key, kept = keys.import_key(path, text, replace=args.replace or sample_only)
    print(say("key.imported", lang(), creator=mark.creator_id(key)))
    if kept is not None:
        print(say("key.sample_key_kept" if sample_only and not args.replace else "key.old_kept", lang(), path=kept))
    return EXIT_OK


def _only_the_sample_protected() -> bool:
    """Whether the key in use marked nothing but the bundled sample picture (the installer's ``omamori sample``):
    then a key restored from a backup may replace it without --replace; nothing of the person's would stop
    being recognised. The ledger says what was protected."""
    ledger = Ledger(default_paths().ledger_file)
    try:
        return ledger.count_other_than(hashlib.sha256(sample_picture()).hexdigest()) == 0
    finally:
        ledger.close()


def new_key(args: argparse.Namespace) -> int:
    if not args.yes:
        print(say("key.new_confirm", lang()))
        return EXIT_USAGE
    key = keys.create(default_paths().key_file)
    print(say("key.created", lang(), creator=mark.creator_id(key)))
    return EXIT_OK
