"""``omamori verify FILE...``: is this image yours?"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..cli import EXIT_OK, EXIT_PARTIAL
from ..errors import OmamoriError, StateError
from ._shared import ProgressLine, call, lang, message, open_host
from .protect import read_input


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify", help="look for your invisible mark in images",
        description="Read the invisible mark with your key and compare with your ledger of protected images. "
                    "Exit status 0 when every file carries your mark, 1 otherwise.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON object per file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    host = open_host()
    progress = ProgressLine(len(args.files))
    all_mine = True
    try:
        for index, path in enumerate(args.files):
            progress.show(index, path.name)
            try:
                record = {"file": str(path), **call(host, "verify", image=read_input(path))}
                all_mine &= bool(record["marked"] and record["mark"]["own"])
            except StateError:
                raise
            except OmamoriError as error:
                all_mine = False
                record = {"file": str(path), "marked": False, "error": error.to_dict()}
            progress.finish()
            print(json.dumps(record, ensure_ascii=False) if args.json else describe(record), flush=True)
    finally:
        host.close()
    return EXIT_OK if all_mine else EXIT_PARTIAL


def describe(record: dict) -> str:
    ja = lang() == "ja"
    if "error" in record:
        return f"✗ {record['file']}: {message(record['error']['message'])}"
    lines = []
    mark = record["mark"]
    if mark:
        owner = ("あなたの透かし" if ja else "your mark") if mark["own"] else ("他の人の透かし" if ja else "someone else's mark")
        flag = (" · AI学習禁止" if ja else " · no AI training") if mark["no_ai_training"] else ""
        lines.append(f"✓ {record['file']}: {owner} {mark['id']} ({mark['date']}{flag}); "
                     + (f"確からしさ {record['confidence']:.3f}、誤検出の確率 ≤ {record['false_positive_probability']:.1e}"
                        if ja else f"confidence {record['confidence']:.3f}, false-positive probability ≤ "
                                   f"{record['false_positive_probability']:.1e}"))
    else:
        lines.append(f"– {record['file']}: " + ("透かしは見つかりません" if ja else "no mark found"))
    rights = record.get("rights")
    if rights:
        lines.append("    " + rights_line(rights, ja=ja))
    if record.get("c2pa"):
        lines.append("    " + c2pa_line(record["c2pa"], ja=ja))
    match = record.get("ledger_match")
    if match:
        when = match["time"][:10]
        if match["exact"]:
            lines.append(f"    {'台帳: あなたが' if ja else 'ledger: the very file you protected on'} {when}"
                         + (" に保護したファイルそのものです" if ja else f" ({match['name']})"))
        else:
            lines.append(f"    {'台帳: ' + when + ' に保護した画像に似ています' if ja else 'ledger: looks like your image from ' + when}"
                         f" ({match['name']}, {match['distance']}/64)")
    return "\n".join(lines)


def rights_line(rights: dict, *, ja: bool) -> str:
    """One line on the rights metadata (IPTC/XMP) the file carries."""
    parts = []
    if rights["creator"]:
        parts.append(("作者 " if ja else "creator ") + ", ".join(rights["creator"]))
    if rights["copyright"]:
        parts.append(rights["copyright"])
    if rights["ai_training_prohibited"]:
        parts.append("AI学習: 禁止(IPTC)" if ja else "AI training: prohibited (IPTC)")
    return ("権利情報: " if ja else "rights metadata: ") + " · ".join(parts)


def c2pa_line(manifest: dict, *, ja: bool) -> str:
    """One line on the C2PA manifest (Content Credentials) the file carries."""
    if not manifest["valid"]:
        return ("C2PA: 署名の後でファイルが変更されています(" if ja else "C2PA: the file was changed after it was signed (") \
            + ", ".join(manifest["failures"]) + ")"
    who = ("あなたの証明書" if ja else "your certificate") if manifest["yours"] else f"“{manifest['signer']}”"
    parts = [("署名: " if ja else "signed by ") + who]
    if manifest["ai_training_prohibited"]:
        parts.append("AI学習: 不許可(CAWG)" if ja else "AI training: not allowed (CAWG)")
    return "C2PA: " + " · ".join(parts)
