"""``omamori verify FILE|URL...``: is this image yours? With ``--report``, an evidence sheet to file a takedown with."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..catalog import Lang, Message, say
from ..exit_codes import EXIT_OK, EXIT_PARTIAL
from ..download import TIME_LIMIT, download, is_web_address, largest_size
from ..errors import OmamoriError
from ..evidence import chance, verdict_sentence
from ..protocol.codec import MAX_REQUEST_IMAGE
from ._shared import ProgressLine, add_time_limit, call, lang, message, open_host, output_file, read_input, save_as


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify", help="look for your invisible mark in images (files or web addresses)",
        description="Read the invisible mark with your key and compare with your ledger of protected images. "
                    f"An http(s) address is downloaded first (at most {MAX_REQUEST_IMAGE >> 20} MiB, within "
                    f"{TIME_LIMIT:g} s; for X's pbs.twimg.com the original size). Exit status 0 when every image "
                    "carries your mark, 1 otherwise.",
    )
    parser.add_argument("images", nargs="+", metavar="FILE|URL",
                        help="image files, or web addresses of images (https://…)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per image, with every figure")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print the figures behind the verdict (the mark's confidence, the chance of a "
                             "false match, how far the picture is from the one in your ledger)")
    parser.add_argument("--report", metavar="OUT",
                        help="write an evidence sheet (one bilingual HTML page, printable to PDF); with several "
                             "images, or OUT a folder, each sheet goes into OUT named after its image")
    add_time_limit(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    host = open_host(time_limit=args.time_limit)
    progress = ProgressLine(len(args.images))
    all_mine = True
    try:
        for index, image in enumerate(args.images):
            progress.show(index, image)
            try:
                record = verify_one(host, image, report=report_path(args.report, image, len(args.images)))
                all_mine &= bool(record["marked"] and record["mark"]["own"])
            except OmamoriError as error:
                if error.kind != "input":    # the command or the installation: no other file would fare better
                    raise
                all_mine = False
                record = {"file": image, "marked": False, "error": error.to_dict()}
            progress.finish()
            print(json.dumps(record, ensure_ascii=False) if args.json else describe(record, verbose=args.verbose),
                  flush=True)
    finally:
        host.close()
    return EXIT_OK if all_mine else EXIT_PARTIAL


def report_path(out: str | None, image: str, count: int) -> Path | None:
    """Where the sheet of ``image`` goes: OUT itself for one image, OUT/<name>.evidence.html for several or when
    OUT is a folder."""
    if out is None:
        return None
    name = f"{Path(image.split('?')[0].rstrip('/')).stem or 'image'}.evidence.html"
    return output_file(out, name) if count == 1 else Path(out) / name


def verify_one(host, image: str, *, report: Path | None) -> dict[str, Any]:
    """The verify result of one file or web address, as --json prints it (the ledger's thumbnail left out)."""
    body: dict[str, Any] = {"report": report is not None}
    record: dict[str, Any] = {"file": image}
    if is_web_address(image):
        fetched = download(largest_size(image), max_bytes=MAX_REQUEST_IMAGE)   # more is no image a host takes
        print(fetched_line(fetched), file=sys.stderr, flush=True)
        record["source"] = {"url": fetched.url, "final_url": fetched.final_url, "bytes": len(fetched.data),
                            "content_type": fetched.content_type, "fetched_at": fetched.fetched_at}
        body["source"] = {"url": fetched.final_url, "seen_at": fetched.fetched_at}
        data = fetched.data
    else:
        data = read_input(Path(image))
    result = call(host, "verify", image=data, **body)
    if result.get("ledger_match"):
        result["ledger_match"].pop("thumbnail")
    sheet = result.pop("report", None)
    if sheet is not None:
        save_as(report, sheet["html"].encode("utf-8"), mode=0o644)
        record["report"] = str(report)
    return {**record, **result}


def fetched_line(fetched) -> str:
    """What was downloaded, on stderr: the address, the size and type, the time."""
    return say("verify.fetched", lang(), url=fetched.final_url, bytes=len(fetched.data),
               type=fetched.content_type or Message("verify.no_type"), time=fetched.fetched_at)


def describe(record: dict, *, verbose: bool = False) -> str:
    """The verdict in plain words, one line each for the mark, the rights, C2PA, the ledger; ``verbose``: the
    figures too (the same as in --json)."""
    language = lang()
    if "error" in record:
        return f"✗ {record['file']}: {message(record['error']['message'])}"
    symbol = {"yours": "✓", "looks_like_yours": "≈", "someone_else": "!"}.get(record["verdict"], "–")
    lines = [f"{symbol} {record['file']}: {verdict_sentence(record, language)}"]
    mark = record["mark"]
    if mark:
        lines.append("    " + say("verify.mark_line", language,
                                  owner=Message("verify.mark_own" if mark["own"] else "verify.mark_other"),
                                  id=mark["id"], date=mark["date"],
                                  flag=Message("verify.mark_no_ai_training") if mark["no_ai_training"] else ""))
        if verbose:
            lines.append("    " + say("verify.figures", language, confidence=record["confidence"],
                                      chance=chance(record["false_positive_probability"])))
    rights = record.get("rights")
    if rights:
        lines.append("    " + rights_line(rights, language))
    if record.get("c2pa"):
        lines.append("    " + c2pa_line(record["c2pa"], language))
    match = record.get("ledger_match")
    if match:
        lines.append("    " + say("verify.ledger_exact" if match["exact"] else "verify.ledger_similar", language,
                                  date=match["time"][:10], name=match["original_name"] or match["name"]))
        if verbose and not match["exact"]:
            lines.append("    " + say("evidence.match_distance", language, distance=match["distance"]))
    if "report" in record:
        lines.append("    " + say("verify.evidence_sheet", language, path=record["report"]))
    return "\n".join(lines)


def rights_line(rights: dict, language: Lang) -> str:
    """One line on the rights metadata (IPTC/XMP) the file carries."""
    parts = []
    if rights["creator"]:
        parts.append(say("verify.rights_creator", language, names=", ".join(rights["creator"])))
    if rights["copyright"]:
        parts.append(rights["copyright"])
    if rights["ai_training_prohibited"]:
        parts.append(say("verify.rights_ai_training", language))
    return say("verify.rights", language, parts=" · ".join(parts))


def c2pa_line(manifest: dict, language: Lang) -> str:
    """One line on the C2PA manifest (Content Credentials) the file carries."""
    if not manifest["valid"]:
        return say("verify.c2pa_changed", language, failures=", ".join(manifest["failures"]))
    return say("verify.c2pa_signed", language,
               who=Message("verify.c2pa_yours") if manifest["yours"] else f"“{manifest['signer']}”",
               flag=Message("verify.c2pa_no_ai_training") if manifest["ai_training_prohibited"] else "")
