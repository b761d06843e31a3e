"""What the installer, the doctor and the server tell a person, in English and Japanese.

The language follows the locale variables the way gettext reads them (LC_ALL,
then LC_MESSAGES, then LANG): Japanese when the first one set starts with
``ja``, English otherwise.
"""
from __future__ import annotations

from typing import Literal, Mapping

Lang = Literal["en", "ja"]

TEXT: dict[str, tuple[str, str]] = {
    "verb.create": ("created", "作成"),
    "verb.update": ("updated", "更新"),
    "verb.unchanged": ("already right", "変更なし"),
    "verb.create-folder": ("created folder", "フォルダー作成"),
    "verb.create-key": ("created registry key", "レジストリキー作成"),
    "verb.remove": ("removed", "削除"),
    "verb.remove-folder": ("removed folder", "フォルダー削除"),
    "verb.remove-key": ("removed registry key", "レジストリキー削除"),
    "verb.keep-changed": ("left in place (changed since omamori wrote it)", "そのまま残しました(omamori が書いた後に変更されています)"),
    "verb.missing": ("already gone", "すでにありません"),
    "dry_run": ("Dry run: nothing was written. This is what would happen:", "ドライラン: 何も書き込んでいません。実行すると次のようになります:"),
    "registered": ("omamori is registered for: {browsers}", "omamori を登録したブラウザー: {browsers}"),
    "no_browser": (
        "No supported browser was found (Chrome, Chromium, Edge, Brave, Vivaldi, Firefox). "
        "Install one, or name it: omamori install --browser chrome",
        "対応ブラウザー(Chrome・Chromium・Edge・Brave・Vivaldi・Firefox)が見つかりません。"
        "インストールするか、名前を指定してください: omamori install --browser chrome",
    ),
    "unknown_browser": (
        "Unknown browser {name!r}. Choose from: {names}",
        "ブラウザー名 {name!r} は使えません。次から選んでください: {names}",
    ),
    "bad_ids": (
        "Cannot read the extension's ids from {path}: {reason}. Point omamori at the extension folder: "
        "omamori install --extension PATH/TO/omamori/extension",
        "{path} から拡張機能の ID を読めません: {reason}。拡張機能のフォルダーを指定してください: "
        "omamori install --extension omamori/extension へのパス",
    ),
    "snap_chromium": (
        "{label} is installed as a Snap; Snap versions of Chromium-based browsers cannot start a native host. "
        "Use the companion server instead: run `omamori serve`, then in the extension's options choose "
        "\"Local server\" and paste the pairing token it prints.",
        "{label} は Snap 版です。Snap 版の Chromium 系ブラウザーはネイティブホストを起動できません。"
        "代わりにコンパニオンサーバーを使ってください: `omamori serve` を実行し、拡張機能の設定で"
        "「ローカルサーバー」を選んで、表示されるペアリングトークンを貼り付けます。",
    ),
    "snap_firefox": (
        "{label} is installed as a Snap: the first time the extension connects, Firefox asks whether it may start "
        "omamori. Allow it.",
        "{label} は Snap 版です。拡張機能が初めて接続するとき、omamori の起動を許可するか Firefox が尋ねます。"
        "許可してください。",
    ),
    "flatpak": (
        "{label} is installed as a Flatpak ({app_id}); sandboxed browsers cannot start omamori directly. "
        "Use the companion server instead: run `omamori serve`, then in the extension's options choose "
        "\"Local server\" and paste the pairing token it prints.",
        "{label} は Flatpak 版({app_id})です。サンドボックス内のブラウザーは omamori を直接起動できません。"
        "代わりにコンパニオンサーバーを使ってください: `omamori serve` を実行し、拡張機能の設定で"
        "「ローカルサーバー」を選んで、表示されるペアリングトークンを貼り付けます。",
    ),
    "next_steps": ("Next steps:", "次にすること:"),
    "next_chromium": (
        "In {label}: open {page}, turn on \"Developer mode\", click \"Load unpacked\" and choose the folder {folder}",
        "{label}: {page} を開き、「デベロッパー モード」をオンにして「パッケージ化されていない拡張機能を読み込む」を"
        "押し、フォルダー {folder} を選びます",
    ),
    "next_firefox": (
        "In {label}: open {page}, click \"Load Temporary Add-on…\" and choose {folder}/manifest.json",
        "{label}: {page} を開き、「一時的なアドオンを読み込む…」を押して {folder}/manifest.json を選びます",
    ),
    "next_check": (
        "Check that everything works: omamori doctor",
        "すべて動くか確かめる: omamori doctor",
    ),
    "uninstalled": ("omamori's browser registration is removed.", "omamori のブラウザー登録を削除しました。"),
    "nothing_installed": ("Nothing to remove: omamori has no install record here.", "削除するものはありません(インストール記録がありません)。"),
}


def language(env: Mapping[str, str]) -> Lang:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def say(key: str, lang: Lang, **fields: object) -> str:
    en, ja = TEXT[key]
    return (ja if lang == "ja" else en).format(**fields)
