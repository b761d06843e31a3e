"""``omamori status``: the checklist of measures, with the state of each that this computer can know.

The X settings (Grok training, protected posts) and the extension's automatic
protection live in the browser, which the command line cannot see: those lines
say to check the extension's popup instead of guessing.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass

from ._shared import call, lang, open_host

DONE, TODO, OPTIONAL, IN_BROWSER = "done", "todo", "optional", "in_browser"
_SYMBOLS = {DONE: "✓", TODO: "✗", OPTIONAL: "–", IN_BROWSER: "?"}

# item id -> (English, Japanese): what the measure is
NAMES = {
    "grok_training": ("Grok training opted out on X", "X の Grok 学習をオプトアウト"),
    "protect_posts": ("Protected posts on X (optional)", "X のポストを非公開(任意)"),
    "auto_protect": ("Automatic protection in the browser", "ブラウザーでの自動保護"),
    "signature": ("Visible signature", "見える署名"),
    "mark": ("Invisible ownership mark", "見えない所有者の透かし"),
    "cloak": ("Cloak against style mimicry", "画風の模倣を妨げるクローク"),
}
# (item id, state) -> (English, Japanese): the one line shown after the name
NOTES = {
    ("grok_training", IN_BROWSER): (
        "check in the extension's popup: the command line cannot see your browser.",
        "拡張機能のポップアップで確認してください。コマンドラインからはブラウザーの中が見えません。"),
    ("protect_posts", IN_BROWSER): (
        "check in the extension's popup. Only your followers would see your posts: fewer new viewers, but "
        "less for scrapers and reposters.",
        "拡張機能のポップアップで確認してください。ポストはフォロワーだけに見えるようになります。新しい人に見てもらい"
        "にくくなる代わりに、収集や無断転載はされにくくなります。"),
    ("auto_protect", IN_BROWSER): (
        "check in the extension's popup: images attached on X are protected before X sees them.",
        "拡張機能のポップアップで確認してください。X に添付した画像を、X に渡る前に保護します。"),
    ("signature", DONE): ("on", "オン"),
    ("signature", TODO): (
        "off. A visible signature shows whose work it is wherever the image goes, even after cropping the "
        "metadata away. Turn it on: omamori settings set signature.enabled=true",
        "オフです。見える署名は、画像がどこに渡っても誰の作品かを示します。"
        "オンにするには: omamori settings set signature.enabled=true"),
    ("mark", DONE): ("on", "オン"),
    ("mark", TODO): (
        "off. The invisible mark lets you prove an image is yours after X re-encodes it. Turn it on: "
        "omamori settings set mark.enabled=true",
        "オフです。見えない透かしがあれば、X で再圧縮された後でも自分の画像だと示せます。"
        "オンにするには: omamori settings set mark.enabled=true"),
    ("mark", "no_key"): (
        "on, but your key cannot be read: run omamori doctor.",
        "オンですが、鍵を読めません。omamori doctor を実行してください。"),
    ("cloak", DONE): ("on", "オン"),
    ("cloak", TODO): (
        "on but not installed, so images are protected without it. Install it: omamori models fetch",
        "オンですが入っていないため、クロークなしで保護しています。入れるには: omamori models fetch"),
    ("cloak", OPTIONAL): (
        "off. It makes copying your style from your images harder, at the cost of time and faint noise. "
        "Turn it on: omamori settings set cloak.enabled=true",
        "オフです。画像から画風をまねされにくくしますが、時間がかかり、かすかなノイズが入ります。"
        "オンにするには: omamori settings set cloak.enabled=true"),
}
# For your own website and other platforms: the tools, since their state is not on this computer.
TOOLS = (
    ("omamori site DIR", "robots.txt (AI crawlers, Content-Signal), ai.txt and tdmrep.json for your own website",
     "自分のサイト用の robots.txt(AI クローラー、Content-Signal)・ai.txt・tdmrep.json"),
    ("omamori protect --for web --creator NAME IN",
     "images with rights metadata and a signed C2PA 'no AI training' for portfolio sites",
     "ポートフォリオサイト向けに権利情報と署名付き C2PA(AI 学習不可)を入れた画像"),
    ("omamori terms --name NAME", "a profile line for X and terms of use (ja/en)",
     "X のプロフィール用の一文と利用規約(日英)"),
)


@dataclass(frozen=True)
class Item:
    id: str
    state: str           # done | todo | optional | in_browser
    name: dict           # {"en", "ja"}
    note: dict           # {"en", "ja"}


def checklist(hello: dict) -> list[Item]:
    """The checklist from a ``hello`` result (docs/protocol.md)."""
    settings = hello["settings"]
    states = {
        "grok_training": (IN_BROWSER, IN_BROWSER),
        "protect_posts": (IN_BROWSER, IN_BROWSER),
        "auto_protect": (IN_BROWSER, IN_BROWSER),
        "signature": (DONE, DONE) if settings["signature"]["enabled"] else (TODO, TODO),
    }
    if not settings["mark"]["enabled"]:
        states["mark"] = (TODO, TODO)
    else:
        states["mark"] = (DONE, DONE) if hello["key"]["present"] else (TODO, "no_key")
    if not settings["cloak"]["enabled"]:
        states["cloak"] = (OPTIONAL, OPTIONAL)
    else:
        states["cloak"] = (DONE, DONE) if hello["cloak"]["available"] else (TODO, TODO)
    return [Item(id=item, state=state, name=_pair(NAMES[item]), note=_pair(NOTES[(item, note)]))
            for item, (state, note) in states.items()]


def _pair(texts: tuple[str, str]) -> dict:
    return {"en": texts[0], "ja": texts[1]}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status", help="the checklist of measures and which are in place",
        description="Shows each measure omamori helps with and whether it is in place: the signature, mark and "
                    "cloak from your settings; the X settings and automatic protection are in your browser, so "
                    "check those in the extension's popup. Lists the tools for your own website.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    host = open_host()
    try:
        hello = call(host, "hello")
    finally:
        host.close()
    items = checklist(hello)
    if args.json:
        print(json.dumps({"items": [asdict(item) for item in items],
                          "tools": [{"command": c, "en": en, "ja": ja} for c, en, ja in TOOLS]},
                         ensure_ascii=False))
        return 0
    ja = lang() == "ja"
    pick = (lambda pair: pair["ja"]) if ja else (lambda pair: pair["en"])
    print("omamori チェックリスト" if ja else "omamori checklist")
    for item in items:
        print(f"  {_SYMBOLS[item.state]} {pick(item.name)}: {pick(item.note)}")
    print()
    print("自分のサイトや他のサービスには:" if ja else "For your own website and other sites:")
    for command, en, ja_text in TOOLS:
        print(f"  {command}  —  {ja_text if ja else en}")
    return 0
