"""omamori's request handlers called in this test's process, as the CLI calls them: no codec, no pipes (the
``host`` fixture in conftest.py opens them on the test's temporary folders)."""
from __future__ import annotations

from omamori.protocol.envelope import Request
from omamori.protocol.handlers import Host


def ask(host: Host, request_type: str, **body) -> dict:
    """The result of a ``request_type`` request with ``body``; an error reply fails the test, showing the reply."""
    reply = host.handle(Request(id="t", type=request_type, body=body))
    assert reply["ok"], reply
    return reply["result"]
