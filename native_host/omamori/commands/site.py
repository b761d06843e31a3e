"""``omamori site DIR``: the files that ask AI crawlers to leave your own website alone."""
from __future__ import annotations

import argparse
import errno
import json
import os
import stat
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from .. import site
from ..catalog import Message, say
from ..exit_codes import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from ._shared import lang, save_as

def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "site", help="write robots.txt, ai.txt and tdmrep.json asking AI crawlers to leave your website alone",
        description="Merges a block for the AI crawlers of the community list ai.robots.txt into DIR/robots.txt, "
                    "with the usage preferences 'search yes, AI training no' (Content-Signal; Content-Usage, an "
                    "IETF draft) (your other rules stay as they are; running again updates the block), writes "
                    "DIR/ai.txt and "
                    "DIR/.well-known/tdmrep.json, and prints the HTTP headers and <meta> tags to add. These are "
                    "requests that only well-behaved crawlers honour.",
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help="the folder your website is published from")
    parser.add_argument("--policy-url", metavar="URL", help="a page with your terms for AI use (tdm-policy)")
    parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


NEW_FILE_MODE = 0o644    # files of a website: the web server must read them


@dataclass(frozen=True)
class FileChange:
    path: Path
    action: str          # written | updated | unchanged | kept | refused
    text: str            # what the file holds (or would hold) afterwards
    notes: tuple[str, ...] = ()
    mode: int = NEW_FILE_MODE      # an updated file keeps its own


class Refused(Exception):
    """A path omamori will not read or write: ``str(self)`` is the catalog key saying why."""


@dataclass(frozen=True)
class Existing:
    text: str
    mode: int


def plan(folder: Path, *, policy_url: str | None) -> tuple[FileChange, ...]:
    """What ``omamori site`` does to each of the three files in ``folder``; nothing is written here."""
    return tuple(_planned(folder, name, decide) for name, decide in (
        ("robots.txt", _robots_change),
        ("ai.txt", _ai_txt_change),
        (site.TDMREP_PATH, lambda path, before: _tdmrep_change(path, before, policy_url=policy_url)),
    ))


def _planned(folder: Path, name: str, decide) -> FileChange:
    path = folder / name
    try:
        before = _read(folder, name)
    except Refused as why:
        return FileChange(path, "refused", "", (say(str(why), lang()),))
    change = decide(path, before.text if before else None)
    return replace(change, mode=before.mode) if before else change


def _robots_change(path: Path, before: str | None) -> FileChange:
    crawler_list = site.load_crawlers()
    merged = site.merge_robots(before, crawler_list)
    notes = [say("site.added", lang(), n=str(len(merged.added)), list=crawler_list.label)] if merged.added else []
    notes.append(say("site.preferences_own", lang(), line=str(merged.preferences_in)) if merged.preferences_in
                 else say("site.preferences_block", lang()))
    notes += [say("site.blocked", lang(), token=t, line=str(n)) for t, n in merged.already_blocked]
    notes += [say("site.own", lang(), token=t, line=str(n)) for t, n in merged.own_rules]
    return FileChange(path, _action(before, merged.text), merged.text, tuple(notes))


def _ai_txt_change(path: Path, before: str | None) -> FileChange:
    if before is None or site.is_own_ai_txt(before):
        return FileChange(path, _action(before, site.ai_txt()), site.ai_txt())
    return FileChange(path, "kept", before)


def _tdmrep_change(path: Path, before: str | None, *, policy_url: str | None) -> FileChange:
    wanted = site.tdmrep_json(policy_url=policy_url)
    if before is None:
        return FileChange(path, "written", wanted)
    if before == wanted or site.tdmrep_reserves_all(before):
        return FileChange(path, "unchanged", before)
    rule = json.dumps(json.loads(wanted)[0])
    return FileChange(path, "kept", before, (say("site.tdm_kept", lang(), rule=rule),))


def _read(folder: Path, name: str) -> Existing | None:
    """The file ``name`` (a relative path) in ``folder``, or None when there is none.

    The folder may be someone else's (a downloaded site): a link there could point at a private file, which
    would then be copied into a public folder, or lead the write outside the folder; a pipe would block the
    read for ever. So no link is followed, at any step under ``folder``, and only a regular file is read.
    """
    path = folder
    for part in Path(name).parts[:-1]:
        path = path / part
        if path.is_symlink():
            raise Refused("site.link")
        if path.exists() and not path.is_dir():
            raise Refused("site.not_file")
    try:
        fd = os.open(path / Path(name).name, os.O_RDONLY | _NO_FOLLOW | _NO_BLOCK)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP or (path / Path(name).name).is_symlink():
            raise Refused("site.link") from error
        raise
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise Refused("site.not_file")
        # surrogateescape: bytes that are not UTF-8 are written back exactly as they were.
        return Existing(handle.read().decode("utf-8", errors="surrogateescape"), stat.S_IMODE(status.st_mode))


_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)     # Windows has neither: is_symlink() above and below covers links
_NO_BLOCK = getattr(os, "O_NONBLOCK", 0)      # opening a FIFO to read must not wait for a writer


def _action(before: str | None, after: str) -> str:
    if before is None:
        return "written"
    return "unchanged" if before == after else "updated"


def run(args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        print(say("site.no_dir", lang(), path=str(args.folder)), file=sys.stderr)
        return EXIT_USAGE
    if args.policy_url and not args.policy_url.startswith(("https://", "http://")):
        print(say("site.bad_url", lang(), url=args.policy_url), file=sys.stderr)
        return EXIT_USAGE
    changes = plan(args.folder, policy_url=args.policy_url)
    if not args.dry_run:
        for change in changes:
            if change.action in ("written", "updated"):
                # through a new file and a rename: a link put there since it was read is replaced, not followed
                save_as(change.path, change.text.encode("utf-8", errors="surrogateescape"), mode=change.mode)
    headers = site.headers(policy_url=args.policy_url)
    tags = site.meta_tags(policy_url=args.policy_url)
    status = EXIT_PARTIAL if any(change.action == "refused" for change in changes) else EXIT_OK
    if args.json:
        print(json.dumps({
            "dry_run": args.dry_run,
            "files": [{"path": str(c.path), "action": c.action, "notes": list(c.notes)} for c in changes],
            "headers": [{"name": name, "value": value} for name, value in headers],
            "meta": list(tags),
            "note": Message("site.requests").both(),
        }, ensure_ascii=False))
        return status
    prefix = say("site.would", lang()) if args.dry_run else ""
    for change in changes:
        print(f"{prefix}{change.path}: {say('site.action.' + change.action, lang())}")
        for note in change.notes:
            print(f"    {note}")
    print()
    print(say("site.headers", lang()))
    for name, value in headers:
        print(f"    {name}: {value}")
    print(say("site.meta", lang()))
    for tag in tags:
        print(f"    {tag}")
    print()
    print(say("site.requests", lang()))
    return status
