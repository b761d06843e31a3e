"""Fetch one image from the web for ``omamori verify https://…``: bounded in size and in time, and saying what it got.

The address is the person's own (typed or pasted on their command line); only http and https are fetched. X's
image server gives a reduced copy unless asked otherwise, so its addresses ask for the original size, as a person
opening the image in a new tab would (``name=orig``).
"""
from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import __version__
from .errors import OmamoriError
from .ledger import now_utc

TIME_LIMIT = 30.0              # seconds for the whole download, connection included
_READ_SIZE = 64 * 1024
X_IMAGE_HOST = "pbs.twimg.com"


@dataclass(frozen=True)
class Downloaded:
    url: str              # the address asked for (after largest_size)
    final_url: str        # where the server's redirects ended
    data: bytes
    content_type: str     # the server's Content-Type, "" when it sent none
    fetched_at: str       # ISO 8601 UTC, when the download finished


def is_web_address(text: str) -> bool:
    return text.lower().startswith(("https://", "http://"))


def largest_size(url: str) -> str:
    """The address of the largest copy an image server keeps: ``name=orig`` on pbs.twimg.com, else ``url``."""
    parts = urlsplit(url)
    if parts.hostname != X_IMAGE_HOST:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "name"] + [("name", "orig")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def download(url: str, *, max_bytes: int, time_limit: float = TIME_LIMIT) -> Downloaded:
    """GET ``url`` (http or https), at most ``max_bytes`` bytes within ``time_limit`` seconds.

    Raises ``OmamoriError`` ``download_failed`` (no connection, an HTTP error, not http/https),
    ``download_too_large`` or ``download_timeout``.
    """
    if not is_web_address(url):
        raise OmamoriError("download_failed", url=url, reason="only http and https addresses are fetched")
    deadline = time.monotonic() + time_limit
    request = urllib.request.Request(url, headers={"User-Agent": f"omamori/{__version__} (verify)",
                                                   "Accept": "image/avif,image/webp,image/png,image/jpeg,*/*;q=0.5"})
    try:
        with urllib.request.urlopen(request, timeout=time_limit) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise OmamoriError("download_too_large", url=url, bytes=int(declared), limit=max_bytes,
                                   limit_mib=max_bytes // (1024 * 1024))
            chunks, total = [], 0
            while chunk := response.read(_READ_SIZE):
                total += len(chunk)
                if total > max_bytes:
                    raise OmamoriError("download_too_large", url=url, limit=max_bytes,
                                       limit_mib=max_bytes // (1024 * 1024))
                if time.monotonic() > deadline:
                    raise OmamoriError("download_timeout", url=url, limit_seconds=time_limit)
                chunks.append(chunk)
            return Downloaded(url=url, final_url=response.geturl(), data=b"".join(chunks),
                              content_type=response.headers.get("Content-Type", ""),
                              fetched_at=now_utc())
    except OmamoriError:
        raise
    except urllib.error.HTTPError as exc:
        raise OmamoriError("download_failed", url=url, status=exc.code, reason=str(exc.reason)) from exc
    except TimeoutError as exc:
        raise OmamoriError("download_timeout", url=url, limit_seconds=time_limit) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise OmamoriError("download_timeout", url=url, limit_seconds=time_limit) from exc
        raise OmamoriError("download_failed", url=url, reason=str(reason)) from exc
