"""Files for an artist's own website that ask AI crawlers and dataset builders to stay away.

Four signals, all of them requests that only well-behaved crawlers honour
(nothing here stops a scraper that ignores them):

* robots.txt: one group naming the AI crawlers of ``data/ai_crawlers.json``
  with ``Disallow: /``, merged into the site's existing robots.txt (RFC 9309):
  the other lines are kept byte for byte, an agent that already has a group of
  its own is never given a second one, and running again replaces omamori's
  block instead of adding another;
* ai.txt (Spawning's convention for dataset builders);
* the W3C TDM Reservation Protocol: ``/.well-known/tdmrep.json`` and the
  ``tdm-reservation: 1`` HTTP header;
* the ``<meta name="robots" content="noai, noimageai">`` tag (and its
  ``X-Robots-Tag`` header form), read by some image scrapers (img2dataset).
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from importlib import resources

BLOCK_BEGIN = "# BEGIN omamori"
BLOCK_END = "# END omamori"
ROBOTS_META = '<meta name="robots" content="noai, noimageai">'
TDM_META = '<meta name="tdm-reservation" content="1">'
TDMREP_PATH = ".well-known/tdmrep.json"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")   # RFC 9309 line ends: CRLF, CR, LF (nothing else)
_GLOBAL_FIELDS = {"sitemap"}             # belong to no group (RFC 9309 section 2.2.4)
_AI_TXT_MARK = "# ai.txt written by omamori"


@dataclass(frozen=True)
class Crawler:
    """One robots.txt user-agent token of an AI crawler, and where that is documented."""

    token: str
    operator: str
    purpose: str
    source: str          # URL of the operator's page (or the community list when it publishes none)
    checked: str         # YYYY-MM-DD: when the entry was last compared with its source


def load_crawlers() -> tuple[Crawler, ...]:
    """The crawler list shipped in ``data/ai_crawlers.json``."""
    text = resources.files("omamori").joinpath("data/ai_crawlers.json").read_text(encoding="utf-8")
    return tuple(Crawler(**entry) for entry in json.loads(text)["crawlers"])


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
    newline: str
    bom: str


def parse_robots(text: str) -> Robots:
    """Read a robots.txt as RFC 9309 does (and keep every line as written, to write it back).

    Groups start at a user-agent line that follows a rule (or opens the file);
    consecutive user-agent lines share one group; comments and blank lines do
    not end a group; ``sitemap`` lines belong to no group. Lines inside
    omamori's own block are kept in ``lines`` but form no group here.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    lines = tuple(_split_line(raw) for raw in _LINE.findall(body))
    newline = next((line.eol for line in lines if line.eol), "\n")
    block = _find_block(lines)
    groups: list[Group] = []
    sitemaps: list[str] = []
    agents: list[str] = []
    first = 0
    rules: list[tuple[str, str]] = []
    for index, line in enumerate(lines):
        if block and block[0] <= index <= block[1]:
            continue
        if line.field == "user-agent":
            if rules or not agents:
                if agents:
                    groups.append(Group(tuple(agents), first, tuple(rules)))
                agents, rules, first = [], [], index
            agents.append(line.value)
        elif line.field in _GLOBAL_FIELDS:
            sitemaps.append(line.value)
        elif line.field and agents:
            rules.append((line.field, line.value))
    if agents:
        groups.append(Group(tuple(agents), first, tuple(rules)))
    return Robots(lines=lines, groups=tuple(groups), sitemaps=tuple(sitemaps), block=block, newline=newline,
                  bom=bom)


def _split_line(raw: str) -> Line:
    text = raw.rstrip("\r\n")
    content = text.split("#", 1)[0]
    name, colon, value = content.partition(":")
    field = name.strip().lower() if colon and name.strip() else ""
    return Line(text=text, eol=raw[len(text):], field=field, value=value.strip() if field else "")


def _find_block(lines: tuple[Line, ...]) -> tuple[int, int] | None:
    begin = next((i for i, line in enumerate(lines) if line.text.startswith(BLOCK_BEGIN)), None)
    if begin is None:
        return None
    end = next((i for i in range(begin, len(lines)) if lines[i].text.startswith(BLOCK_END)), None)
    if end is None:       # the end marker was deleted by hand: the block runs while it looks like ours
        end = begin
        while end + 1 < len(lines) and (lines[end + 1].text.startswith("#")
                                        or lines[end + 1].field in ("user-agent", "disallow")):
            end += 1
    return begin, end


@dataclass(frozen=True)
class RobotsMerge:
    """The merged robots.txt and what happened to each crawler of the list."""

    text: str
    added: tuple[str, ...]                      # tokens now in omamori's block
    already_blocked: tuple[tuple[str, int], ...]    # (token, 1-based line) of your own group blocking everything
    own_rules: tuple[tuple[str, int], ...]      # (token, line) of your own group with other rules, left as written


def merge_robots(existing: str | None, crawlers: tuple[Crawler, ...]) -> RobotsMerge:
    """``existing`` robots.txt (None: there is none) with omamori's block for ``crawlers``.

    Every line outside omamori's block is kept exactly (line endings, BOM,
    comments, unknown directives). A crawler that one of the site's own groups
    already names is left to that group -- a second group for the same agent
    would be merged by some crawlers and ignored by others. The block goes
    where the previous one was, else at the end (before trailing user-agent
    lines that have no rules yet, which would otherwise swallow it); merging
    twice gives the same text as merging once.
    """
    robots = parse_robots(existing or "")
    named: dict[str, Group] = {}
    for group in robots.groups:
        for agent in group.agents:
            named.setdefault(agent.lower(), group)
    added, blocked, own = [], [], []
    for crawler in crawlers:
        group = named.get(crawler.token.lower())
        if group is None:
            added.append(crawler.token)
        elif group.blocks_everything():
            blocked.append((crawler.token, group.first_line + 1))
        else:
            own.append((crawler.token, group.first_line + 1))
    lines = [line.text + line.eol for line in robots.lines]
    block = [text + robots.newline for text in _block_lines(crawlers, added)] if added else []
    if robots.block:
        lines[robots.block[0]:robots.block[1] + 1] = block
    elif block:
        at = _append_point(robots)
        if at and not lines[at - 1].endswith(("\n", "\r")):
            lines[at - 1] += robots.newline
        if at and lines[at - 1].strip():
            block.insert(0, robots.newline)          # a blank line before, for people reading it
        if at < len(lines) and lines[at].strip():
            block.append(robots.newline)             # and after, when a group follows
        lines[at:at] = block
    return RobotsMerge(text=robots.bom + "".join(lines), added=tuple(added), already_blocked=tuple(blocked),
                       own_rules=tuple(own))


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


def _block_lines(crawlers: tuple[Crawler, ...], tokens: list[str]) -> list[str]:
    version = max((crawler.checked for crawler in crawlers), default="")
    return [
        f"{BLOCK_BEGIN}: AI crawlers (list of {version}). `omamori site` rewrites this block; edit outside it.",
        "# A request that only well-behaved crawlers honour.",
        *(f"User-agent: {token}" for token in tokens),
        "Disallow: /",
        BLOCK_END,
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
    """HTTP response headers carrying the same requests, for the site's server configuration."""
    found = [("tdm-reservation", "1"), ("X-Robots-Tag", "noai, noimageai")]
    if policy_url:
        found.insert(1, ("tdm-policy", policy_url))
    return tuple(found)


def meta_tags(*, policy_url: str | None = None) -> tuple[str, ...]:
    """The ``<meta>`` tags for each page's ``<head>``."""
    tags = [ROBOTS_META, TDM_META]
    if policy_url:
        tags.append(f'<meta name="tdm-policy" content="{html.escape(policy_url)}">')
    return tuple(tags)
