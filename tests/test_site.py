"""``omamori site``: robots.txt merging against real-world shapes, ai.txt, tdmrep.json, the command.

The merged robots.txt is read back by two parsers independent of ours, the
standard library's (urllib.robotparser: first matching group wins) and Scrapy's
Protego (RFC 9309: groups for one agent merged, longest agent match): every
agent that is not on the crawler list must get exactly the answers it got
before, and every listed crawler must be refused the site.
"""
from __future__ import annotations

import datetime
import json
import re
import stat
import subprocess
import sys
import urllib.parse
import urllib.robotparser

from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest
from protego import Protego

from omamori import cli, site

CRAWLERS = site.load_crawlers()
TOKENS = [crawler.token for crawler in CRAWLERS.crawlers]
PINNED = json.loads(resources.files("omamori").joinpath("data/ai-robots-txt/robots.json").read_text("utf-8"))
OTHER_AGENTS = ("Googlebot", "Bingbot", "Twitterbot", "SomeRandomBot", "Mediapartners-Google")
PATHS = ("/", "/index.html", "/gallery/2026/art.png", "/admin/", "/wp-admin/admin-ajax.php", "/private/x",
         "/search?q=x", "/blog/post", "/cgi-bin/a", "/feed/")

# Shapes robots.txt files take in the wild (modelled on WordPress, a large news site, Blogger, hand-made files).
SHAPES = {
    "empty": "",
    "wordpress": "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
                 "Sitemap: https://example.com/wp-sitemap.xml\n",
    "comments_and_crlf": "# robots.txt for example.com\r\n# last edited by hand\r\n\r\nUser-agent: *   # everyone\r\n"
                         "Disallow: /private/ # keep out\r\nCrawl-delay: 5\r\n\r\nUser-agent: Googlebot\r\n"
                         "Allow: /\r\n\r\nSitemap: https://example.com/sitemap.xml\r\n",
    "several_groups_and_sitemaps": "Sitemap: https://news.example/sitemap-index.xml\nUser-agent: Mediapartners-Google\n"
                                   "Disallow:\n\nUser-agent: Googlebot\nUser-agent: Bingbot\nDisallow: /search\n"
                                   "Disallow: /cgi-bin/\n\nUser-agent: *\nDisallow: /search\nDisallow: /admin/\n"
                                   "Sitemap: https://news.example/sitemap-news.xml\n",
    "no_final_newline": "User-agent: *\nDisallow: /private/",
    "bom_and_mixed_case": "\ufeffUSER-AGENT: *\nDISALLOW: /admin/\nallow: /admin/public\n",
    "existing_ai_groups": "User-agent: *\nDisallow: /admin/\n\n# AI\nUser-agent: GPTBot\nDisallow: /\n\n"
                          "User-Agent: ccbot\nUser-agent: ClaudeBot\nDisallow: /\n\nUser-agent: Google-Extended\n"
                          "Allow: /blog/\nDisallow: /gallery/\n",
    "trailing_agent_without_rules": "User-agent: *\nDisallow: /admin/\n\nUser-agent: SomeRandomBot\n",
    "blank_lines_inside_a_group": "User-agent: Twitterbot\n\nDisallow: /private/\n\nUser-agent: *\nDisallow:\n",
    "cr_only_line_ends": "User-agent: *\rDisallow: /cgi-bin/\r\rUser-agent: Bingbot\rDisallow: /\r",
    "everything_blocked_by_pattern": "User-agent: GPTBot\nDisallow: /*\n\nUser-agent: *\nAllow: /\n",
    "not_utf8_comment": "# caf\udce9 (latin-1 byte kept as it was)\nUser-agent: *\nDisallow: /cgi-bin/\n",
    # A large site's file as they look in 2026: AI groups of its own (two agents of the list in another case,
    # one with rules of its own), a wildcard group, sitemaps at both ends, comments between the groups.
    "news_site_2026": "# robots.txt for news.example\n# See https://news.example/terms for reuse.\n"
                      "Sitemap: https://news.example/sitemaps/index.xml\n\nUser-agent: Googlebot-News\n"
                      "Disallow: /drafts/\n\n# AI training crawlers\nUser-agent: gptbot\nUser-agent: CCBOT\n"
                      "User-agent: Meta-ExternalAgent\nDisallow: /\n\nUser-agent: PerplexityBot\nAllow: /news/\n"
                      "Disallow: /\n\nUser-agent: Googlebot\nUser-agent: Bingbot\nDisallow: /search\n"
                      "Disallow: /*?session=\n\nUser-agent: *\nDisallow: /search\nDisallow: /admin/\n"
                      "Allow: /admin/public/\nCrawl-delay: 2\n\nSitemap: https://news.example/sitemaps/news.xml\n",
}


def decisions(text: str, agents) -> dict:
    """{(parser, agent, path): may fetch} from urllib.robotparser and Protego."""
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(text.lstrip("\ufeff").splitlines())
    protego = Protego.parse(text.lstrip("\ufeff"))
    return {(name, agent, path): can_fetch(agent, "https://example.com" + path) for agent in agents
            for path in PATHS for name, can_fetch in (("urllib", parser.can_fetch),
                                                      ("protego", lambda a, u: protego.can_fetch(u, a)))}


def merged(text: str | None, crawlers=CRAWLERS) -> site.RobotsMerge:
    return site.merge_robots(text, crawlers)


def significant(text: str) -> list[str]:
    """The lines that are not blank or comments, comments cut off, line endings unified."""
    lines = (line.split("#", 1)[0].strip() for line in text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return [line for line in lines if line]


@pytest.mark.parametrize("shape", SHAPES)
def test_other_agents_get_the_same_answers_and_listed_crawlers_are_refused(shape):
    original = SHAPES[shape]
    result = merged(original)
    assert decisions(result.text, OTHER_AGENTS) == decisions(original, OTHER_AGENTS)
    for token in result.added:
        assert not any(decisions(result.text, [token]).values()), f"{token} may still fetch something"


@pytest.mark.parametrize("shape", SHAPES)
def test_every_agent_of_the_pinned_list_is_named_once(shape):
    lines = significant(merged(SHAPES[shape]).text)
    named = [line.split(":", 1)[1].strip().lower() for line in lines if line.lower().startswith("user-agent")]
    for agent in PINNED:          # whole values, any case: "ChatGPT" must not count for "ChatGPT Agent"
        assert named.count(agent.lower()) == 1, agent


@pytest.mark.parametrize("shape", SHAPES)
def test_the_usage_preferences_are_said_once_to_every_crawler(shape):
    lines = significant(merged(SHAPES[shape]).text)
    for field, value in (("content-signal", "search=yes, ai-train=no"), ("content-usage", "train-ai=n, search=y")):
        at = [i for i, line in enumerate(lines) if line.lower().startswith(field + ":")]
        assert len(at) == 1 and lines[at[0]].split(":", 1)[1].strip() == value
        agents = []          # the group the line belongs to: the user-agent lines above it, after the last rule
        for line in reversed(lines[:at[0]]):
            if line.lower().startswith("user-agent"):
                agents.append(line.split(":", 1)[1].strip())
            elif agents or line.lower().startswith(("allow", "disallow")):
                break
        assert "*" in agents, (shape, field)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_original_line_is_kept_byte_for_byte_and_in_order(shape):
    original = SHAPES[shape]
    result = merged(original).text
    assert result.startswith("\ufeff") == original.startswith("\ufeff")
    position = 0
    for line in original.lstrip("\ufeff").splitlines(keepends=True):
        found = result.find(line.rstrip("\r\n"), position)
        assert found >= 0, f"lost or reordered: {line!r}"
        position = found + len(line.rstrip("\r\n"))


@pytest.mark.parametrize("shape", SHAPES)
def test_merging_again_changes_nothing(shape):
    once = merged(SHAPES[shape]).text
    assert merged(once).text == once
    assert once.count(site.BLOCK_BEGIN + ":") <= 1 and once.count(site.PREFERENCES_BEGIN) <= 1


@pytest.mark.parametrize("shape", SHAPES)
def test_no_crawler_is_given_a_second_group(shape):
    def lf(text: str) -> str:
        return text.replace("\r\n", "\n").replace("\r", "\n")

    original = lf(SHAPES[shape])
    result = lf(merged(SHAPES[shape]).text)
    for token in TOKENS:
        pattern = re.compile(rf"^\s*user-agent\s*:\s*{re.escape(token)}\s*(#.*)?$", re.I | re.M)
        assert len(pattern.findall(result)) == max(1, len(pattern.findall(original))), token


def test_crlf_files_stay_crlf():
    result = merged(SHAPES["comments_and_crlf"]).text
    assert "\n" in result and re.search(r"(?<!\r)\n", result) is None


def test_a_crawler_with_its_own_group_is_left_to_it_and_reported():
    result = merged(SHAPES["existing_ai_groups"])
    # 1-based lines of the merged file: the preferences now sit in the '*' group on line 1 (four lines).
    assert dict(result.already_blocked) == {"GPTBot": 9, "CCBot": 12, "ClaudeBot": 12}
    assert result.preferences_in == 1
    assert dict(result.own_rules) == {"Google-Extended": 16}
    assert not {"GPTBot", "CCBot", "ClaudeBot", "Google-Extended"} & set(result.added)
    # The site's own Google-Extended rules still decide: /blog/ stays allowed as the owner wrote.
    answers = decisions(result.text, ["Google-Extended"])
    assert answers[("urllib", "Google-Extended", "/blog/post")] and answers[("protego", "Google-Extended", "/blog/post")]


def test_the_block_never_joins_a_group_that_has_no_rules_yet():
    result = merged(SHAPES["trailing_agent_without_rules"]).text
    assert result.endswith(f"{site.BLOCK_END}\n\nUser-agent: SomeRandomBot\n")
    answers = decisions(result, ["SomeRandomBot"])
    assert answers[("urllib", "SomeRandomBot", "/")] and answers[("protego", "SomeRandomBot", "/")]


def test_a_new_list_replaces_the_block_in_place():
    with_two = merged(SHAPES["wordpress"], replace(CRAWLERS, crawlers=CRAWLERS.crawlers[:2])).text
    with_three = merged(with_two, replace(CRAWLERS, crawlers=CRAWLERS.crawlers[:3], commit="f" * 40)).text
    assert with_three.count(site.BLOCK_BEGIN + ":") == 1 and f"User-agent: {TOKENS[2]}" in with_three
    assert "ai.robots.txt ffffffffffff" in with_three and "738c80df2169" not in with_three
    assert with_three.startswith("User-agent: *\n" + site.PREFERENCES_BEGIN)


def test_the_preferences_leave_the_sites_own_wildcard_group_when_it_goes():
    first = merged(SHAPES["wordpress"]).text
    without_wildcard = re.sub(r"(?m)^User-agent: \*\n", "User-agent: SomeRandomBot\n", first)
    second = merged(without_wildcard)
    assert second.preferences_in is None and second.text.count("Content-Signal:") == 1
    assert second.text.startswith("User-agent: SomeRandomBot\nDisallow: /wp-admin/\n")
    assert merged(second.text).text == second.text


def test_a_group_the_owner_adds_later_takes_the_crawler_out_of_the_block():
    first = merged(SHAPES["wordpress"]).text
    edited = first + "\nUser-agent: GPTBot\nAllow: /blog/\n"
    second = merged(edited)
    assert "GPTBot" not in second.added and dict(second.own_rules)["GPTBot"] > 0
    assert len(re.findall(r"(?im)^user-agent:\s*gptbot\s*$", second.text)) == 1


def test_a_block_whose_end_marker_was_deleted_is_still_replaced():
    first = merged(SHAPES["wordpress"]).text
    damaged = first.replace(site.BLOCK_END + "\n", "")
    assert merged(damaged).text == first


def test_an_empty_site_gets_one_group_and_a_sentence_saying_it_is_a_request():
    text = merged(None).text
    robots = site.parse_robots(text)
    assert robots.block is not None and "request" in text
    assert [line.value for line in robots.lines if line.field == "user-agent"] == [*TOKENS, "*"]
    assert [line.value for line in robots.lines if line.field == "disallow"] == ["/"]
    assert [line.value for line in robots.lines if line.field == "allow"] == ["/"]


def test_parse_sees_groups_sitemaps_and_comments_as_rfc9309_does():
    robots = site.parse_robots(SHAPES["several_groups_and_sitemaps"])
    assert [group.agents for group in robots.groups] == [("Mediapartners-Google",), ("Googlebot", "Bingbot"), ("*",)]
    assert robots.sitemaps == ("https://news.example/sitemap-index.xml", "https://news.example/sitemap-news.xml")
    assert robots.groups[1].rules == (("disallow", "/search"), ("disallow", "/cgi-bin/"))
    twitter = site.parse_robots(SHAPES["blank_lines_inside_a_group"]).groups[0]
    assert twitter.agents == ("Twitterbot",) and twitter.rules == (("disallow", "/private/"),)


# -- the crawler list --------------------------------------------------------------------------------------------
def test_the_crawler_list_is_the_pinned_community_list_with_its_commit_and_licence():
    assert len({token.lower() for token in TOKENS}) == len(TOKENS) == len({name.lower() for name in PINNED})
    assert len(PINNED) >= 166 and len(TOKENS) >= 163        # the list at 738c80d spells three agents twice
    assert re.fullmatch(r"[0-9a-f]{40}", CRAWLERS.commit) and CRAWLERS.repository.endswith("ai.robots.txt")
    datetime.date.fromisoformat(CRAWLERS.committed)
    licence = resources.files("omamori").joinpath("data/ai-robots-txt/LICENSE").read_text("utf-8")
    assert licence.startswith("MIT License") and "Copyright (c) 2024 ai.robots.txt" in licence
    for named_in_the_issue in ("GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Applebot-Extended", "Bytespider",
                               "meta-externalagent", "PerplexityBot"):
        assert named_in_the_issue.lower() in {token.lower() for token in TOKENS}


# -- the other files ---------------------------------------------------------------------------------------------
def test_tdmrep_json_reserves_the_whole_site():
    rules = json.loads(site.tdmrep_json(policy_url="https://example.com/ai"))
    assert rules == [{"location": "/*", "tdm-reservation": 1, "tdm-policy": "https://example.com/ai"}]
    assert site.tdmrep_reserves_all(site.tdmrep_json())
    assert not site.tdmrep_reserves_all('[{"location": "/*", "tdm-reservation": 0}]')
    assert not site.tdmrep_reserves_all("not json")


def test_headers_and_meta_tags():
    assert ("tdm-reservation", "1") in site.headers() and ("X-Robots-Tag", "noai, noimageai") in site.headers()
    assert ("Content-Signal", "search=yes, ai-train=no") in site.headers()
    assert ("Content-Usage", "train-ai=n, search=y") in site.headers()
    assert '<meta name="robots" content="noai, noimageai">' in site.meta_tags()
    assert '<meta name="content-signal" content="search=yes, ai-train=no">' in site.meta_tags()
    assert '<meta name="content-usage" content="train-ai=n, search=y">' in site.meta_tags()
    assert site.meta_tags(policy_url='https://e.com/?a=1&b="2"')[-1] == \
        '<meta name="tdm-policy" content="https://e.com/?a=1&amp;b=&quot;2&quot;">'


# -- the command -------------------------------------------------------------------------------------------------
def test_site_writes_three_files_then_finds_them_up_to_date(tmp_path, capsys):
    (tmp_path / "robots.txt").write_bytes(SHAPES["comments_and_crlf"].encode())
    assert cli.main(["site", str(tmp_path)]) == 0
    first = capsys.readouterr().out
    assert "robots.txt: updated" in first and "ai.txt: written" in first and "tdmrep.json: written" in first
    assert "requests" in first and "noai, noimageai" in first and "tdm-reservation: 1" in first
    assert "Content-Usage: train-ai=n, search=y" in first and "IETF draft" in first
    files = {name: (tmp_path / name).read_bytes() for name in ("robots.txt", "ai.txt", ".well-known/tdmrep.json")}
    assert all(stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644 for name in files)
    assert cli.main(["site", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [entry["action"] for entry in report["files"]] == ["unchanged"] * 3
    assert files == {name: (tmp_path / name).read_bytes() for name in files}


def test_site_leaves_the_owners_own_ai_txt_and_tdmrep_alone(tmp_path, capsys):
    (tmp_path / "ai.txt").write_text("User-Agent: *\nDisallow: *.png\n")
    (tmp_path / ".well-known").mkdir()
    (tmp_path / ".well-known/tdmrep.json").write_text('[{"location": "/blog/*", "tdm-reservation": 1}]')
    assert cli.main(["site", str(tmp_path), "--json"]) == 0
    files = {entry["path"].rsplit("/", 1)[-1]: entry for entry in json.loads(capsys.readouterr().out)["files"]}
    assert files["ai.txt"]["action"] == "kept" and files["tdmrep.json"]["action"] == "kept"
    assert '"location": "/*"' in files["tdmrep.json"]["notes"][0]
    assert (tmp_path / "ai.txt").read_text() == "User-Agent: *\nDisallow: *.png\n"


def test_dry_run_writes_nothing_and_a_missing_folder_is_a_usage_error(tmp_path, capsys, monkeypatch):
    assert cli.main(["site", str(tmp_path), "--dry-run"]) == 0
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    assert cli.main(["site", str(tmp_path / "nope")]) == 2
    assert "フォルダーではありません" in capsys.readouterr().err
    assert cli.main(["site", str(tmp_path), "--policy-url", "example.com/ai"]) == 2
    assert "https://" in capsys.readouterr().err and list(tmp_path.iterdir()) == []


# -- refreshing the pinned list ------------------------------------------------------------------------------------
def test_the_refresh_command_copies_the_list_and_licence_with_the_commit(tmp_path):
    clone = tmp_path / "clone"
    clone.mkdir()
    agents = {f"Bot{n}": {"operator": "x", "function": "AI Data Scrapers"} for n in range(60)}
    (clone / "robots.json").write_text(json.dumps(agents, indent=4))
    (clone / "LICENSE").write_bytes(resources.files("omamori").joinpath("data/ai-robots-txt/LICENSE").read_bytes())
    git = ["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "list"], check=True)
    sha = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    out = tmp_path / "data"
    script = Path(__file__).resolve().parent.parent / "scripts/refresh_crawler_list.py"
    run = subprocess.run([sys.executable, str(script), "--from-git", str(clone), "--data-dir", str(out)],
                         check=True, capture_output=True, text=True)
    assert f"ai.robots.txt {sha[:12]}" in run.stdout and "60 agents" in run.stdout
    assert (out / "robots.json").read_bytes() == (clone / "robots.json").read_bytes()
    assert (out / "LICENSE").read_bytes() == (clone / "LICENSE").read_bytes()
    assert json.loads((out / "source.json").read_text())["commit"] == sha
    (clone / "robots.json").write_text("[]")
    subprocess.run([*git, "commit", "-q", "-am", "broken"], check=True)
    broken = subprocess.run([sys.executable, str(script), "--from-git", str(clone), "--data-dir", str(out)],
                            capture_output=True, text=True)
    assert broken.returncode != 0 and "nothing written" in broken.stderr
    assert json.loads((out / "source.json").read_text())["commit"] == sha
