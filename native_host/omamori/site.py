"""Files for an artist's own website that ask AI crawlers and dataset builders to stay away.

Five signals, all of them requests that only well-behaved crawlers honour
(nothing here stops a scraper that ignores them):

* robots.txt: one group naming the AI crawlers of the community list
  ai.robots.txt (``data/ai-robots-txt/robots.json``, MIT, pinned to a commit)
  with ``Disallow: /``, merged into the site's existing robots.txt (RFC 9309):
  the other lines are kept byte for byte, an agent that already has a group of
  its own is never given a second one, and running again replaces omamori's
  block instead of adding another;
* in robots.txt too, the usage preferences for every other crawler ("search
  yes, AI training no"): ``Content-Signal`` (Cloudflare's Content Signals,
  2025) and ``Content-Usage`` (the IETF aipref vocabulary, still a draft),
  written into the site's own ``User-agent: *`` group between omamori's
  markers, or in a ``*`` group of omamori's block when the site has none;
* ai.txt (Spawning's convention for dataset builders);
* the W3C TDM Reservation Protocol: ``/.well-known/tdmrep.json`` and the
  ``tdm-reservation: 1`` HTTP header;
* HTTP headers and ``<meta>`` tags carrying the same requests for each page
  (``noai, noimageai``, read by some image scrapers such as img2dataset).
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Callable

BLOCK_BEGIN = "# BEGIN omamori"
BLOCK_END = "# END omamori"
PREFERENCES_BEGIN = "# BEGIN omamori AI-use preferences"
PREFERENCES_END = "# END omamori AI-use preferences"
CONTENT_SIGNAL = "search=yes, ai-train=no"        # contentsignals.org (Cloudflare, 2025-09)
CONTENT_USAGE = "train-ai=n, search=y"            # IETF aipref vocabulary (draft-ietf-aipref-attach-05, 2026-08)
ROBOTS_META = '<meta name="robots" content="noai, noimageai">'
TDM_META = '<meta name="tdm-reservation" content="1">'
TDMREP_PATH = ".well-known/tdmrep.json"
CRAWLER_LIST_DIR = "data/ai-robots-txt"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")   # RFC 9309 line ends: CRLF, CR, LF (nothing else)
_GLOBAL_FIELDS = {"sitemap"}             # belong to no group (RFC 9309 section 2.2.4)
_AI_TXT_MARK = "# ai.txt written by omamori"
_BLOCK_NOTE = "# A request that only well-behaved crawlers honour."


@dataclass(frozen=True)
class Crawler:
    """One robots.txt user-agent of an AI crawler, as the community list ai.robots.txt describes it."""

    token: str
    operator: str
    function: str        # the list's words: "AI Data Scrapers", "AI Search Crawlers", ...


@dataclass(frozen=True)
class CrawlerList:
    """The pinned crawler list: its crawlers and the commit of ai.robots.txt they were copied from."""

    crawlers: tuple[Crawler, ...]
    repository: str
    commit: str          # 40 hex digits
    committed: str       # YYYY-MM-DD

    @property
    def label(self) -> str:
        return f"ai.robots.txt {self.commit[:12]}, {self.committed}"


def agent_key(value: str) -> str:
    """A user-agent as robots.txt matching compares it: the whole value, case-insensitive (never a substring)."""
    return value.strip().lower()


def load_crawlers() -> CrawlerList:
    """The crawler list shipped in ``data/ai-robots-txt`` (robots.json as published, and source.json).

    Every agent appears once: the list spells a few agents twice in different cases
    (``meta-externalagent`` and ``Meta-ExternalAgent``), which robots.txt matching treats as one.
    """
    folder = resources.files("omamori").joinpath(CRAWLER_LIST_DIR)
    source = json.loads(folder.joinpath("source.json").read_text(encoding="utf-8"))
    entries = json.loads(folder.joinpath("robots.json").read_text(encoding="utf-8"))
    crawlers, seen = [], set()
    for name, entry in entries.items():
        if agent_key(name) in seen or not name.strip():
            continue
        seen.add(agent_key(name))
        crawlers.append(Crawler(token=name.strip(), operator=str(entry.get("operator", "")),
                                function=str(entry.get("function", ""))))
    return CrawlerList(crawlers=tuple(crawlers), repository=source["repository"], commit=source["commit"],
                       committed=source["committed"])


# -- robots.txt ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """One robots.txt line: ``text`` without its line ending ``eol``; ``field`` lower-cased ('' for
    blank lines, comments and lines that are not ``field: value``)."""

    text: str
    eol: str
    field: str
    value: str


@dataclass(frozen=True)
class Group:
    """A group of RFC 9309: its user-agent lines and the rules after them (line indices, 0-based)."""

    agents: tuple[str, ...]      # as written
    first_line: int
    last_agent_line: int
    rules: tuple[tuple[str, str], ...]   # (field lower-cased, value), allow/disallow and other directives

    def blocks_everything(self) -> bool:
        """True when the group disallows the whole site and allows nothing back."""
        whole_site = ("disallow", "/") in self.rules or ("disallow", "/*") in self.rules
        return whole_site and not any(f == "allow" and v for f, v in self.rules)


@dataclass(frozen=True)
class Robots:
    lines: tuple[Line, ...]
    groups: tuple[Group, ...]
    sitemaps: tuple[str, ...]
    block: tuple[int, int] | None        # omamori's block: first and last line index, inclusive
    preferences: tuple[int, int] | None  # omamori's preference lines inside the site's own ``*`` group
    newline: str
    bom: str


def parse_robots(text: str) -> Robots:
    """Read a robots.txt as RFC 9309 does (and keep every line as written, to write it back).

    Groups start at a user-agent line that follows a rule (or opens the file);
    consecutive user-agent lines share one group; comments and blank lines do
    not end a group; ``sitemap`` lines belong to no group. Lines inside
    omamori's own block and preference lines are kept in ``lines`` but belong
    to no group here.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    lines = tuple(_split_line(raw) for raw in _LINE.findall(body))
    newline = next((line.eol for line in lines if line.eol), "\n")
    block = _find_block(lines, BLOCK_BEGIN + ":", BLOCK_END, _after_written_block)
    preferences = _find_block(lines, PREFERENCES_BEGIN, PREFERENCES_END, _after_written_preferences)
    ours = {i for span in (block, preferences) if span for i in range(span[0], span[1] + 1)}
    groups: list[Group] = []
    sitemaps: list[str] = []
    agents: list[str] = []
    first = last_agent = 0
    rules: list[tuple[str, str]] = []
    for index, line in enumerate(lines):
        if index in ours:
            continue
        if line.field == "user-agent":
            if rules or not agents:
                if agents:
                    groups.append(Group(tuple(agents), first, last_agent, tuple(rules)))
                agents, rules, first = [], [], index
            agents.append(line.value)
            last_agent = index
        elif line.field in _GLOBAL_FIELDS:
            sitemaps.append(line.value)
        elif line.field and agents:
            rules.append((line.field, line.value))
    if agents:
        groups.append(Group(tuple(agents), first, last_agent, tuple(rules)))
    return Robots(lines=lines, groups=tuple(groups), sitemaps=tuple(sitemaps), block=block,
                  preferences=preferences, newline=newline, bom=bom)


def _split_line(raw: str) -> Line:
    text = raw.rstrip("\r\n")
    content = text.split("#", 1)[0]
    name, colon, value = content.partition(":")
    field = name.strip().lower() if colon and name.strip() else ""
    return Line(text=text, eol=raw[len(text):], field=field, value=value.strip() if field else "")


def _find_block(lines: tuple[Line, ...], begin_mark: str, end_mark: str,
                after_written: Callable[[tuple[Line, ...], int], int]) -> tuple[int, int] | None:
    begin = next((i for i, line in enumerate(lines) if line.text.startswith(begin_mark)), None)
    if begin is None:
        return None
    end = next((i for i in range(begin, len(lines)) if lines[i].text.startswith(end_mark)), None)
    if end is None:
        # The end marker was deleted by hand: the block is only the lines omamori writes, in the order it writes
        # them; the site's own rules after it are never taken for ours.
        end = after_written(lines, begin + 1) - 1
    return begin, end


def _texts(lines: tuple[Line, ...], at: int, count: int) -> list[str]:
    return [line.text.strip() for line in lines[at:at + count]]


def _after_written_block(lines: tuple[Line, ...], at: int) -> int:
    """Index of the first line from ``at`` that is not part of a block as ``_block_lines`` writes it
    (with any crawler list, so a block written from an older list is recognised too)."""
    if _texts(lines, at, 1) == [_BLOCK_NOTE]:
        at += 1
    agents = at
    while agents < len(lines) and lines[agents].field == "user-agent" and lines[agents].value != "*":
        agents += 1
    if agents > at and _texts(lines, agents, 1) == ["Disallow: /"]:
        at = agents + 1
    everyone = _everyone_lines()
    if _texts(lines, at, len(everyone)) == everyone:
        at += len(everyone)
    return at


def _after_written_preferences(lines: tuple[Line, ...], at: int) -> int:
    """Index of the first line from ``at`` that is not one of the preference lines omamori writes."""
    written = _preference_lines()[1:-1]
    return at + len(written) if _texts(lines, at, len(written)) == written else at


@dataclass(frozen=True)
class RobotsMerge:
    """The merged robots.txt and what happened to each crawler of the list."""

    text: str
    added: tuple[str, ...]                      # tokens now in omamori's block
    already_blocked: tuple[tuple[str, int], ...]    # (token, 1-based line of the merged text) of your own group
    own_rules: tuple[tuple[str, int], ...]      # (token, line) of your own group with other rules, left as written
    preferences_in: int | None                  # 1-based line of your ``User-agent: *`` group that now carries
                                                # the preferences; None: they are in omamori's block


def merge_robots(existing: str | None, crawler_list: CrawlerList) -> RobotsMerge:
    """``existing`` robots.txt (None: there is none) with omamori's block for ``crawler_list``.

    Every line outside omamori's lines is kept exactly (line endings, BOM,
    comments, unknown directives). A crawler that one of the site's own groups
    already names (whole user-agent, any case) is left to that group -- a
    second group for the same agent would be merged by some crawlers and
    ignored by others. The block goes where the previous one was, else at the
    end (before trailing user-agent lines that have no rules yet, which would
    otherwise swallow it). The usage preferences go into the site's first
    ``User-agent: *`` group, right after its user-agent lines, between
    omamori's markers -- a second ``*`` group would be read differently by
    different crawlers; only when the site has no such group does the block
    carry one. Merging twice gives the same text as merging once.
    """
    robots = parse_robots(existing or "")
    named = _groups_by_agent(robots)
    added = [crawler.token for crawler in crawler_list.crawlers if agent_key(crawler.token) not in named]
    everyone = next((group for group in robots.groups if "*" in group.agents), None)
    lines = [line.text + line.eol for line in robots.lines]
    newline = robots.newline
    block = [text + newline for text in _block_lines(crawler_list, added, everyone is None)] \
        if added or everyone is None else []
    preferences = [text + newline for text in _preference_lines()] if everyone else []
    # Edits from the end of the file backwards, so that the indices still to be used stay valid.
    edits = []          # (start, stop, new lines)
    if robots.block:
        edits.append((robots.block[0], robots.block[1] + 1, block))
    elif block:
        at = _append_point(robots)
        edits.append((at, at, _spaced(lines, at, block, newline)))
    if robots.preferences:
        edits.append((robots.preferences[0], robots.preferences[1] + 1, []))
    if everyone:
        at = everyone.last_agent_line + 1
        edits.append((at, at, preferences))
    for start, stop, new in sorted(edits, key=lambda edit: edit[:2], reverse=True):
        lines[start:stop] = new
    text = robots.bom + "".join(lines)
    merged = parse_robots(text)
    final = _groups_by_agent(merged)
    blocked, own = [], []
    for crawler in crawler_list.crawlers:
        group = final.get(agent_key(crawler.token))
        if group is not None:
            (blocked if group.blocks_everything() else own).append((crawler.token, group.first_line + 1))
    star = next((group for group in merged.groups if "*" in group.agents), None) if everyone else None
    return RobotsMerge(text=text, added=tuple(added), already_blocked=tuple(blocked), own_rules=tuple(own),
                       preferences_in=star.first_line + 1 if star else None)


def _groups_by_agent(robots: Robots) -> dict[str, Group]:
    named: dict[str, Group] = {}
    for group in robots.groups:
        for agent in group.agents:
            named.setdefault(agent_key(agent), group)
    return named


def _spaced(lines: list[str], at: int, block: list[str], newline: str) -> list[str]:
    """A new block with blank lines around it where it meets other lines (for people reading the file)."""
    block = list(block)
    if at and not lines[at - 1].endswith(("\n", "\r")):
        lines[at - 1] += newline
    if at and lines[at - 1].strip():
        block.insert(0, newline)
    if at < len(lines) and lines[at].strip():
        block.append(newline)
    return block


def _append_point(robots: Robots) -> int:
    """Index where a new group can go at the end without joining a group that has no rules yet."""
    at = len(robots.lines)
    significant = [i for i, line in enumerate(robots.lines) if line.field]
    if significant and robots.lines[significant[-1]].field == "user-agent":
        last = robots.groups[-1]
        at = last.first_line
        while at > 0 and not robots.lines[at - 1].text.strip():
            at -= 1
    return at


def _preference_lines() -> list[str]:
    return [
        f"{PREFERENCES_BEGIN}: search yes, AI training no. Content-Usage is an IETF draft vocabulary (aipref).",
        f"Content-Signal: {CONTENT_SIGNAL}",
        f"Content-Usage: {CONTENT_USAGE}",
        PREFERENCES_END,
    ]


def _block_lines(crawler_list: CrawlerList, tokens: list[str], with_preferences: bool) -> list[str]:
    lines = [
        f"{BLOCK_BEGIN}: AI crawlers ({crawler_list.label}). `omamori site` rewrites this block; edit outside it.",
        _BLOCK_NOTE,
    ]
    if tokens:
        lines += [*(f"User-agent: {token}" for token in tokens), "Disallow: /"]
    if with_preferences:
        lines += _everyone_lines()
    return [*lines, BLOCK_END]


def _everyone_lines() -> list[str]:
    """The site has no group for every crawler: this one adds the preferences and allows what was allowed."""
    return [
        "# Every other crawler: search yes, AI training no. Content-Usage is an IETF draft vocabulary (aipref).",
        "User-agent: *",
        f"Content-Signal: {CONTENT_SIGNAL}",
        f"Content-Usage: {CONTENT_USAGE}",
        "Allow: /",
    ]


# -- ai.txt, tdmrep.json, headers, meta --------------------------------------------------------------------------
def ai_txt() -> str:
    """ai.txt (Spawning's convention) asking dataset builders to use no file of the site."""
    return "\n".join([
        f"{_AI_TXT_MARK}: a request that only tools reading ai.txt honour.",
        "# https://site.spawning.ai/spawning-ai-txt",
        "User-Agent: *",
        "Disallow: /",
        "",
    ])


def is_own_ai_txt(text: str) -> bool:
    return text.startswith(_AI_TXT_MARK)


def tdmrep_json(*, policy_url: str | None = None) -> str:
    """``/.well-known/tdmrep.json`` reserving text-and-data-mining rights for the whole site (W3C TDMRep)."""
    rule: dict = {"location": "/*", "tdm-reservation": 1}
    if policy_url:
        rule["tdm-policy"] = policy_url
    return json.dumps([rule], indent=2) + "\n"


def tdmrep_reserves_all(text: str) -> bool:
    """True when a tdmrep.json already reserves rights for the whole site."""
    try:
        rules = json.loads(text)
    except ValueError:
        return False
    return isinstance(rules, list) and any(
        isinstance(rule, dict) and rule.get("location") in ("/*", "/", "*") and rule.get("tdm-reservation") == 1
        for rule in rules)


def headers(*, policy_url: str | None = None) -> tuple[tuple[str, str], ...]:
    """HTTP response headers carrying the same requests, for the site's server configuration.

    ``Content-Usage`` is the header form of draft-ietf-aipref-attach (a draft vocabulary); ``Content-Signal``
    is the header form of Content Signals; the rest as in the module docstring."""
    found = [("Content-Signal", CONTENT_SIGNAL), ("Content-Usage", CONTENT_USAGE), ("tdm-reservation", "1"),
             ("X-Robots-Tag", "noai, noimageai")]
    if policy_url:
        found.insert(3, ("tdm-policy", policy_url))
    return tuple(found)


def meta_tags(*, policy_url: str | None = None) -> tuple[str, ...]:
    """The ``<meta>`` tags for each page's ``<head>``, for sites whose headers cannot be set.

    The ``content-signal`` and ``content-usage`` tags are conventions some tools read; the specifications
    define only robots.txt and the HTTP header."""
    tags = [ROBOTS_META, TDM_META, f'<meta name="content-signal" content="{CONTENT_SIGNAL}">',
            f'<meta name="content-usage" content="{CONTENT_USAGE}">']
    if policy_url:
        tags.append(f'<meta name="tdm-policy" content="{html.escape(policy_url)}">')
    return tuple(tags)
