"""A stand-in for bsky.app, its static host and the account's PDS, answered inside the browser's request routing.

Browser-neutral like fakex.FakeX, which hands it the requests for BLUESKY_HOSTS. What each page is modelled on is in
fixtures/README.md (section "bsky.app").
"""
from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:   # fakex imports this module; at run time handle() imports Response itself
    from fakex import Response

FIXTURES = Path(__file__).parent / "fixtures"
BLUESKY_HOSTS = ("bsky.app", "web-cdn.bsky.app", "bsky.social")
APP_SCRIPT = "/static/js/main.omamori-fixture.js"
ACCESS_JWT = "eyJhbGciOiJFUzI1NksifQ.omamori-fixture.access"
MAX_BLOB_BYTES = 1_000_000           # the app.bsky.embed.images lexicon's maxSize for an image blob
# A Content-Security-Policy of the shape bsky.app's web server sends (invented details: the real one was not captured).
CSP = ("default-src 'self'; script-src 'self' https://web-cdn.bsky.app 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
       "img-src 'self' blob: data: https://cdn.bsky.app; connect-src 'self' https://bsky.social https://*.bsky.network "
       "data: blob:; object-src 'none'")
CORS = {"access-control-allow-origin": "https://bsky.app", "access-control-allow-methods": "GET, POST, OPTIONS",
        "access-control-allow-headers": "authorization, content-type, atproto-accept-labelers, atproto-proxy",
        "access-control-max-age": "600"}


@dataclass(frozen=True)
class Blob:
    """One image blob as the PDS received it (com.atproto.repo.uploadBlob)."""
    mime_type: str
    data: bytes

    @property
    def cid(self) -> str:           # a CIDv1-shaped name (raw, sha-256), enough for the fake
        return "bafkrei" + hashlib.sha256(self.data).hexdigest()[:52]


class FakeBluesky:
    """bsky.app for one test: the blobs uploaded and the posts written. Thread-safe (Firefox answers from a thread)."""

    def __init__(self, *, language: str = "en") -> None:
        self.language = language
        self.blobs: list[Blob] = []
        self.posts: list[dict] = []
        self._lock = threading.Lock()
        self._shell = (FIXTURES / "bsky_shell.html").read_text(encoding="utf-8")

    def wait_for_post(self, *, pump, timeout: float = 60.0) -> dict:
        """The first post written, once the app sent it; `pump()` lets the browser driver run its event loop."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self.posts:
                    return self.posts[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no post reached the PDS after {timeout:.0f} s; blobs: {len(self.blobs)}")
            pump()

    def blob(self, cid: str) -> Blob:
        with self._lock:
            return next(blob for blob in self.blobs if blob.cid == cid)

    def handle(self, request) -> "Response":
        from fakex import Response     # one Response type for both fakes

        parts = urlsplit(request.url)
        if request.method == "OPTIONS":
            return Response(204, dict(CORS))
        with self._lock:
            if parts.hostname == "web-cdn.bsky.app" and parts.path == APP_SCRIPT:
                return Response(200, {"content-type": "application/javascript;charset=utf-8",
                                      "access-control-allow-origin": "*"}, (FIXTURES / "bsky_app.js").read_bytes())
            if parts.hostname == "bsky.social" and parts.path.startswith("/xrpc/"):
                return self._xrpc(request, parts.path[len("/xrpc/"):], Response)
            if parts.hostname == "bsky.app" and request.method == "GET" and parts.path != "/favicon.ico":
                nonce = secrets.token_urlsafe(16)
                body = self._shell.replace("{lang}", self.language).replace("{nonce}", nonce)
                return Response(200, {"content-type": "text/html;charset=utf-8",
                                      "content-security-policy": CSP.format(nonce=nonce)}, body.encode())
        return Response(404, {"content-type": "text/plain"}, b"not found")

    def _xrpc(self, request, method: str, Response) -> "Response":
        def answer(status: int, value: dict) -> "Response":
            return Response(status, {"content-type": "application/json; charset=utf-8", **CORS}, json.dumps(value).encode())

        if request.headers.get("authorization") != f"Bearer {ACCESS_JWT}":
            return answer(401, {"error": "AuthMissing", "message": "Authentication Required"})
        if method == "com.atproto.repo.uploadBlob" and request.method == "POST":
            mime = request.headers.get("content-type", "")
            if not mime.startswith("image/"):
                return answer(400, {"error": "InvalidRequest", "message": f"unexpected blob type {mime!r}"})
            if len(request.body) > MAX_BLOB_BYTES:     # the post would be refused: the fake refuses the blob already
                return answer(400, {"error": "BlobTooLarge", "message": f"{len(request.body)} > {MAX_BLOB_BYTES} bytes"})
            blob = Blob(mime, request.body)
            self.blobs.append(blob)
            return answer(200, {"blob": {"$type": "blob", "ref": {"$link": blob.cid}, "mimeType": mime,
                                         "size": len(blob.data)}})
        if method == "com.atproto.repo.applyWrites" and request.method == "POST":
            writes = json.loads(request.body)["writes"]
            self.posts.extend(write["value"] for write in writes)
            return answer(200, {"commit": {"cid": "bafyrei" + "a" * 52, "rev": "3omamorifixture"}})
        return answer(400, {"error": "MethodNotImplemented", "message": method})
