"""``omamori site``: robots.txt merging against real-world shapes, ai.txt, tdmrep.json, the command.

The merged robots.txt is read back by the standard library's parser
(urllib.robotparser), independent of ours: every agent that is not on the
crawler list must get exactly the answers it got before, and every listed
crawler must be refused the site.
"""
from __future__ import annotations

import datetime
import json
import re
import stat
import urllib.parse
import urllib.robotparser

import pytest

from omamori import cli, site

CRAWLERS = site.load_crawlers()
TOKENS = [crawler.token for crawler in CRAWLERS]
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
}


def decisions(text: str, agents) -> dict:
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(text.lstrip("\ufeff").splitlines())
    return {(agent, path): parser.can_fetch(agent, "https://example.com" + path) for agent in agents
            for path in PATHS}


def merged(text: str | None, crawlers=CRAWLERS) -> site.RobotsMerge:
    return site.merge_robots(text, crawlers)


@pytest.mark.parametrize("shape", SHAPES)
def test_other_agents_get_the_same_answers_and_listed_crawlers_are_refused(shape):
    original = SHAPES[shape]
    result = merged(original)
    assert decisions(result.text, OTHER_AGENTS) == decisions(original, OTHER_AGENTS)
    for token in result.added:
        assert not any(decisions(result.text, [token]).values()), f"{token} may still fetch something"


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
    assert once.count(site.BLOCK_BEGIN) <= 1


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
    assert dict(result.already_blocked) == {"GPTBot": 5, "CCBot": 8, "ClaudeBot": 8}     # 1-based lines
    assert dict(result.own_rules) == {"Google-Extended": 12}
    assert not {"GPTBot", "CCBot", "ClaudeBot", "Google-Extended"} & set(result.added)
    # The site's own Google-Extended rules still decide: /blog/ stays allowed as the owner wrote.
    assert decisions(result.text, ["Google-Extended"])[("Google-Extended", "/blog/post")]


def test_the_block_never_joins_a_group_that_has_no_rules_yet():
    result = merged(SHAPES["trailing_agent_without_rules"]).text
    assert result.endswith(f"{site.BLOCK_END}\n\nUser-agent: SomeRandomBot\n")
    assert decisions(result, ["SomeRandomBot"])[("SomeRandomBot", "/")]


def test_a_new_list_replaces_the_block_in_place():
    with_two = merged(SHAPES["wordpress"], CRAWLERS[:2]).text
    with_three = merged(with_two, CRAWLERS[:3]).text
    assert with_three.count(site.BLOCK_BEGIN) == 1 and f"User-agent: {CRAWLERS[2].token}" in with_three
    assert with_three.startswith(SHAPES["wordpress"])


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
    assert [line.value for line in robots.lines if line.field == "user-agent"] == TOKENS
    assert [line.value for line in robots.lines if line.field == "disallow"] == ["/"]


def test_parse_sees_groups_sitemaps_and_comments_as_rfc9309_does():
    robots = site.parse_robots(SHAPES["several_groups_and_sitemaps"])
    assert [group.agents for group in robots.groups] == [("Mediapartners-Google",), ("Googlebot", "Bingbot"), ("*",)]
    assert robots.sitemaps == ("https://news.example/sitemap-index.xml", "https://news.example/sitemap-news.xml")
    assert robots.groups[1].rules == (("disallow", "/search"), ("disallow", "/cgi-bin/"))
    twitter = site.parse_robots(SHAPES["blank_lines_inside_a_group"]).groups[0]
    assert twitter.agents == ("Twitterbot",) and twitter.rules == (("disallow", "/private/"),)


# -- the crawler list --------------------------------------------------------------------------------------------
def test_the_crawler_list_is_data_with_a_source_and_date_per_entry():
    assert len({token.lower() for token in TOKENS}) == len(TOKENS)
    for crawler in CRAWLERS:
        assert urllib.parse.urlparse(crawler.source).scheme == "https", crawler
        datetime.date.fromisoformat(crawler.checked)
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", crawler.token), crawler
    for named_in_the_issue in ("GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Applebot-Extended", "Bytespider",
                               "meta-externalagent", "PerplexityBot"):
        assert named_in_the_issue in TOKENS


# -- the other files ---------------------------------------------------------------------------------------------
def test_tdmrep_json_reserves_the_whole_site():
    rules = json.loads(site.tdmrep_json(policy_url="https://example.com/ai"))
    assert rules == [{"location": "/*", "tdm-reservation": 1, "tdm-policy": "https://example.com/ai"}]
    assert site.tdmrep_reserves_all(site.tdmrep_json())
    assert not site.tdmrep_reserves_all('[{"location": "/*", "tdm-reservation": 0}]')
    assert not site.tdmrep_reserves_all("not json")


def test_headers_and_meta_tags():
    assert ("tdm-reservation", "1") in site.headers() and ("X-Robots-Tag", "noai, noimageai") in site.headers()
    assert '<meta name="robots" content="noai, noimageai">' in site.meta_tags()
    assert site.meta_tags(policy_url='https://e.com/?a=1&b="2"')[-1] == \
        '<meta name="tdm-policy" content="https://e.com/?a=1&amp;b=&quot;2&quot;">'


# -- the command -------------------------------------------------------------------------------------------------
def test_site_writes_three_files_then_finds_them_up_to_date(tmp_path, capsys):
    (tmp_path / "robots.txt").write_bytes(SHAPES["comments_and_crlf"].encode())
    assert cli.main(["site", str(tmp_path)]) == 0
    first = capsys.readouterr().out
    assert "robots.txt: updated" in first and "ai.txt: written" in first and "tdmrep.json: written" in first
    assert "requests" in first and "noai, noimageai" in first and "tdm-reservation: 1" in first
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
