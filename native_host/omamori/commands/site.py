"""``omamori site DIR``: the files that ask AI crawlers to leave your own website alone."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import site
from ..atomic import write_atomic
from ..cli import EXIT_OK, EXIT_USAGE
from ._shared import lang

# key -> (English, Japanese)
TEXT = {
    "requests": ("These files are requests: well-behaved crawlers honour them; a scraper that ignores them is not "
                 "stopped by them.",
                 "これらのファイルは「お願い」です。行儀のよいクローラーは従いますが、無視するスクレイパーは止められません。"),
    "written": ("written", "作成"),
    "updated": ("updated", "更新"),
    "unchanged": ("already up to date", "変更なし"),
    "would": ("(dry run: nothing written) ", "(ドライラン: 書き込んでいません) "),
    "kept": ("yours, left as it is", "あなたのファイルなのでそのまま"),
    "added": ("asks {n} AI crawlers to stay away (the list of {list})",
              "{n} 個の AI クローラーに立ち入らないよう求めます(リスト: {list})"),
    "preferences_own": ("your 'User-agent: *' group on line {line} carries omamori's lines saying: search yes, AI "
                        "training no (Content-Signal, and Content-Usage, an IETF draft)",
                        "{line} 行目のあなたの 'User-agent: *' グループに、「検索は可、AI 学習は不可」を伝える omamori の行があります"
                        "(Content-Signal と、IETF の草案 Content-Usage)"),
    "preferences_block": ("tells every other crawler: search yes, AI training no (Content-Signal, and "
                          "Content-Usage, an IETF draft)",
                          "ほかのすべてのクローラーに「検索は可、AI 学習は不可」と伝えます(Content-Signal と、IETF の草案 "
                          "Content-Usage)"),
    "blocked": ("{token}: your own group on line {line} already blocks it", "{token}: {line} 行目のあなたのグループで既にブロック済み"),
    "own": ("{token}: your own group on line {line} has other rules; left as you wrote it (check it says "
            "'Disallow: /')",
            "{token}: {line} 行目のあなたのグループに別のルールがあるため、そのままにしました('Disallow: /' か確認してください)"),
    "tdm_kept": ("it does not reserve the whole site: add {rule}", "サイト全体を留保していません。次を追加してください: {rule}"),
    "headers": ("Add these HTTP response headers in your server or host settings (e.g. Apache .htaccess "
                "`Header set NAME \"VALUE\"`, Netlify/Cloudflare Pages `_headers`):",
                "サーバーまたはホスティングの設定で、次の HTTP レスポンスヘッダーを追加してください(例: Apache の .htaccess "
                "`Header set 名前 \"値\"`、Netlify / Cloudflare Pages の `_headers`):"),
    "meta": ("Add these tags inside <head> of every page:", "すべてのページの <head> 内に次のタグを追加してください:"),
    "bad_url": ("omamori: --policy-url needs a full address starting with https:// (got {url!r}).",
                "omamori: --policy-url には https:// から始まる完全なアドレスを指定してください({url!r})。"),
    "no_dir": ("omamori: {path} is not a folder. Give the folder your website is published from (where robots.txt "
               "goes).",
               "omamori: {path} はフォルダーではありません。サイトを公開しているフォルダー(robots.txt を置く場所)を指定してください。"),
}


def say(key: str, **values: str) -> str:
    en, ja = TEXT[key]
    return (ja if lang() == "ja" else en).format(**values)


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


@dataclass(frozen=True)
class FileChange:
    path: Path
    action: str          # written | updated | unchanged | kept
    text: str            # what the file holds (or would hold) afterwards
    notes: tuple[str, ...] = ()


def plan(folder: Path, *, policy_url: str | None) -> tuple[FileChange, ...]:
    """What ``omamori site`` does to each of the three files in ``folder``; nothing is written here."""
    changes = []
    robots_path = folder / "robots.txt"
    before = _read(robots_path)
    crawler_list = site.load_crawlers()
    merged = site.merge_robots(before, crawler_list)
    notes = [say("added", n=str(len(merged.added)), list=crawler_list.label)] if merged.added else []
    notes.append(say("preferences_own", line=str(merged.preferences_in)) if merged.preferences_in
                 else say("preferences_block"))
    notes += [say("blocked", token=t, line=str(n)) for t, n in merged.already_blocked]
    notes += [say("own", token=t, line=str(n)) for t, n in merged.own_rules]
    changes.append(FileChange(robots_path, _action(before, merged.text), merged.text, tuple(notes)))

    ai_path = folder / "ai.txt"
    before = _read(ai_path)
    if before is None or site.is_own_ai_txt(before):
        changes.append(FileChange(ai_path, _action(before, site.ai_txt()), site.ai_txt()))
    else:
        changes.append(FileChange(ai_path, "kept", before))

    tdm_path = folder / site.TDMREP_PATH
    before = _read(tdm_path)
    wanted = site.tdmrep_json(policy_url=policy_url)
    if before is None:
        changes.append(FileChange(tdm_path, "written", wanted))
    elif before == wanted or site.tdmrep_reserves_all(before):
        changes.append(FileChange(tdm_path, "unchanged", before))
    else:
        rule = json.dumps(json.loads(wanted)[0])
        changes.append(FileChange(tdm_path, "kept", before, (say("tdm_kept", rule=rule),)))
    return tuple(changes)


def _read(path: Path) -> str | None:
    try:
        # surrogateescape: bytes that are not UTF-8 are written back exactly as they were.
        return path.read_bytes().decode("utf-8", errors="surrogateescape")
    except FileNotFoundError:
        return None


def _action(before: str | None, after: str) -> str:
    if before is None:
        return "written"
    return "unchanged" if before == after else "updated"


def run(args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        print(say("no_dir", path=str(args.folder)), file=sys.stderr)
        return EXIT_USAGE
    if args.policy_url and not args.policy_url.startswith(("https://", "http://")):
        print(say("bad_url", url=args.policy_url), file=sys.stderr)
        return EXIT_USAGE
    changes = plan(args.folder, policy_url=args.policy_url)
    if not args.dry_run:
        for change in changes:
            if change.action in ("written", "updated"):
                write_atomic(change.path, change.text.encode("utf-8", errors="surrogateescape"), mode=0o644)
    headers = site.headers(policy_url=args.policy_url)
    tags = site.meta_tags(policy_url=args.policy_url)
    if args.json:
        print(json.dumps({
            "dry_run": args.dry_run,
            "files": [{"path": str(c.path), "action": c.action, "notes": list(c.notes)} for c in changes],
            "headers": [{"name": name, "value": value} for name, value in headers],
            "meta": list(tags),
            "note": {"en": TEXT["requests"][0], "ja": TEXT["requests"][1]},
        }, ensure_ascii=False))
        return EXIT_OK
    prefix = say("would") if args.dry_run else ""
    for change in changes:
        print(f"{prefix}{change.path}: {say(change.action)}")
        for note in change.notes:
            print(f"    {note}")
    print()
    print(say("headers"))
    for name, value in headers:
        print(f"    {name}: {value}")
    print(say("meta"))
    for tag in tags:
        print(f"    {tag}")
    print()
    print(say("requests"))
    return EXIT_OK
