"""Proving it: the ledger's thumbnails (and the migration of older ledgers), the verify verdict in plain words, the
evidence sheet, and ``omamori verify`` of a web address (a real HTTP server on 127.0.0.1)."""
from __future__ import annotations

import base64
import hashlib
import html.parser
import http.server
import io
import json
import sqlite3
import threading

import numpy as np
import pytest
from PIL import Image

from omamori import evidence
from omamori.download import download, largest_size
from omamori.errors import OmamoriError
from omamori.ledger import SCHEMA_VERSION, Entry, Ledger
from omamori.paths import Paths
from omamori.protocol.envelope import Request
from omamori.protocol.handlers import Host

from images import SAMPLE
from in_process import ask
from processes import run_cli

OLD_SCHEMA = """
CREATE TABLE protections (id INTEGER PRIMARY KEY, time TEXT NOT NULL, name TEXT NOT NULL,
    sha256_original TEXT NOT NULL, sha256_output TEXT NOT NULL, mark_id TEXT, fingerprint TEXT NOT NULL,
    width INTEGER NOT NULL, height INTEGER NOT NULL, format TEXT NOT NULL, settings TEXT NOT NULL);
CREATE INDEX protections_output ON protections (sha256_output);
INSERT INTO protections VALUES (1, '2026-01-02T03:04:05+00:00', 'old.jpg', 'a', 'b', NULL, 'ffff0000ffff0000',
    800, 600, 'jpeg', '{}');
"""


def test_a_ledger_from_before_thumbnails_is_migrated_and_keeps_its_entries(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    ledger = Ledger(path)
    [old] = ledger.recent(5)
    assert (old.name, old.thumbnail, old.to_dict()["has_thumbnail"]) == ("old.jpg", None, False)
    new = Entry(time="2026-02-01T00:00:00+00:00", name="new.jpg", sha256_original="c", sha256_output="d",
                mark_id="00", fingerprint=1, width=10, height=10, format="jpeg", thumbnail=b"\xff\xd8jpeg")
    ledger.record(new, settings={})
    assert ledger.find_output("d") == new and ledger.find_output("b").thumbnail is None
    ledger.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    Ledger(path).close()   # opening a current ledger again changes nothing


def test_a_current_ledger_an_older_omamori_set_back_to_version_2_still_opens(tmp_path):
    # An older install beside this one (installer and pipx, or a downgrade) writes its own version over ours.
    path = tmp_path / "ledger.sqlite3"
    Ledger(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 2")
    ledger = Ledger(path)
    ledger.record(Entry(time="2026-02-01T00:00:00+00:00", name="a.jpg", sha256_original="c", sha256_output="d",
                        mark_id=None, fingerprint=1, width=10, height=10, format="jpeg", original_name="a.png",
                        destination="/tmp/a.jpg"), settings={})
    assert ledger.find_output("d").original_name == "a.png"
    ledger.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_ledger_from_a_newer_omamori_keeps_its_version(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    Ledger(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    Ledger(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_nearest_prefers_the_earliest_of_equally_near_entries(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    for index in range(3):
        ledger.record(Entry(time=f"2026-0{index + 1}-01T00:00:00+00:00", name=f"{index}.jpg", sha256_original="o",
                            sha256_output=str(index), mark_id=None, fingerprint=0b1111, width=1, height=1,
                            format="jpeg"), settings={})
    entry, distance = ledger.nearest(0b0111, max_distance=4)
    assert (entry.name, distance) == ("0.jpg", 1)
    ledger.close()


def jpeg(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **params)
    return buffer.getvalue()


@pytest.fixture
def protected(host) -> bytes:
    return ask(host, "protect", image=SAMPLE.read_bytes())["image"]   # in process: raw bytes both ways


class Figures(html.parser.HTMLParser):
    """The sheet's figures (``data-figure`` -> text or ``data-value``), its languages and anything that loads."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.languages: set[str] = set()
        self.loads: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "lang" in attributes:
            self.languages.add(attributes["lang"])
        if tag == "script" or tag in ("img", "link") and not (attributes.get("src") or "data:").startswith("data:"):
            self.loads.append(tag)
        if "data-figure" in attributes:
            if "data-value" in attributes:
                self.figures[attributes["data-figure"]] = attributes["data-value"]
            else:
                self._open = attributes["data-figure"]

    def handle_data(self, data):
        if self._open:
            self.figures[self._open] = self.figures.get(self._open, "") + data

    def handle_endtag(self, tag):
        if tag in ("td", "code"):
            self._open = None


def parse(sheet: str) -> Figures:
    parser = Figures()
    parser.feed(sheet)
    return parser


def test_verify_says_yours_and_the_sheet_shows_the_same_figures_and_nothing_secret(host, protected):
    result = ask(host, "verify", image=base64.b64encode(protected).decode(), report=True,
                 source={"url": "https://pbs.twimg.com/media/copy.jpg?name=orig", "seen_at": "2026-12-01T10:00:00Z"})
    assert result["verdict"] == "yours" and result["certainty"] == "very_high"
    assert result["summary"]["en"].startswith("Yes, this is yours (marked on ")
    assert "certainty: very high" in result["summary"]["en"] and "非常に高い" in result["summary"]["ja"]
    match = result["ledger_match"]
    assert match["exact"] and match["sha256_output"] == hashlib.sha256(protected).hexdigest()
    assert Image.open(io.BytesIO(base64.b64decode(match["thumbnail"]))).size[0] <= 256
    sheet = result["report"]["html"]
    found = parse(sheet)
    assert found.languages >= {"ja", "en"} and found.loads == []
    assert found.figures["confidence"] == repr(result["confidence"])
    assert float(found.figures["false_positive_probability"]) == result["false_positive_probability"]
    for field in ("id", "creator_id", "date"):
        assert found.figures[f"mark.{field}"] == result["mark"][field]
    for field in ("time", "sha256_original", "sha256_output"):
        assert found.figures[f"ledger_match.{field}"] == match[field]
    assert found.figures["sha256"] == result["sha256"]
    assert "https://pbs.twimg.com/media/copy.jpg?name=orig" in sheet and "2026-12-01T10:00:00Z" in sheet
    key = host.key()
    for secret in (key.hex(), base64.b64encode(key).decode(), base64.urlsafe_b64encode(key).decode().rstrip("=")):
        assert secret not in sheet
    assert all(url in sheet for url in evidence.REPORT_FORMS.values())


def test_a_reduced_copy_without_its_mark_looks_like_yours(host, protected):
    original = Image.open(io.BytesIO(protected))
    copy = jpeg(original.resize((original.width // 2, original.height // 2), Image.Resampling.BILINEAR), quality=50)
    result = ask(host, "verify", image=base64.b64encode(copy).decode(), report=True)
    assert result["marked"] is False and result["verdict"] == "looks_like_yours"
    assert not result["ledger_match"]["exact"] and result["certainty"] is None
    found = parse(result["report"]["html"])
    assert found.figures["ledger_match.distance"] == str(result["ledger_match"]["distance"])
    assert "looks like the picture you protected on" in result["summary"]["en"]


def test_an_unrelated_image_is_not_found_and_a_page_address_is_never_a_link(host):
    noise = np.random.default_rng(3).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    result = ask(host, "verify", image=base64.b64encode(jpeg(Image.fromarray(noise))).decode(), report=True,
                 source={"page_url": "javascript:alert(1)"})
    assert result["verdict"] == "not_found" and result["ledger_match"] is None
    assert 'href="javascript:' not in result["report"]["html"]


def test_history_says_which_entries_keep_a_thumbnail_and_thumbnails_can_be_turned_off(host):
    image = base64.b64encode(SAMPLE.read_bytes()).decode()
    ask(host, "protect", image=image)
    ask(host, "settings.set", changes={"ledger.thumbnails": False})
    ask(host, "protect", image=image)
    newest, oldest = ask(host, "history")["items"]
    assert (newest["has_thumbnail"], oldest["has_thumbnail"]) == (False, True)


@pytest.mark.parametrize("source", [{"url": 3}, {"where": "x"}, "https://x.com"])
def test_a_bad_source_is_refused(host, source):
    reply = host.handle(Request(id="t", type="verify", body={"image": "", "source": source}))
    assert reply["error"]["code"] == "bad_request"


def test_certainty_bands_and_odds():
    assert [evidence.certainty(p) for p in (0.0, 1e-13, 1e-9, 1e-3)] == ["very_high", "very_high", "high", "moderate"]
    assert evidence.odds(1e-3) == "1,000" and evidence.odds(3e-19) == "10^18"


# ---- verify of a web address ----------------------------------------------------------------------------------


class Site:
    """A real HTTP server on 127.0.0.1: path -> (status, content type, body, seconds to stall before answering)."""

    def __init__(self, routes: dict[str, tuple[int, str, bytes, float]]) -> None:
        self.seen: list[str] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                site.seen.append(self.path)
                status, kind, body, stall = routes.get(self.path.split("?")[0], (404, "text/plain", b"no", 0))
                threading.Event().wait(stall)
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    sites = []

    def start(routes):
        sites.append(Site(routes))
        return sites[-1]

    yield start
    for one in sites:
        one.close()


def test_verify_of_an_address_downloads_says_what_it_fetched_and_writes_the_sheet(tmp_path, site):
    home = tmp_path / "home"
    mine = tmp_path / "mine.jpg"
    assert run_cli(home, "protect", str(SAMPLE), "-o", str(mine)).returncode == 0
    web = site({"/art.jpg": (200, "image/jpeg", mine.read_bytes(), 0)})
    sheet = tmp_path / "sheet.html"
    run = run_cli(home, "verify", f"{web.base}/art.jpg", "--json", "--report", str(sheet))
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert record["verdict"] == "yours" and record["source"]["bytes"] == mine.stat().st_size
    assert record["source"]["content_type"] == "image/jpeg" and "thumbnail" not in record["ledger_match"]
    assert f"fetched {web.base}/art.jpg ({mine.stat().st_size:,} bytes, image/jpeg, at " in run.stderr
    written = sheet.read_text(encoding="utf-8")
    assert f"{web.base}/art.jpg" in written and record["source"]["fetched_at"] in written
    assert parse(written).figures["sha256"] == record["sha256"]


def test_a_download_stops_at_the_size_limit_and_at_the_time_limit(site):
    web = site({"/big": (200, "image/png", b"x" * 5000, 0), "/slow": (200, "image/png", b"x", 3)})
    with pytest.raises(OmamoriError) as big:
        download(f"{web.base}/big", max_bytes=4096)
    assert big.value.code == "download_too_large"
    with pytest.raises(OmamoriError) as slow:
        download(f"{web.base}/slow", max_bytes=4096, time_limit=0.5)
    assert slow.value.code == "download_timeout"
    with pytest.raises(OmamoriError) as missing:
        download(f"{web.base}/missing", max_bytes=4096)
    assert (missing.value.code, missing.value.details["status"]) == ("download_failed", 404)
    with pytest.raises(OmamoriError) as local:
        download("file:///etc/passwd", max_bytes=4096)
    assert local.value.code == "download_failed"


def test_x_image_addresses_ask_for_the_original_size():
    assert largest_size("https://pbs.twimg.com/media/Abc?format=jpg&name=small") == \
        "https://pbs.twimg.com/media/Abc?format=jpg&name=orig"
    assert largest_size("https://example.com/a.jpg?name=small") == "https://example.com/a.jpg?name=small"


def test_another_persons_omamori_does_not_call_your_picture_theirs(tmp_path, protected):
    root = tmp_path / "another-person"
    other = Host(Paths(config=root / "config", data=root / "data", log=root / "log"), transport="cli")
    try:
        result = ask(other, "verify", image=protected)
    finally:
        other.close()
    # The mark is keyed: another key does not even find it, and their ledger has no such picture.
    assert (result["verdict"], result["marked"], result["ledger_match"]) == ("not_found", False, None)


def test_sheets_of_several_images_go_into_a_folder_named_after_each(tmp_path):
    home = tmp_path / "home"
    mine = tmp_path / "mine.jpg"
    assert run_cli(home, "protect", str(SAMPLE), "-o", str(mine)).returncode == 0
    run = run_cli(home, "verify", str(mine), str(SAMPLE), "--report", str(tmp_path / "sheets"), lang="ja_JP.UTF-8")
    assert run.returncode == 1     # the sample itself carries no mark
    assert sorted(path.name for path in (tmp_path / "sheets").iterdir()) == ["mine.evidence.html",
                                                                            "sample.evidence.html"]
    assert "はい、これはあなたの画像です" in run.stdout and "証拠シート:" in run.stdout


def test_the_sheet_of_one_image_goes_into_a_folder_given_and_a_place_that_cannot_hold_it_is_named(tmp_path):
    home, sheets = tmp_path / "home", tmp_path / "sheets"
    sheets.mkdir()
    run = run_cli(home, "verify", str(SAMPLE), "--report", str(sheets), "--json")
    assert json.loads(run.stdout)["report"] == str(sheets / "sample.evidence.html")
    assert "<html" in (sheets / "sample.evidence.html").read_text(encoding="utf-8")
    refused = run_cli(home, "verify", str(SAMPLE), "--report", str(SAMPLE / "sheet.html"), "--json")
    error = json.loads(refused.stdout)["error"]
    assert refused.returncode == 2 and error["code"] == "output_unwritable", refused.stdout
