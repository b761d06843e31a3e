"""One error tree for the host, and the stable codes the protocol carries.

Every failure a user or the extension can see is an ``OmamoriError`` with a
stable ``code`` (written down in docs/protocol.md; codes are never renamed or
reused) and a message in English and Japanese that says what happened and what
to do next. The extension switches on the code, never on the text.

Whose fault it is decides the branch:
  * ``FrameError``   -- the peer broke the framing; the stream cannot go on.
  * ``RequestError`` -- a well-framed request that we cannot accept.
  * ``ImageError``   -- the image itself is something the engine cannot use.
  * ``StateError``   -- the local installation (key, settings, ledger, disk).
Anything else raised inside the host is a bug: transports log it and answer
``internal_error``.
"""
from __future__ import annotations

from typing import Any

# code -> (English, Japanese). Append only: the extension and scripts rely on the codes.
# A {name} in a sentence is filled from the error's details of that name.
MESSAGES: dict[str, tuple[str, str]] = {
    "frame_too_large": (
        "The request is larger than omamori accepts. Attach a smaller image (under 50 MB).",
        "リクエストが大きすぎます。50 MB 未満の画像を添付してください。",
    ),
    "frame_truncated": (
        "The connection ended in the middle of a message. Try again; if it keeps happening, restart the browser.",
        "メッセージの途中で接続が切れました。もう一度お試しください。続く場合はブラウザを再起動してください。",
    ),
    "bad_json": (
        "The request was not valid JSON. Update the omamori extension and the host to the same version.",
        "リクエストが正しい JSON ではありません。拡張機能とホストを同じバージョンに更新してください。",
    ),
    "bad_request": (
        "The request is missing a field or has a field of the wrong type. Update the extension and the host to the same version.",
        "リクエストの項目が欠けているか、型が違います。拡張機能とホストを同じバージョンに更新してください。",
    ),
    "unknown_type": (
        "The host does not know this request. Update the omamori host (run the installer again).",
        "ホストがこのリクエストを知りません。omamori ホストを更新してください(インストーラーを再実行)。",
    ),
    "bad_base64": (
        "The image data was damaged on the way to the host. Attach the image again.",
        "画像データが途中で壊れました。もう一度画像を添付してください。",
    ),
    "not_an_image": (
        "This file is not an image omamori can read. Attach a JPEG, PNG or WebP file.",
        "このファイルは omamori が読める画像ではありません。JPEG・PNG・WebP を添付してください。",
    ),
    "unsupported_format": (
        "omamori protects still JPEG, PNG and WebP images; animations and videos are posted as they are.",
        "omamori が保護できるのは静止画の JPEG・PNG・WebP です。アニメーションや動画はそのまま投稿されます。",
    ),
    "image_too_large": (
        "The image has too many pixels to process safely. Resize it below 60 megapixels and attach it again.",
        "画像の画素数が多すぎて安全に処理できません。6000万画素未満に縮小してから添付してください。",
    ),
    "image_too_small": (
        "The image is too small to carry an invisible mark. Use an image at least 256 pixels on each side, or turn the mark off.",
        "画像が小さすぎて見えない透かしを入れられません。各辺256ピクセル以上の画像を使うか、透かしをオフにしてください。",
    ),
    "image_damaged": (
        "The image file is damaged or cut short. Export it again from your drawing app and attach the new file.",
        "画像ファイルが壊れているか途中で切れています。お絵描きアプリから書き出し直して添付してください。",
    ),
    "output_too_large": (
        "The protected image would be over the site's size limit (X: 5 MB, Bluesky: 1,000,000 bytes) even at the smallest allowed size. Set a smaller maximum size.",
        "保護した画像がサイトの上限(X は 5 MB、Bluesky は 1,000,000 バイト)を超えてしまいます。最大サイズを小さく設定してください。",
    ),
    "font_missing": (
        "No font that can draw your signature was found. Install a Japanese font (e.g. Noto Sans CJK) or choose a font file in the settings.",
        "署名を描けるフォントが見つかりません。日本語フォント(Noto Sans CJK など)をインストールするか、設定でフォントファイルを指定してください。",
    ),
    "bad_setting": (
        "A setting has a value omamori cannot use. Check the value and try again.",
        "設定の値が使えません。値を確認してもう一度お試しください。",
    ),
    "key_unreadable": (
        "Your omamori key file is damaged. Restore it from your backup with `omamori key import FILE`; omamori did not replace it.",
        "omamori の鍵ファイルが壊れています。`omamori key import ファイル` でバックアップから戻してください。鍵は置き換えていません。",
    ),
    "c2pa_identity_unreadable": (
        "The certificate omamori made for signing your Content Credentials (C2PA) is damaged. Restore the folder named in the details from a backup, or delete it to have a new certificate made (files signed before will then show a different signer).",
        "コンテンツクレデンシャル(C2PA)の署名用に omamori が作った証明書が壊れています。詳細にあるフォルダーをバックアップから戻すか、削除すると新しい証明書が作られます(以前に署名したファイルは別の署名者と表示されます)。",
    ),
    "key_exists": (
        "A different key is already installed. Export it first (`omamori key export FILE`), then import with --replace.",
        "別の鍵がすでにあります。先に書き出して(`omamori key export ファイル`)から --replace を付けて取り込んでください。",
    ),
    "key_missing": (
        "Your omamori key is missing, but images were protected with a key before. Restore it with `omamori key import FILE`; to start over with a new key run `omamori key new` (old marks will no longer count as yours).",
        "omamori の鍵が見つかりませんが、以前に鍵で保護した画像があります。`omamori key import ファイル` で戻してください。新しい鍵で始めるには `omamori key new`(以前の透かしはあなたのものと判定されなくなります)。",
    ),
    "storage_unwritable": (
        "omamori cannot write to its folder. Free some disk space or fix the folder's permissions, then try again.",
        "omamori のフォルダーに書き込めません。ディスクの空きを増やすか、フォルダーの権限を直してからもう一度お試しください。",
    ),
    "file_unreadable": (
        "omamori cannot read this file. Check the path and that you are allowed to open it.",
        "このファイルを読めません。パスと、開く権限があるかを確認してください。",
    ),
    "timeout": (
        "Protecting the image took too long. Try a smaller image or turn the cloak off.",
        "画像の保護に時間がかかりすぎました。小さい画像にするか、クロークをオフにしてください。",
    ),
    "internal_error": (
        "omamori hit an unexpected problem. Try again; if it repeats, run `omamori doctor` and report what it says.",
        "omamori で予期しない問題が起きました。もう一度お試しください。繰り返す場合は `omamori doctor` を実行し、結果を報告してください。",
    ),
    "model_missing": (
        "The cloak needs its model file, which is not installed. Run `omamori models fetch` once (about 5 MB), or turn the cloak off.",
        "クロークに必要なモデルファイルがありません。`omamori models fetch` を一度実行する(約 5 MB)か、クロークをオフにしてください。",
    ),
    "model_damaged": (
        "The cloak's model file is damaged or not the expected file. Run `omamori models fetch` again to replace it.",
        "クロークのモデルファイルが壊れているか、想定と違うファイルです。`omamori models fetch` をもう一度実行して置き換えてください。",
    ),
    "model_download_failed": (
        "The cloak's model could not be downloaded. Check your internet connection and run `omamori models fetch` again, or use `--from FOLDER` with files you downloaded yourself.",
        "クロークのモデルをダウンロードできませんでした。インターネット接続を確認して `omamori models fetch` を再実行するか、自分でダウンロードしたファイルを `--from フォルダー` で指定してください。",
    ),
    "signature_unprintable": (
        "No font on this computer can draw “{chars}” in your signature, so it was not saved. Remove or replace "
        "that character (emoji cannot be drawn), or choose a font file that has it.",
        "署名の「{chars}」を描けるフォントがこのコンピューターにないため、保存しませんでした。その文字を消すか"
        "別の文字に置き換えてください(絵文字は描けません)。またはその文字を含むフォントファイルを指定してください。",
    ),
    "download_failed": (
        "The image could not be downloaded from that address. Check the address (http or https) and your connection, or save the image and verify the file.",
        "そのアドレスから画像をダウンロードできませんでした。アドレス(http または https)と接続を確認するか、画像を保存してファイルを確認してください。",
    ),
    "download_too_large": (
        "The file at that address is larger than 50 MB, more than any image omamori checks. Check that the address is the image itself.",
        "そのアドレスのファイルは 50 MB を超えていて、omamori が確認できる画像の大きさを超えています。アドレスが画像そのものか確認してください。",
    ),
    "download_timeout": (
        "Downloading the image took longer than 30 seconds. Try again later, or save the image and verify the file.",
        "画像のダウンロードが 30 秒を超えました。時間をおいて再度試すか、画像を保存してファイルを確認してください。",
    ),
    "cancelled": (
        "This request was cancelled before it finished; nothing was saved for it. Attach the image again if you still want it protected.",
        "このリクエストは完了前に取り消されました。何も保存されていません。保護したい場合はもう一度画像を添付してください。",
    ),
    "too_many_requests": (
        "Too many images are waiting for omamori. Wait for the ones in progress to finish, then attach again.",
        "omamori の処理待ちの画像が多すぎます。処理中の画像が終わるのを待ってから、もう一度添付してください。",
    ),
    "image_too_complex": (
        "This JPEG is saved in an unusual way (too many progressive scans) that would take minutes to read. Save it again as a standard JPEG or a PNG from your drawing app and attach the new file.",
        "この JPEG は特殊な形式(プログレッシブのスキャンが多すぎる)で保存されていて、読み込みに数分かかります。お絵描きアプリから通常の JPEG か PNG で保存し直して添付してください。",
    ),
}


class OmamoriError(Exception):
    """Base of every error a user can be told about.

    ``code`` is a key of ``MESSAGES``; ``details`` are structured facts (sizes,
    limits, field names) that the extension may show or log.
    """

    code = "internal_error"

    def __init__(self, code: str | None = None, /, **details: Any) -> None:
        if code is not None:
            self.code = code
        if self.code not in MESSAGES:
            raise ValueError(f"unknown error code {self.code!r}")
        self.details = details
        super().__init__(self.code, details)

    @property
    def message_en(self) -> str:
        return MESSAGES[self.code][0].format_map(self.details)

    @property
    def message_ja(self) -> str:
        return MESSAGES[self.code][1].format_map(self.details)

    def to_dict(self) -> dict[str, Any]:
        """The ``error`` object of a reply (see docs/protocol.md)."""
        return {
            "code": self.code,
            "message": {"en": self.message_en, "ja": self.message_ja},
            "details": self.details,
        }


class FrameError(OmamoriError):
    """The peer broke the framing (truncated frame, impossible length)."""


class RequestError(OmamoriError):
    """A well-framed request we cannot accept (bad JSON, field, type)."""


class ImageError(OmamoriError):
    """An image the engine cannot use (not an image, bomb, too small...)."""


class StateError(OmamoriError):
    """The local installation is not usable (key, settings, disk)."""


def internal_error(**details: Any) -> OmamoriError:
    """The error sent for a bug: the peer learns nothing but that it happened."""
    return OmamoriError("internal_error", **details)
