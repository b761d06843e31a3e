"""The verdict of ``verify`` in plain words, and the evidence sheet: one self-contained bilingual HTML page.

The sheet is what a person attaches to (or copies into) a platform's copyright form: the image found and where,
the protected original as the ledger recorded it, what the mark says and how certain that is, and what this does
and does not prove. It is built from a ``verify`` result alone (no key, nothing secret: the creator id is a hash
of the key), carries its pictures as data: URIs and its style inline, and runs no script, so it opens anywhere,
prints to PDF as it is, and can be kept as a file.
"""
from __future__ import annotations

import base64
import html
import math
from typing import Any

# The bands of ``certainty``: the false-positive bound at most this -> the word.
CERTAINTY_BANDS = ((1e-12, "very_high"), (1e-6, "high"), (1.0, "moderate"))

# Where a person reports a copy, and which field of the form takes what (checked 2026-12; one line each to change).
REPORT_FORMS = {
    "x": "https://help.x.com/forms/ipi",
    "pixiv": "https://www.pixiv.help/hc/ja/requests/new",
}

# key -> (English, Japanese). Substitutions are str.format fields.
TEXT: dict[str, tuple[str, str]] = {
    "title": ("Evidence sheet: is this image mine?", "証拠シート:この画像はわたしの作品か"),
    "verdict_yours": ("Yes, this is yours (marked on {date}), certainty: {certainty}.",
                      "はい、これはあなたの画像です({date} に透かしを入れたもの)。確からしさ:{certainty}。"),
    "verdict_exact": ("Yes, this is yours: the very file omamori protected for you on {date}.",
                      "はい、これはあなたの画像です。omamori が {date} に保護したファイルそのものです。"),
    "verdict_looks_like": ("This looks like the picture you protected on {date}; its invisible mark could not be read.",
                           "{date} に保護した画像に似ています。見えない透かしは読み取れませんでした。"),
    "verdict_someone_else": ("This image carries an omamori mark made with someone else's key (creator {creator}), not yours.",
                             "この画像には、あなたのではない別の鍵の omamori 透かし(作者 {creator})が入っています。"),
    "verdict_not_found": ("Not found: no mark of yours, and nothing in your ledger looks like this picture.",
                          "見つかりません:あなたの透かしは見つからず、台帳にも似た画像はありません。"),
    "certainty_very_high": ("very high", "非常に高い"),
    "certainty_high": ("high", "高い"),
    "certainty_moderate": ("moderate", "中程度"),
    "fp_sentence": ("If this image did not carry this mark, the chance that the detector would read a mark this "
                    "strong is at most {probability} (about 1 in {odds}).",
                    "この画像にこの透かしが入っていないとしたら、検出器がこれほど強く透かしを読み取る確率は多くとも "
                    "{probability}(約 {odds} 回に 1 回)です。"),
    "fp_sentence_tiny": ("If this image did not carry this mark, the chance that the detector would read a mark this "
                         "strong is below 1 in 10^300: too small to write as a number.",
                         "この画像にこの透かしが入っていないとしたら、検出器がこれほど強く透かしを読み取る確率は "
                         "10^300 回に 1 回より小さく、数値で書けないほどです。"),
    "found_heading": ("The image found", "見つかった画像"),
    "found_url": ("Image address", "画像のアドレス"),
    "found_page": ("Page it was on", "掲載されていたページ"),
    "found_seen": ("Seen at", "確認した日時"),
    "found_unknown": ("not known", "不明"),
    "found_size": ("Size", "大きさ"),
    "found_sha": ("SHA-256 of the image examined", "調べた画像の SHA-256"),
    "original_heading": ("The protected original, as recorded in omamori's ledger",
                         "保護した元の画像(omamori の台帳の記録)"),
    "original_none": ("Nothing in the ledger of this computer matches this image.",
                      "このパソコンの台帳には、この画像に当てはまる記録はありません。"),
    "original_time": ("Protected at", "保護した日時"),
    "original_name": ("File name", "ファイル名"),
    "original_sha_original": ("SHA-256 of the original file", "元のファイルの SHA-256"),
    "original_sha_output": ("SHA-256 of the protected file that was posted", "投稿した保護済みファイルの SHA-256"),
    "original_no_thumbnail": ("(no thumbnail kept)", "(縮小画像は保存されていません)"),
    "match_exact": ("The image examined is byte for byte the file omamori wrote.",
                    "調べた画像は、omamori が書き出したファイルとバイト単位で同一です。"),
    "match_distance": ("Perceptual match: {distance} of 64 bits differ (10 or fewer count as the same picture; "
                       "unrelated pictures differ in about 32).",
                       "見た目の一致:64 ビット中 {distance} ビットが異なります(10 以下を同じ絵とみなします。"
                       "無関係な絵ではおよそ 32 ビット異なります)。"),
    "mark_heading": ("What the invisible mark says", "見えない透かしの内容"),
    "mark_none": ("No omamori mark could be read in this image.", "この画像から omamori の透かしは読み取れませんでした。"),
    "mark_creator": ("Creator id (derived from the creator's secret key; the key itself is not shown)",
                     "作者 ID(作者の秘密鍵から導いた値。鍵そのものは載せていません)"),
    "mark_owner": ("Whose mark", "誰の透かしか"),
    "mark_owner_self": ("the key on this computer", "このパソコンの鍵"),
    "mark_owner_other": ("another key", "別の鍵"),
    "mark_date": ("Date carried in the mark", "透かしに記録された日付"),
    "mark_flag": ("No-AI-training flag", "AI学習禁止フラグ"),
    "mark_flag_on": ("set: the creator does not allow AI training", "あり:作者は AI 学習を許可していません"),
    "mark_flag_off": ("not set", "なし"),
    "mark_id": ("Mark id", "透かし ID"),
    "mark_certainty": ("Certainty", "確からしさ"),
    "mark_figures": ("Figures", "数値"),
    "proves_heading": ("What this shows, and what it does not", "これが示すこと、示さないこと"),
    "proves_mark": ("A readable mark shows that the image was processed by omamori with the creator's key on the "
                    "date it carries: only that key makes a mark this creator id reads back from.",
                    "透かしが読めることは、この画像が作者の鍵を使って omamori で処理されたこと、その日付を示します。"
                    "この作者 ID の透かしを作れるのは、その鍵だけです。"),
    "proves_ledger": ("The ledger entry is the creator's own record on their computer: when the picture was "
                      "protected and the SHA-256 fingerprints of the files.",
                      "台帳の記録は作者自身のパソコン上の記録です。保護した日時と、ファイルの SHA-256 を示します。"),
    "proves_not": ("It does not prove who drew the picture first, nor does it replace a registration or a court's "
                   "judgement; a mark can also be lost when a copy is cropped, shrunk or re-drawn, so a missing mark "
                   "does not mean the picture is not yours.",
                   "誰が先に描いたかの証明や、登録・裁判所の判断の代わりにはなりません。切り抜き・縮小・描き直しで"
                   "透かしが失われることもあるため、透かしがないことは、あなたの絵ではないことを意味しません。"),
    "proves_secret": ("Nothing secret is in this sheet: not the key, and no file from the creator's computer "
                      "other than the small pictures shown.",
                      "このシートに秘密の情報はありません。鍵も、表示した縮小画像以外のファイルも含みません。"),
    "report_heading": ("How to report the copy", "転載の報告のしかた"),
    "report_x": ("X (Twitter): the copyright report form. Choose copyright, then paste the address of the post with "
                 "the copy where the form asks for the infringing material, the link to your own post where it asks "
                 "for your original work, and the verdict and the figures above into the description of your work; "
                 "attach this sheet (printed to PDF) where the form takes supporting material.",
                 "X(Twitter):著作権侵害の報告フォーム。著作権を選び、転載された投稿のアドレスを侵害コンテンツを尋ねる欄に、"
                 "あなた自身の投稿へのリンクをオリジナル作品を尋ねる欄に、上の判定と数値を作品の説明欄に貼り付けます。"
                 "補足資料を添付できる欄には、このシート(PDF に印刷したもの)を添付します。"),
    "report_pixiv": ("pixiv: the help centre's contact form. Choose the topic of rights infringement (unauthorised "
                     "reposting), paste the address of the copy where it asks for the work's URL, the link to your "
                     "own work where it asks for the original, and the verdict and the figures above into the "
                     "details; attach this sheet as a PDF.",
                     "pixiv:ヘルプセンターのお問い合わせフォーム。権利侵害(無断転載)の項目を選び、転載のアドレスを作品の "
                     "URL を尋ねる欄に、あなた自身の作品へのリンクを元の作品を尋ねる欄に、上の判定と数値を詳細欄に"
                     "貼り付け、このシートを PDF にして添付します。"),
    "footer": ("Made by omamori {version} at {made_at} on the creator's own computer.",
               "omamori {version} が {made_at} に作者自身のパソコンで作成。"),
    "print_hint": ("To keep it as a PDF: print this page and choose “Save as PDF”.",
                   "PDF として保存するには、このページを印刷して「PDF に保存」を選びます。"),
}


def text(key: str, language: str, **fields: Any) -> str:
    """One sentence of TEXT in ``language`` ("en" or "ja"), fields substituted."""
    en, ja = TEXT[key]
    return (ja if language == "ja" else en).format(**fields)


def certainty(false_positive_probability: float) -> str:
    """``very_high``, ``high`` or ``moderate``: the band of a detection's false-positive bound (CERTAINTY_BANDS)."""
    return next(word for bound, word in CERTAINTY_BANDS if false_positive_probability <= bound)


def verdict(result: dict[str, Any]) -> str:
    """What a ``verify`` result means for the person: ``yours`` (their mark, or the very file omamori wrote),
    ``someone_else`` (another key's mark), ``looks_like_yours`` (no mark, the ledger's perceptual match) or
    ``not_found``."""
    mark, match = result.get("mark"), result.get("ledger_match")
    if mark and mark["own"] or match and match["exact"]:
        return "yours"
    if mark:
        return "someone_else"
    return "looks_like_yours" if match else "not_found"


def verdict_sentence(result: dict[str, Any], language: str) -> str:
    """The verdict of a ``verify`` result as one plain sentence, e.g. "Yes, this is yours (marked on 2026-11-21),
    certainty: very high."""
    kind, mark, match = verdict(result), result.get("mark"), result.get("ledger_match")
    if kind == "yours" and mark and mark["own"]:
        word = text(f"certainty_{certainty(result['false_positive_probability'])}", language)
        return text("verdict_yours", language, date=mark["date"], certainty=word)
    if kind == "yours":
        return text("verdict_exact", language, date=match["time"][:10])
    if kind == "someone_else":
        return text("verdict_someone_else", language, creator=mark["creator_id"])
    if kind == "looks_like_yours":
        return text("verdict_looks_like", language, date=match["time"][:10])
    return text("verdict_not_found", language)


def odds(probability: float) -> str:
    """``probability`` (> 0) as the N of "1 in N" odds: written plainly up to a million, as 10^k above."""
    n = 1 / probability
    if n < 1e6:
        return f"{round(n):,}"
    return f"10^{math.floor(math.log10(n))}"


# ---- the sheet --------------------------------------------------------------------------------------------------
_STYLE = """
:root { color-scheme: light; }
body { font-family: "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Noto Sans", sans-serif; margin: 2em auto;
       max-width: 56em; padding: 0 1.5em; color: #1a1a1a; line-height: 1.55; }
h1 { font-size: 1.5em; margin-bottom: .2em; }
h2 { font-size: 1.1em; border-bottom: 2px solid #7a2e2e; padding-bottom: .15em; margin-top: 1.6em; }
.verdict { font-size: 1.15em; font-weight: bold; padding: .6em .9em; border-radius: 6px; background: #f3f0e8; }
.verdict[data-verdict="yours"] { background: #e3f1e6; }
.verdict[data-verdict="looks_like_yours"] { background: #fdf3d9; }
.both p { margin: .2em 0; }
[lang="en"] { color: #333; }
table { border-collapse: collapse; width: 100%; margin: .5em 0; }
th, td { text-align: left; vertical-align: top; padding: .3em .5em; border-bottom: 1px solid #ddd; }
th { width: 38%; font-weight: normal; color: #444; }
td { word-break: break-all; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: .88em; }
.pictures { display: flex; gap: 1.5em; flex-wrap: wrap; }
figure { margin: 0; flex: 1 1 16em; }
figure img { max-width: 100%; max-height: 22em; border: 1px solid #ccc; display: block; }
figcaption { font-size: .9em; color: #444; }
footer { margin-top: 2em; font-size: .85em; color: #555; border-top: 1px solid #ddd; padding-top: .6em; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } figure, table { break-inside: avoid; } }
"""


def _both(key: str, **fields: Any) -> str:
    """One sentence in Japanese, then in English, each marked with its language."""
    return "".join(f'<p lang="{language}">{html.escape(text(key, language, **fields))}</p>' for language in ("ja", "en"))


def _label(key: str) -> str:
    return (f'<span lang="ja">{html.escape(text(key, "ja"))}</span> / '
            f'<span lang="en">{html.escape(text(key, "en"))}</span>')


def _row(key: str, value: str, *, figure: str | None = None) -> str:
    """A table row; ``value`` is HTML already. ``figure`` names the verify --json field the value shows."""
    marker = f' data-figure="{figure}"' if figure else ""
    return f"<tr><th>{_label(key)}</th><td{marker}>{value}</td></tr>"


def _code(value: Any) -> str:
    return f"<code>{html.escape(str(value))}</code>"


def _link(url: str) -> str:
    safe = html.escape(url)
    # Only web addresses become links: a javascript: or data: address found on a page is shown, never followed.
    return f'<a href="{safe}">{safe}</a>' if url.startswith(("https://", "http://")) else _code(url)


def _picture(jpeg: bytes | None, caption_key: str, test_id: str) -> str:
    if jpeg is None:
        body = f"<p>{_label('original_no_thumbnail')}</p>"
    else:
        body = (f'<img data-testid="{test_id}" alt="" '
                f'src="data:image/jpeg;base64,{base64.b64encode(jpeg).decode("ascii")}">')
    return f"<figure>{body}<figcaption>{_label(caption_key)}</figcaption></figure>"


def sheet(result: dict[str, Any], *, found_thumbnail: bytes, source: dict[str, str] | None, version: str,
          made_at: str) -> str:
    """The evidence sheet (HTML text) for a ``verify`` result.

    ``found_thumbnail``: a small JPEG of the image examined; ``source``: where it was found, ``{"url", "page_url",
    "seen_at"}`` each optional (None: checked from a file); ``made_at``: ISO 8601 UTC. The ledger's thumbnail comes
    from ``result["ledger_match"]["thumbnail"]`` (base64) when there is one. Every figure shown is the
    ``verify`` result's own value, in an element whose ``data-figure`` names its field.
    """
    kind = verdict(result)
    mark, match = result.get("mark"), result.get("ledger_match")
    source = source or {}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ja"><head><meta charset="utf-8">',
        # Nothing is loaded from anywhere: pictures are data: URIs, style is inline, there is no script.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width">',
        f"<title>{html.escape(text('title', 'ja'))} / {html.escape(text('title', 'en'))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{_label('title')}</h1>",
        f'<div class="verdict both" data-verdict="{kind}" data-testid="verdict">'
        + "".join(f'<p lang="{language}">{html.escape(verdict_sentence(result, language))}</p>'
                  for language in ("ja", "en"))
        + "</div>",
    ]

    ledger_thumbnail = base64.b64decode(match["thumbnail"]) if match and match.get("thumbnail") else None
    parts.append('<div class="pictures">' + _picture(found_thumbnail, "found_heading", "found-picture")
                 + (_picture(ledger_thumbnail, "original_heading", "original-picture") if match else "")
                 + "</div>")

    parts.append(f"<h2>{_label('found_heading')}</h2><table>")
    parts.append(_row("found_url", _link(source["url"]) if source.get("url") else _label("found_unknown")))
    if source.get("page_url"):
        parts.append(_row("found_page", _link(source["page_url"])))
    parts.append(_row("found_seen", _code(source["seen_at"]) if source.get("seen_at") else _label("found_unknown")))
    parts.append(_row("found_size", _code(f"{result['width']} × {result['height']}")))
    parts.append(_row("found_sha", _code(result["sha256"]), figure="sha256"))
    parts.append("</table>")

    parts.append(f"<h2>{_label('original_heading')}</h2>")
    if match:
        parts.append("<table>")
        parts.append(_row("original_time", _code(match["time"]), figure="ledger_match.time"))
        parts.append(_row("original_name", _code(match["name"]), figure="ledger_match.name"))
        parts.append(_row("original_sha_original", _code(match["sha256_original"]), figure="ledger_match.sha256_original"))
        parts.append(_row("original_sha_output", _code(match["sha256_output"]), figure="ledger_match.sha256_output"))
        parts.append("</table>")
        if match["exact"]:
            parts.append(f'<div class="both">{_both("match_exact")}</div>')
        else:
            parts.append(f'<div class="both" data-figure="ledger_match.distance" data-value="{match["distance"]}">'
                         f'{_both("match_distance", distance=match["distance"])}</div>')
    else:
        parts.append(f'<div class="both">{_both("original_none")}</div>')

    parts.append(f"<h2>{_label('mark_heading')}</h2>")
    if mark:
        flag = "mark_flag_on" if mark["no_ai_training"] else "mark_flag_off"
        fp = result["false_positive_probability"]
        word = certainty(fp)
        parts.append("<table>")
        parts.append(_row("mark_owner", _label("mark_owner_self" if mark["own"] else "mark_owner_other")))
        parts.append(_row("mark_creator", _code(mark["creator_id"]), figure="mark.creator_id"))
        parts.append(_row("mark_date", _code(mark["date"]), figure="mark.date"))
        parts.append(_row("mark_flag", _label(flag)))
        parts.append(_row("mark_id", _code(mark["id"]), figure="mark.id"))
        parts.append(_row("mark_certainty", _label(f"certainty_{word}")))
        parts.append(_row("mark_figures",
                          f'confidence <code data-figure="confidence">{result["confidence"]!r}</code>, '
                          f'false_positive_probability <code data-figure="false_positive_probability">{fp!r}</code>'))
        parts.append("</table>")
        # A bound below the smallest float is 0.0: said as such, not as "at most 0".
        chance = _both("fp_sentence", probability=f"{fp:.1e}", odds=odds(fp)) if fp > 0 else _both("fp_sentence_tiny")
        parts.append(f'<div class="both">{chance}</div>')
    else:
        parts.append(f'<div class="both">{_both("mark_none")}</div>')

    parts.append(f"<h2>{_label('proves_heading')}</h2><div class=\"both\">")
    for key in ("proves_mark", "proves_ledger", "proves_not", "proves_secret"):
        parts.append(_both(key))
    parts.append("</div>")

    parts.append(f"<h2>{_label('report_heading')}</h2><div class=\"both\">")
    for site in ("x", "pixiv"):
        parts.append(_both(f"report_{site}") + f'<p>{_link(REPORT_FORMS[site])}</p>')
    parts.append("</div>")

    parts.append(f'<footer class="both">{_both("footer", version=version, made_at=made_at)}'
                 f'{_both("print_hint")}</footer></body></html>')
    return "\n".join(parts)
