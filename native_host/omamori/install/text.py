"""What the installer, the doctor and the server tell a person, in English and Japanese.

The language is chosen by ``omamori.i18n.language`` from the locale variables.
"""
from __future__ import annotations

from ..i18n import Lang

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
    "verb.keep-foreign": ("left alone: not a place omamori writes to (the install receipt was changed by something "
                          "else)", "そのままにしました: omamori が書き込む場所ではありません(インストールの記録が他のものに"
                          "書き換えられています)"),
    "dry_run": ("Dry run: nothing was written. This is what would happen:", "ドライラン: 何も書き込んでいません。実行すると次のようになります:"),
    "registered": ("omamori is registered for: {browsers}", "omamori を登録したブラウザー: {browsers}"),
    "no_browser": (
        "WARNING: no browser that can start omamori was found (Chrome, Chromium, Edge, Brave, Vivaldi, Firefox), "
        "so none was registered. omamori itself is installed and protects images from the command line. After "
        "installing a browser, run `omamori install` again (or name one: omamori install --browser chrome).",
        "注意: omamori を起動できるブラウザー(Chrome・Chromium・Edge・Brave・Vivaldi・Firefox)が見つからないため、"
        "どのブラウザーにも登録していません。omamori 自体はインストール済みで、コマンドラインから画像を保護できます。"
        "ブラウザーをインストールしたら、もう一度 `omamori install` を実行してください"
        "(名前を指定する場合: omamori install --browser chrome)。",
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
        "{label} is installed as a Snap; Snap versions of Chromium-based browsers cannot start a native host.",
        "{label} は Snap 版です。Snap 版の Chromium 系ブラウザーはネイティブホストを起動できません。",
    ),
    "snap_firefox": (
        "{label} is installed as a Snap: the first time the extension connects, Firefox asks whether it may start "
        "omamori. Allow it.",
        "{label} は Snap 版です。拡張機能が初めて接続するとき、omamori の起動を許可するか Firefox が尋ねます。"
        "許可してください。",
    ),
    "flatpak": (
        "{label} is installed as a Flatpak ({app_id}); sandboxed browsers cannot start omamori directly.",
        "{label} は Flatpak 版({app_id})です。サンドボックス内のブラウザーは omamori を直接起動できません。",
    ),
    "use_server": (
        "  Use the companion server instead: run `omamori serve`, then in the extension's options, under "
        "\"Connection to omamori\", choose \"Local server\" and paste the pairing token it prints.",
        "  代わりにコンパニオンサーバーを使ってください: `omamori serve` を実行し、拡張機能の設定の"
        "「omamori への接続」で「ローカルサーバー」を選んで、表示されるペアリングトークンを貼り付けます。",
    ),
    "receipt_damaged": (
        "omamori's install record {path} is damaged, so it cannot tell what it made. Move that file away, run "
        "`omamori install` again, and delete any other jp.omamori.host.json by hand if you want it gone.",
        "omamori のインストール記録 {path} が壊れていて、何を作ったか分かりません。そのファイルを別の場所へ移し、"
        "もう一度 `omamori install` を実行してください。ほかの jp.omamori.host.json は必要なら手で削除してください。",
    ),
    "next_steps": ("Next steps:", "次にすること:"),
    "command_linked": (
        "The omamori command is {path} (a link to {target}).",
        "omamori コマンドは {path} です({target} へのリンク)。",
    ),
    "command_not_on_path": (
        "{folder} is not on your PATH yet, so typing `omamori` will not find it. Add this line to {rc} "
        "(then open a new terminal):\n    export PATH=\"$HOME/.local/bin:$PATH\"\nUntil then, run it as {path}",
        "{folder} がまだ PATH に入っていないため、`omamori` と入力しても見つかりません。次の行を {rc} に追加して"
        "ください(その後、新しいターミナルを開きます):\n    export PATH=\"$HOME/.local/bin:$PATH\"\n"
        "それまでは {path} で実行できます",
    ),
    "command_not_linked": (
        "{path} already exists and is not a link, so it was left alone. Run omamori as {target}",
        "{path} はすでにあり、リンクではないためそのままにしました。omamori は {target} で実行できます",
    ),
    "ask_name": (
        "Your name or handle for the signature on your images (e.g. @yuki_draws); Enter keeps “{text}”:",
        "画像の署名に入れる名前またはハンドル名(例: @yuki_draws)。Enter で「{text}」のままにします:",
    ),
    "name_saved": (
        "Your signature is now “{text}”. Change it any time: omamori settings set signature.text=...",
        "署名を「{text}」にしました。いつでも変えられます: omamori settings set signature.text=...",
    ),
    "name_kept": (
        "The signature stays “{text}”. Change it any time: omamori settings set signature.text=...",
        "署名は「{text}」のままです。いつでも変えられます: omamori settings set signature.text=...",
    ),
    "next_chromium": (
        "In {label}: open {page}, turn on \"Developer mode\", click \"Load unpacked\" and choose the folder {folder}",
        "{label}: {page} を開き、「デベロッパー モード」をオンにして「パッケージ化されていない拡張機能を読み込む」を"
        "押し、フォルダー {folder} を選びます",
    ),
    "next_firefox": (
        "In {label}: open {page}, click \"Load Temporary Add-on…\" and choose {folder}/manifest.json. Firefox "
        "removes a temporary add-on when it closes, and omamori then stops protecting: to keep it, see README.md, "
        "\"Install the extension for good\"",
        "{label}: {page} を開き、「一時的なアドオンを読み込む…」を押して {folder}/manifest.json を選びます。"
        "一時的なアドオンは Firefox を閉じると削除され、omamori の保護も止まります。残すには README.md の "
        "\"Install the extension for good\" を見てください",
    ),
    "next_no_folder": (
        "In {label}: add the omamori extension from your browser's add-on store, or load the `extension` folder of "
        "omamori's source as README.md says (\"Install the extension for good\")",
        "{label}: ブラウザーのアドオンストアから omamori 拡張機能を追加するか、README.md の "
        "\"Install the extension for good\" のとおり omamori のソースの `extension` フォルダーを読み込みます",
    ),
    "next_check": (
        "Check that everything works: omamori doctor",
        "すべて動くか確かめる: omamori doctor",
    ),
    "uninstalled": ("omamori's browser registration is removed.", "omamori のブラウザー登録を削除しました。"),
    "nothing_installed": ("Nothing to remove: omamori has no install record here.", "削除するものはありません(インストール記録がありません)。"),
    "subject.browsers": ("browsers", "ブラウザー"),
    "subject.font": ("signature font", "署名フォント"),
    "subject.key": ("key", "鍵"),
    "subject.ledger": ("ledger", "記録"),
    "status.ok": ("OK", "OK"),
    "status.problem": ("PROBLEM", "問題"),
    "status.note": ("NOTE", "注意"),
    "fix": ("fix", "直し方"),
    "doctor.sandboxed": (
        "installed as {how}: it cannot start omamori's host; use the companion server",
        "{how} 版です。omamori のホストを起動できないので、コンパニオンサーバーを使ってください",
    ),
    "doctor.no_browser": (
        "no supported browser is installed on this computer; omamori works from the command line meanwhile",
        "対応ブラウザーがこのコンピューターにありません。それまではコマンドラインで omamori を使えます",
    ),
    "doctor.no_registration": (
        "omamori is not registered with any browser",
        "omamori がどのブラウザーにも登録されていません",
    ),
    "doctor.not_registered": (
        "installed, but omamori is not registered with it",
        "インストールされていますが、omamori が登録されていません",
    ),
    "doctor.no_key": ("the registry key {key} is missing", "レジストリキー {key} がありません"),
    "doctor.no_manifest": ("no host manifest at {path}", "{path} にホストのマニフェストがありません"),
    "doctor.bad_manifest": ("the manifest {path} is wrong: {reason}", "マニフェスト {path} が正しくありません: {reason}"),
    "doctor.no_launcher": ("the launcher {path} does not exist", "起動スクリプト {path} がありません"),
    "doctor.not_executable": ("the launcher {path} is not executable", "起動スクリプト {path} に実行権限がありません"),
    "doctor.no_hello": (
        "the host started by {path} did not answer: {reason}",
        "{path} から起動したホストが応答しません: {reason}",
    ),
    "doctor.hello_error": ("the host answered hello with the error {code}", "ホストが hello にエラー {code} を返しました"),
    "doctor.browser_ok": (
        "the host answers (omamori {version}); manifest {path}",
        "ホストが応答しました(omamori {version})。マニフェスト {path}",
    ),
    "doctor.font_missing": (
        "no font can draw “{missing}” of your signature text ({code}): images get the invisible mark only",
        "署名の「{missing}」を描けるフォントがありません({code})。画像には見えない透かしだけが入ります",
    ),
    "doctor.font_ok": ("{path}", "{path}"),
    "doctor.key_unreadable": ("the key file {path} is damaged", "鍵ファイル {path} が壊れています"),
    "doctor.key_not_yet": (
        "no key yet at {path}: one is made the first time you protect an image",
        "{path} に鍵はまだありません。最初に画像を保護したときに作られます",
    ),
    "doctor.key_open": (
        "the key file {path} can be read by other users (mode {mode})",
        "鍵ファイル {path} を他のユーザーが読めます(モード {mode})",
    ),
    "doctor.key_ok": ("{path} (owner only)", "{path}(本人のみ)"),
    "doctor.ledger_new": ("{path} will be created on first use", "{path} は初回に作られます"),
    "doctor.ledger_unwritable": ("cannot write to {path}", "{path} に書き込めません"),
    "doctor.ledger_broken": ("the ledger {path} does not open: {reason}", "記録 {path} を開けません: {reason}"),
    "doctor.ledger_ok": ("{path} ({count} images)", "{path}({count} 枚)"),
    "doctor.healthy": ("Everything omamori needs is in place.", "omamori に必要なものはすべて揃っています。"),
    "doctor.broken": (
        "{count} problem(s) found. Run the fix shown under each, then `omamori doctor` again.",
        "{count} 件の問題があります。それぞれの直し方を実行してから、もう一度 `omamori doctor` を実行してください。",
    ),
    "serve.token": (
        "Pairing token (shown only now): {token}\n"
        "In the omamori extension's options, under \"Connection to omamori\", choose \"Local server\" and paste it "
        "into \"Pairing token\".",
        "ペアリングトークン(表示は今回だけ): {token}\n"
        "omamori 拡張機能の設定の「omamori への接続」で「ローカルサーバー」を選び、「ペアリングトークン」に"
        "貼り付けてください。",
    ),
    "serve.unpaired_no_tty": (
        "The server is not paired yet. In a terminal, run `omamori serve --pair` once and paste the token it prints "
        "into the extension's options.",
        "サーバーはまだペアリングされていません。ターミナルで一度 `omamori serve --pair` を実行し、表示される"
        "トークンを拡張機能の設定に貼り付けてください。",
    ),
    "serve.unpaired": (
        "Pairing removed: the server now refuses every connection until `omamori serve --pair`.",
        "ペアリングを解除しました。`omamori serve --pair` を実行するまで、サーバーはすべての接続を拒否します。",
    ),
    "serve.no_chrome_id": (
        "The extension's ids were not found ({reason}); only Firefox (moz-extension) connections will be accepted. "
        "Pass the extension folder: omamori serve --extension PATH/TO/omamori/extension",
        "拡張機能の ID が見つかりません({reason})。Firefox(moz-extension)からの接続のみ受け付けます。"
        "拡張機能のフォルダーを指定してください: omamori serve --extension omamori/extension へのパス",
    ),
    "serve.listening": (
        "omamori companion server is listening on {url} (this computer only). Leave this window open; "
        "press Ctrl+C to stop.",
        "omamori コンパニオンサーバーが {url} で待ち受けています(このコンピューターからのみ)。"
        "このウィンドウは開いたままにしてください。Ctrl+C で止まります。",
    ),
    "serve.not_loopback": (
        "The server listens on this computer only; {address} is not a loopback address. Use 127.0.0.1.",
        "サーバーはこのコンピューター内でのみ待ち受けます。{address} はループバックアドレスではありません。"
        "127.0.0.1 を使ってください。",
    ),
    "serve.port_busy": (
        "Port {port} is in use (another omamori serve?). Stop it, or choose another port with --port and set the same "
        "address in the extension's options.",
        "ポート {port} は使用中です(別の omamori serve?)。それを止めるか、--port で別のポートを選び、拡張機能の"
        "設定にも同じアドレスを入れてください。",
    ),
    "serve.autostart_on": (
        "The companion server will start at login. To start it now: {hint}",
        "コンパニオンサーバーはログイン時に起動します。今すぐ起動するには: {hint}",
    ),
    "serve.autostart_off": ("The companion server no longer starts at login.", "コンパニオンサーバーはログイン時に起動しなくなりました。"),
}


def say(key: str, lang: Lang, **fields: object) -> str:
    en, ja = TEXT[key]
    return (ja if lang == "ja" else en).format(**fields)
