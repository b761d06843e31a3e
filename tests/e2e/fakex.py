"""A faithful stand-in for x.com, upload.x.com and X's script host, answered inside the browser's request routing.

Browser-neutral: `FakeX.handle` takes a request and returns a response; tests/e2e/browsers.py plugs it into
Playwright's `context.route` (Chromium) and WebDriver BiDi's network interception (Firefox). What each page is
modelled on is in fixtures/README.md.
"""
from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from fakebsky import BLUESKY_HOSTS, FakeBluesky

FIXTURES = Path(__file__).parent / "fixtures"
# X's pages (x.com and the hosts a person still lands on, X Pro), its upload host and its script host.
PAGE_HOSTS = ("x.com", "twitter.com", "mobile.x.com", "pro.x.com", "pro.twitter.com")
X_HOSTS = (*PAGE_HOSTS, "upload.x.com", "abs.twimg.com")
HOSTS = (*X_HOSTS, *BLUESKY_HOSTS)   # every host the browsers' routing answers (Bluesky's by fakebsky.FakeBluesky)
APP_SCRIPT = "/responsive-web/client-web/main.omamori-fixture.js"
APP_STYLE = "/responsive-web/client-web/main.omamori-fixture.css"
CT0 = "0f3c5e8d2b1a4c6e9f7d8b0a1c2e3f4a"  # X's CSRF cookie; the page echoes it in x-csrf-token

# X's Content-Security-Policy, trimmed to the directives that matter to an extension working in the page.
CSP = (
    "connect-src 'self' blob: https://api.x.com https://upload.x.com https://x.com https://*.twimg.com; "
    "default-src 'self'; font-src 'self' https://*.twimg.com; img-src 'self' blob: data: https://*.twimg.com; "
    "media-src 'self' blob: https://*.twimg.com; object-src 'none'; "
    "script-src 'self' 'unsafe-inline' https://*.twimg.com 'nonce-{nonce}'; "
    "style-src 'self' 'unsafe-inline' https://*.twimg.com; worker-src 'self' blob:; manifest-src 'self'"
)
CORS_HEADERS = {  # access-control-allow-origin: the asking page's own origin, when it is one of X's (see _cors)
    "access-control-allow-credentials": "true",
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "authorization, content-type, x-csrf-token, x-twitter-auth-type, "
                                    "x-twitter-active-user, x-twitter-client-language",
    "access-control-max-age": "600",
}


def _cors(request: "Request") -> dict[str, str]:
    """upload.x.com answers X's own pages (x.com, X Pro...) with their origin, as X does; anyone else gets none."""
    origin = request.headers.get("origin", "")
    allowed = {f"https://{host}" for host in PAGE_HOSTS}
    return {**CORS_HEADERS, "access-control-allow-origin": origin} if origin in allowed else {}


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: dict[str, str]  # lower-case names
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""


def _json(status: int, value: object, **headers: str) -> Response:
    return Response(status, {"content-type": "application/json;charset=utf-8", **headers}, json.dumps(value).encode())


@dataclass
class Upload:
    """One media upload as upload.x.com sees it: INIT's declaration, the APPENDed segments, FINALIZE."""
    media_id: str
    media_type: str
    media_category: str
    total_bytes: int
    client_reencode: str = ""  # the web client's rule that re-encoded the file before upload (fixtures/README.md)
    segments: dict[int, bytes] = field(default_factory=dict)
    finalized: bool = False

    @property
    def data(self) -> bytes:
        return b"".join(self.segments[index] for index in sorted(self.segments))


def parse_multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    """Fields of a multipart/form-data body, by name (the browser's FormData encoding)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise ValueError(f"not multipart: {content_type}")
    return {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
            for part in message.iter_parts()}


class FakeX:
    """x.com for one test: the account's language and settings, and every upload the page makes.

    Thread-safe: Firefox's interception answers from a worker thread.
    """

    def __init__(self, *, language: str = "en", grok_training: bool = True, protected: bool = False,
                 grok_edit_control: str = "") -> None:
        self.language = language
        # Where X shows "Block modifications by Grok": "checkbox" or "switch" under the composer's media, "menu" in
        # the composer's post settings menu, "settings" on the Grok settings page, "" nowhere (fixtures/README.md).
        self.grok_edit_control = grok_edit_control
        self.grok = {"allow_grok_training": grok_training, "allow_grok_personalization": True,
                     "allow_grok_history": True, "block_grok_edits": False}
        self.account = {"protected": protected, "protect_videos": False}
        self.upload_requests: list[Request] = []  # every request to upload.x.com, preflights excluded
        self.page_requests: list[str] = []  # every x.com page (shell) served, by URL
        self.posts: list[dict] = []  # every post made (CreateTweet), as X stores it
        self._uploads: dict[str, Upload] = {}
        self._media_ids = itertools.count(1867000000000000001)
        self._lock = threading.Lock()
        self._shell = (FIXTURES / "x_shell.html").read_text(encoding="utf-8")
        self.bluesky = FakeBluesky(language=language)   # the same browser may go to bsky.app too

    # ---- what the tests look at ----
    def started_uploads(self) -> list[Upload]:
        """Every upload begun (INIT), finalized or not."""
        with self._lock:
            return list(self._uploads.values())

    def finalized_uploads(self) -> list[Upload]:
        with self._lock:
            return [upload for upload in self._uploads.values() if upload.finalized]

    def wait_for_posts(self, count: int, *, pump, timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                posts = list(self.posts)
            if len(posts) >= count:
                return posts
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(posts)} of {count} posts made after {timeout:.0f} s")
            pump()

    def wait_for_uploads(self, count: int, *, pump, timeout: float = 60.0) -> list[Upload]:
        """Block until `count` uploads are finalized; `pump()` lets the browser driver run its event loop."""
        deadline = time.monotonic() + timeout
        while True:
            uploads = self.finalized_uploads()
            if len(uploads) >= count:
                return uploads
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(uploads)} of {count} uploads finalized at upload.x.com after {timeout:.0f} s; "
                                     f"requests seen: {[r.url for r in self.upload_requests]}")
            pump()

    # ---- the server ----
    def handle(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        query = dict(parse_qsl(parts.query))
        if parts.hostname in BLUESKY_HOSTS:
            return self.bluesky.handle(request)
        if request.method == "OPTIONS":
            return Response(204, _cors(request))
        with self._lock:
            if parts.hostname == "upload.x.com" and parts.path == "/i/media/upload.json":
                self.upload_requests.append(request)
                return self._upload(request, query)
            if parts.hostname == "abs.twimg.com":
                return self._static(parts.path)
            if parts.hostname in PAGE_HOSTS:
                return self._x(request, parts.path, query)
        return Response(404, {"content-type": "text/plain"}, b"not found")

    def _static(self, path: str) -> Response:
        files = {APP_SCRIPT: ("x_app.js", "application/javascript"), APP_STYLE: ("x_app.css", "text/css")}
        if path not in files:
            return Response(404, {"content-type": "text/plain"}, b"not found")
        name, kind = files[path]
        return Response(200, {"content-type": f"{kind};charset=utf-8", "access-control-allow-origin": "*"},
                        (FIXTURES / name).read_bytes())

    def _x(self, request: Request, path: str, query: dict[str, str]) -> Response:
        if path == "/i/api/graphql/omamoriFixture/DataSharingSettings":
            if not self._authorized(request):
                return _json(403, {"errors": [{"code": 353, "message": "This request requires a matching csrf cookie and header."}]})
            if request.method == "POST":
                self.grok.update({key: bool(value) for key, value in json.loads(request.body).items() if key in self.grok})
            return _json(200, {"data": {"data_sharing_settings": dict(self.grok)}})
        if path == "/i/api/graphql/omamoriFixture/CreateTweet":
            if not self._authorized(request) or request.method != "POST":
                return _json(403, {"errors": [{"code": 353, "message": "This request requires a matching csrf cookie and header."}]})
            variables = json.loads(request.body)["variables"]
            media_ids = [entity["media_id"] for entity in variables["media"]["media_entities"]]
            if any(media_id not in self._uploads or not self._uploads[media_id].finalized for media_id in media_ids):
                return _json(400, {"errors": [{"code": 324, "message": "Invalid media id."}]})
            # With the control on the settings page, the account's choice applies to every post.
            blocked = self.grok["block_grok_edits"] if self.grok_edit_control == "settings" else bool(variables.get("grok_edits_blocked"))
            post = {"rest_id": str(next(self._media_ids)), "text": variables["tweet_text"], "media_ids": media_ids,
                    "grok_edits_blocked": blocked}
            self.posts.append(post)
            return _json(200, {"data": {"create_tweet": {"tweet_results": {"result": {"rest_id": post["rest_id"]}}}}})
        if path == "/i/api/1.1/account/settings.json":
            if not self._authorized(request):
                return _json(403, {"errors": [{"code": 353, "message": "This request requires a matching csrf cookie and header."}]})
            if request.method == "POST":
                for key, value in parse_qsl(request.body.decode()):
                    if key in self.account:
                        self.account[key] = value == "true"
            return _json(200, {"screen_name": "omamori_artist", "language": self.language, **self.account})
        page = not path.startswith("/i/") or path.startswith("/i/decks/")  # X Pro's decks are pages
        if not page or path == "/favicon.ico" or request.method != "GET":
            return Response(404, {"content-type": "text/plain"}, b"not found")
        self.page_requests.append(request.url)
        language = query.get("lang", self.language)
        nonce = secrets.token_urlsafe(16)
        cookie_domain = "twitter.com" if urlsplit(request.url).hostname.endswith("twitter.com") else "x.com"
        initial_state = json.dumps({"featureSwitch": {"omamori_fixture_grok_edit_control": self.grok_edit_control}})
        body = self._shell.replace("{lang}", language).replace("{nonce}", nonce).replace("{initial_state}", initial_state)
        return Response(200, {
            "content-type": "text/html;charset=utf-8",
            "content-security-policy": CSP.format(nonce=nonce),
            "set-cookie": f"ct0={CT0}; Max-Age=21600; Domain={cookie_domain}; Path=/; Secure; SameSite=Lax",
        }, body.encode())

    @staticmethod
    def _authorized(request: Request) -> bool:
        return request.headers.get("x-csrf-token") == CT0 and request.headers.get("authorization", "").startswith("Bearer ")

    def _upload(self, request: Request, query: dict[str, str]) -> Response:
        cors = _cors(request)
        if not self._authorized(request):
            return _json(403, {"errors": [{"code": 353, "message": "This request requires a matching csrf cookie and header."}]}, **cors)
        fields = dict(query)
        content_type = request.headers.get("content-type", "")
        media = None
        if content_type.startswith("multipart/form-data"):
            form = parse_multipart(content_type, request.body)
            media = form.pop("media", None)
            fields.update({key: value.decode() for key, value in form.items()})
        command = fields.get("command")
        if command == "INIT":
            media_id = str(next(self._media_ids))
            self._uploads[media_id] = Upload(media_id, fields["media_type"], fields.get("media_category", "tweet_image"),
                                             int(fields["total_bytes"]), fields.get("omamori_fixture_client_reencode", ""))
            return _json(202, {"media_id": int(media_id), "media_id_string": media_id, "expires_after_secs": 86399,
                               "media_key": f"3_{media_id}"}, **cors)
        upload = self._uploads.get(fields.get("media_id", ""))
        if upload is None:
            return _json(400, {"errors": [{"code": 324, "message": "Invalid media id."}]}, **cors)
        if command == "APPEND":
            if media is None:
                return _json(400, {"errors": [{"code": 38, "message": "media parameter is missing."}]}, **cors)
            upload.segments[int(fields["segment_index"])] = media
            return Response(204, cors)
        if command == "FINALIZE":
            if len(upload.data) != upload.total_bytes:
                return _json(400, {"errors": [{"code": 324, "message": "Segments do not add up to provided total file size."}]}, **cors)
            upload.finalized = True
            answer = {"media_id": int(upload.media_id), "media_id_string": upload.media_id, "size": upload.total_bytes,
                      "expires_after_secs": 86400}
            if upload.media_category == "tweet_gif":  # X transcodes GIFs and makes the client poll STATUS
                answer["processing_info"] = {"state": "pending", "check_after_secs": 1}
            return _json(201, answer, **cors)
        if command == "STATUS":
            return _json(200, {"media_id": int(upload.media_id), "media_id_string": upload.media_id,
                               "processing_info": {"state": "succeeded", "progress_percent": 100}}, **cors)
        return _json(400, {"errors": [{"code": 214, "message": f"Unknown command {command!r}."}]}, **cors)
