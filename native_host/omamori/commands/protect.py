"""``omamori protect IN...``: protect image files for posting on X."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..exit_codes import EXIT_OK, EXIT_PARTIAL, EXIT_SKIPPED
from ..catalog import Message, say
from ..errors import OmamoriError
from ._shared import (ProgressLine, add_time_limit, call, check_flags, message, note_destination, open_host,
                      means_folder, print_report, read_input, save_as)

SUFFIX = ".omamori"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "protect", help="protect images for posting on X",
        description="Add your visible signature and invisible mark, strip metadata (GPS included), and write a "
                    "file X keeps as it is (JPEG q85, at most 4096 px and 5 MB; pixel art stays PNG). "
                    "Inputs are never modified. Exit status 0 when everything asked for was applied, 4 when every "
                    "image was protected but a step asked for was not applied to some (the cloak without its "
                    "model, an image too small for the mark or the signature; said on the ⚠ lines and in --json's "
                    "\"skipped\"), 1 when an input failed.",
    )
    parser.add_argument("inputs", nargs="+", metavar="IN", type=Path, help="image files (JPEG, PNG, WebP)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="OUT",
                       help="output file (one input only), or a folder to write into (an existing one, or NAME/)")
    where.add_argument("--out-dir", type=Path, metavar="DIR",
                       help=f"folder for the outputs (default: beside each input, as NAME{SUFFIX}.jpg)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per input")
    parser.add_argument("--no-visible", action="store_true", help="no visible signature")
    parser.add_argument("--no-mark", action="store_true", help="no invisible mark")
    parser.add_argument("--text", metavar="T", help="signature text (default: from your settings)")
    parser.add_argument("--placement", choices=("corner", "tiled"), help="signature placement")
    parser.add_argument("--max-side", type=int, metavar="N", help="shrink so the longer side is at most N pixels")
    parser.add_argument("--cloak", action="store_true",
                        help="add the cloak against style mimicry (30-45 s per 2048 px image on 2 cores; "
                             "needs `omamori models fetch`). " + say("cloak.limits", "en"))
    parser.add_argument("--cloak-strength", type=float, metavar="S", help="cloak strength (0.25-2, default 1)")
    web = parser.add_argument_group("for your website or a portfolio site (--for web)")
    web.add_argument("--for", dest="profile", choices=("x", "bluesky", "web"), default="x",
                     help="x (default): a file X keeps as it is, no metadata; bluesky: a JPEG within Bluesky's "
                          "2000 px and 1,000,000 bytes, no metadata; web: adds rights metadata (creator, "
                          "copyright, IPTC 'no AI training') and a signed C2PA manifest (CAWG 'no AI training'), "
                          "for sites that keep them")
    web.add_argument("--lossless", action="store_true", help="with --for web: save a lossless PNG instead of JPEG")
    web.add_argument("--creator", metavar="NAME", help="with --for web: your name as the creator")
    web.add_argument("--copyright", metavar="TEXT", help="with --for web: the copyright notice "
                                                           "(default: © YEAR NAME. All rights reserved.)")
    web.add_argument("--terms-url", metavar="URL", help="with --for web: a page with your terms of use")
    web.add_argument("--no-c2pa", action="store_true",
                     help="with --for web: no C2PA manifest (by default one says 'no AI training', signed with a "
                          "certificate made for you on first use; X, Instagram, Threads and Bluesky strip it, your "
                          "own website keeps it)")
    add_time_limit(parser)
    parser.set_defaults(run=run)


# The flags that override a setting for one run, named in a refusal instead of the setting.
FLAG_OF_SETTING = {"signature.text": "--text", "output.max_side": "--max-side", "cloak.strength": "--cloak-strength"}


def options_from(args: argparse.Namespace) -> dict:
    """The per-run settings overrides the flags ask for."""
    options: dict = {}
    if args.no_visible:
        options["signature.enabled"] = False
    if args.text is not None:
        options["signature.text"] = args.text
    if args.placement:
        options["signature.placement"] = args.placement
    if args.no_mark:
        options["mark.enabled"] = False
    if args.max_side is not None:
        options["output.max_side"] = args.max_side
    if args.cloak:
        options["cloak.enabled"] = True
    if args.cloak_strength is not None:
        options["cloak.strength"] = args.cloak_strength
    return options


def profile_from(args: argparse.Namespace) -> dict:
    """The protect request's output-profile fields (docs/protocol.md) the flags ask for."""
    if args.profile != "web":
        return {} if args.profile == "x" else {"profile": args.profile}
    rights = {name: value for name, value in (("creator", args.creator), ("copyright", args.copyright),
                                              ("web_statement", args.terms_url)) if value}
    fields = {"profile": "web", "lossless": args.lossless, "rights": rights}
    if args.no_c2pa:
        fields["c2pa"] = False
    return fields


# The names a format's file may end with (the first is the one omamori gives), and those that say an image format.
SUFFIXES = {".jpg": (".jpg", ".jpeg"), ".png": (".png",)}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp", ".avif", ".heic"}


def named_for(path: Path, extension: str) -> Path:
    """``path``, or ``path`` ending in ``extension`` (".jpg", ".png") when its own ending says another format: a
    PNG named .jpg opens in some apps and not others, and a site may refuse it. An ending that names no image
    format (``out``, ``art.v2``) is kept and ``extension`` added."""
    if path.suffix.lower() in SUFFIXES.get(extension, (extension,)):
        return path
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return path.with_suffix(extension)
    return path.with_name(path.name + extension)


def output_path(source: Path, result_name: str, args: argparse.Namespace) -> Path:
    extension = Path(result_name).suffix
    if args.output:
        return named_for(args.output, extension)
    if args.out_dir:
        return args.out_dir / f"{source.stem}{extension}"
    suffix = SUFFIX if args.profile == "x" else f"{SUFFIX}-{args.profile}"   # all versions can sit beside the input
    return source.with_name(f"{source.stem}{suffix}{extension}")


def not_written_yet(target: Path, written: set[Path]) -> Path:
    """``target``, or ``NAME-2.jpg``, ``NAME-3.jpg``... when this run already wrote it."""
    candidate, number = target, 1
    while candidate.resolve() in written:
        number += 1
        candidate = target.with_name(f"{target.stem}-{number}{target.suffix}")
    return candidate


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def run(args: argparse.Namespace) -> int:
    if args.output is not None:     # "-o FOLDER" is --out-dir
        args.out_dir, args.output = (Path(args.output), None) if means_folder(args.output) else (None, Path(args.output))
    if args.output and len(args.inputs) > 1:
        raise OmamoriError("bad_usage", rule="one_output")
    if args.profile != "web" and (args.lossless or args.creator or args.copyright or args.terms_url or args.no_c2pa):
        raise OmamoriError("bad_usage", rule="web_only")
    fields = {"options": options_from(args), **profile_from(args)}
    check_flags(fields["options"], FLAG_OF_SETTING)
    host = open_host(time_limit=args.time_limit)
    progress = ProgressLine(len(args.inputs))
    failures = skipped = 0
    written: set[Path] = set()     # art.jpg and art.png both make art.omamori.jpg: the second gets another name
    try:
        for index, source in enumerate(args.inputs):
            progress.show(index, source.name)
            try:
                record = protect_one(host, source, fields, args, written=written)
            except OmamoriError as error:
                if error.kind != "input":    # the command or the installation: no other file would fare better
                    raise
                failures += 1
                record = {"input": str(source), "error": error.to_dict()}
            skipped += bool(record.get("skipped"))
            progress.finish()
            print_record(record, as_json=args.json)
    finally:
        host.close()
    return EXIT_PARTIAL if failures else EXIT_SKIPPED if skipped else EXIT_OK


def protect_one(host, source: Path, fields: dict, args: argparse.Namespace, *, written: set[Path]) -> dict:
    data = read_input(source)
    result = call(host, "protect", image=data, name=source.name, **fields)
    target = not_written_yet(output_path(source, result["name"], args), written)
    if _same_file(source, target):
        raise OmamoriError("would_overwrite_input", path=str(source))
    save_as(target, result["image"], mode=0o644)
    written.add(target.resolve())
    note_destination(result["image"], target)
    record = {
        "input": str(source), "output": str(target), "width": result["width"], "height": result["height"],
        "format": result["format"], "bytes": result["bytes"], "elapsed_ms": result["elapsed_ms"],
        "mark": result["mark"], "skipped": result["skipped"], "report": result["report"],
    }
    if args.output and target != args.output:
        record["renamed"] = Message("protect.renamed", {"asked": args.output.name, "name": target.name,
                                                        "format": result["format"].upper()}).both()
    return record


def print_record(record: dict, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(record, ensure_ascii=False), flush=True)
        return
    if "error" in record:
        print(f"✗ {record['input']}: {message(record['error']['message'])}", file=sys.stderr)
        return
    mark = record["mark"]
    mark_text = f", mark {mark['id']}" if mark else ""
    symbol = "⚠" if record["skipped"] else "✓"     # protected, but not everything asked for was applied
    print(f"{symbol} {record['input']} → {record['output']} ({record['width']}×{record['height']} "
          f"{record['format'].upper()}, {record['bytes'] // 1024} KB{mark_text}, {record['elapsed_ms']} ms)")
    if "renamed" in record:
        print(f"  → {message(record['renamed'])}")
    for step in record["skipped"]:
        print(f"  ⚠ {message(step['message'])}")
    print_report(record["report"], indent="    ")
