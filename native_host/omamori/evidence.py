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

from .catalog import Lang, Message, say

# The bands of ``certainty``: the false-positive bound at most this -> the word.
CERTAINTY_BANDS = ((1e-12, "very_high"), (1e-6, "high"), (1.0, "moderate"))

# Where a person reports a copy, and which field of the form takes what (checked 2026-12; one line each to change).
REPORT_FORMS = {
    "x": "https://help.x.com/forms/ipi",
    "pixiv": "https://www.pixiv.help/hc/ja/requests/new",
}

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


def verdict_sentence(result: dict[str, Any], language: Lang) -> str:
    """The verdict of a ``verify`` result as one plain sentence, e.g. "Yes, this is yours (marked on 2026-11-21),
    certainty: very high."""
    kind, mark, match = verdict(result), result.get("mark"), result.get("ledger_match")
    if kind == "yours" and mark and mark["own"]:
        word = say(f"evidence.certainty_{certainty(result['false_positive_probability'])}", language)
        return say("evidence.verdict_yours", language, date=mark["date"], certainty=word)
    if kind == "someone_else":
        return say("evidence.verdict_someone_else", language, creator=mark["creator_id"])
    if kind == "not_found":
        return say("evidence.verdict_not_found", language)
    key = "evidence.verdict_exact" if kind == "yours" else "evidence.verdict_looks_like"
    return Message(key, {"date": match["time"][:10]}, unmarked_because(match, language)).text(language)


def unmarked_because(match: dict[str, Any], language: Lang) -> tuple[Message, ...]:
    """Why the ledger's entry ``match`` (a verify result's ``ledger_match``) carries no mark, when the ledger
    says: the step skipped (too small, a full palette; with what to do) or the mark turned off."""
    if match["mark_id"] is not None or match.get("skipped") is None:     # marked, or a ledger from before
        return ()
    step = next((step for step in match["skipped"] if step["step"] == "mark"), None)
    if step is None:
        return (Message("evidence.unmarked_off"),)
    return (Message("evidence.unmarked_because", {"why": step["message"][language]}),)


def chance(false_positive_probability: float) -> Message:
    """The chance that an unmarked image reads this strongly, as a sentence with "1 in N" odds."""
    # A bound below the smallest float is 0.0: said as such, not as "at most 0".
    if false_positive_probability > 0:
        return Message("evidence.fp_sentence", {"probability": f"{false_positive_probability:.1e}",
                                                "odds": odds(false_positive_probability)})
    return Message("evidence.fp_sentence_tiny")


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
    return "".join(f'<p lang="{language}">{html.escape(say(key, language, **fields))}</p>' for language in ("ja", "en"))


def _label(key: str) -> str:
    return (f'<span lang="ja">{html.escape(say(key, "ja"))}</span> / '
            f'<span lang="en">{html.escape(say(key, "en"))}</span>')


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
        body = f"<p>{_label('evidence.original_no_thumbnail')}</p>"
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
        f"<title>{html.escape(say('evidence.title', 'ja'))} / {html.escape(say('evidence.title', 'en'))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{_label('evidence.title')}</h1>",
        f'<div class="verdict both" data-verdict="{kind}" data-testid="verdict">'
        + "".join(f'<p lang="{language}">{html.escape(verdict_sentence(result, language))}</p>'
                  for language in ("ja", "en"))
        + "</div>",
    ]

    ledger_thumbnail = base64.b64decode(match["thumbnail"]) if match and match.get("thumbnail") else None
    parts.append('<div class="pictures">' + _picture(found_thumbnail, "evidence.found_heading", "found-picture")
                 + (_picture(ledger_thumbnail, "evidence.original_heading", "original-picture") if match else "")
                 + "</div>")

    parts.append(f"<h2>{_label('evidence.found_heading')}</h2><table>")
    unknown = _label("evidence.found_unknown")
    parts.append(_row("evidence.found_url", _link(source["url"]) if source.get("url") else unknown))
    if source.get("page_url"):
        parts.append(_row("evidence.found_page", _link(source["page_url"])))
    parts.append(_row("evidence.found_seen", _code(source["seen_at"]) if source.get("seen_at") else unknown))
    parts.append(_row("evidence.found_size", _code(f"{result['width']} × {result['height']}")))
    parts.append(_row("evidence.found_sha", _code(result["sha256"]), figure="sha256"))
    parts.append("</table>")

    parts.append(f"<h2>{_label('evidence.original_heading')}</h2>")
    if match:
        parts.append("<table>")
        parts.append(_row("evidence.original_time", _code(match["time"]), figure="ledger_match.time"))
        parts.append(_row("evidence.original_name", _code(match["name"]), figure="ledger_match.name"))
        parts.append(_row("evidence.original_sha_original", _code(match["sha256_original"]),
                          figure="ledger_match.sha256_original"))
        parts.append(_row("evidence.original_sha_output", _code(match["sha256_output"]),
                          figure="ledger_match.sha256_output"))
        parts.append("</table>")
        if match["exact"]:
            parts.append(f'<div class="both">{_both("evidence.match_exact")}</div>')
        else:
            parts.append(f'<div class="both" data-figure="ledger_match.distance" data-value="{match["distance"]}">'
                         f'{_both("evidence.match_distance", distance=match["distance"])}</div>')
    else:
        parts.append(f'<div class="both">{_both("evidence.original_none")}</div>')

    parts.append(f"<h2>{_label('evidence.mark_heading')}</h2>")
    if mark:
        flag = "evidence.mark_flag_on" if mark["no_ai_training"] else "evidence.mark_flag_off"
        fp = result["false_positive_probability"]
        word = certainty(fp)
        parts.append("<table>")
        owner = "evidence.mark_owner_self" if mark["own"] else "evidence.mark_owner_other"
        parts.append(_row("evidence.mark_owner", _label(owner)))
        parts.append(_row("evidence.mark_creator", _code(mark["creator_id"]), figure="mark.creator_id"))
        parts.append(_row("evidence.mark_date", _code(mark["date"]), figure="mark.date"))
        parts.append(_row("evidence.mark_flag", _label(flag)))
        parts.append(_row("evidence.mark_id", _code(mark["id"]), figure="mark.id"))
        parts.append(_row("evidence.mark_certainty", _label(f"evidence.certainty_{word}")))
        parts.append(_row("evidence.mark_figures",
                          f'confidence <code data-figure="confidence">{result["confidence"]!r}</code>, '
                          f'false_positive_probability <code data-figure="false_positive_probability">{fp!r}</code>'))
        parts.append("</table>")
        said = chance(fp)
        parts.append(f'<div class="both">{_both(said.key, **said.fields)}</div>')
    else:
        parts.append(f'<div class="both">{_both("evidence.mark_none")}</div>')

    parts.append(f"<h2>{_label('evidence.proves_heading')}</h2><div class=\"both\">")
    for key in ("evidence.proves_mark", "evidence.proves_ledger", "evidence.proves_not", "evidence.proves_secret"):
        parts.append(_both(key))
    parts.append("</div>")

    parts.append(f"<h2>{_label('evidence.report_heading')}</h2><div class=\"both\">")
    for site in ("x", "pixiv"):
        parts.append(_both(f"evidence.report_{site}") + f'<p>{_link(REPORT_FORMS[site])}</p>')
    parts.append("</div>")

    parts.append(f'<footer class="both">{_both("evidence.footer", version=version, made_at=made_at)}'
                 f'{_both("evidence.print_hint")}</footer></body></html>')
    return "\n".join(parts)
