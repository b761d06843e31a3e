"""The ``cancel`` request, through the real host process and the real companion server: the request it names
stops at once (its worker killed, nothing recorded) and the next request is served without waiting for it."""
from __future__ import annotations

import asyncio
import json

import pytest

from omamori import pairing
from omamori.paths import default_paths
from omamori.transports.websocket import CompanionServer
from omamori.transports.worker import WorkerHost
from test_server import client
from test_reliability_faults import MARK_OFF, alive, hosts, ledger_state, slow_art, small_art, wait_until, workers  # noqa: F401

SLOW = {"image": None, "name": "big.jpg", "options": {"signature.placement": "tiled"}}


def slow_protect(request_id: str) -> dict:
    return {"v": 1, "id": request_id, "type": "protect", **SLOW, "image": slow_art()}


def replies_until(host, wanted: set) -> tuple[dict, list]:
    """Messages read until every id in ``wanted`` has its reply (progress skipped, chunks joined):
    the replies by id, and the ids in the order their replies came."""
    got, order, chunks = {}, [], {}
    while not wanted <= got.keys():
        message = host.read_message()
        if message["type"] == "chunk":
            pieces = chunks.setdefault(message["id"], [])
            pieces.append(message["data"])
            if len(pieces) < message["count"]:
                continue
            message = json.loads("".join(pieces))
        if message["type"] != "progress":
            got[message["id"]] = message
            order.append(message["id"])
    return got, order


def test_cancel_stops_the_running_request_and_the_next_is_served_at_once(tmp_path, hosts):
    host = hosts(tmp_path)
    assert host.request("h", "hello")["ok"]
    assert "cancel" in host.request("h2", "hello")["result"]["capabilities"]
    (worker,) = workers(host.proc.pid)
    host.send(slow_protect("p"))
    assert host.read_message()["type"] == "progress"          # it is working on it
    host.send({"v": 1, "id": "c", "type": "cancel", "request": "p"})
    got, _ = replies_until(host, {"p", "c"})
    assert got["c"]["ok"] and got["c"]["result"] == {"cancelled": True}
    assert got["p"]["error"]["code"] == "cancelled" and got["p"]["error"]["message"]["ja"]
    assert wait_until(lambda: not alive(worker), 10), "the cancelled request's worker still runs"
    assert host.request("next", "protect", image=small_art(), options=MARK_OFF)["ok"]
    assert host.close() == 0
    assert ledger_state(tmp_path) == ("ok", 1), "the cancelled protection was recorded"
    assert "cancelled: worker killed" in (tmp_path / "log" / "host.log").read_text()


def test_a_waiting_request_is_cancelled_without_running_and_the_running_one_finishes(tmp_path, hosts):
    host = hosts(tmp_path)
    assert host.request("h", "hello")["ok"]
    host.send(slow_protect("first"))
    host.send({"v": 1, "id": "second", "type": "protect", "image": small_art(), "options": MARK_OFF})
    host.send({"v": 1, "id": "c", "type": "cancel", "request": "second"})
    got, order = replies_until(host, {"first", "second", "c"})
    assert got["second"]["error"]["code"] == "cancelled"
    assert got["c"]["result"] == {"cancelled": True}
    assert got["first"]["ok"], got["first"]
    assert order[-1] == "first", "the waiting request was answered only after the running one"
    assert host.close() == 0
    assert ledger_state(tmp_path) == ("ok", 1)


@pytest.mark.parametrize("body, expected", [
    ({"request": "nothing-in-flight"}, {"ok": True, "result": {"cancelled": False}}),
    ({"request": 7}, {"ok": True, "result": {"cancelled": False}}),
    ({}, {"ok": False, "code": "bad_request"}),
    ({"request": True}, {"ok": False, "code": "bad_request"}),
    ({"request": "x" * 65}, {"ok": False, "code": "bad_request"}),
])
def test_a_cancel_naming_nothing_in_flight_says_so(tmp_path, hosts, body, expected):
    host = hosts(tmp_path)
    reply = host.request("c", "cancel", **body)
    assert reply["ok"] == expected["ok"]
    if reply["ok"]:
        assert reply["result"] == expected["result"]
    else:
        assert reply["error"]["code"] == expected["code"] and reply["error"]["details"]["field"] == "request"
    assert host.request("h", "hello")["ok"]
    assert host.close() == 0


@pytest.fixture
def paths(tmp_path, monkeypatch):
    monkeypatch.setenv("OMAMORI_HOME", str(tmp_path))
    return default_paths()


def test_over_the_websocket_a_connection_cancels_its_own_requests_only(paths):
    token = pairing.pair(pairing.pairing_file(paths.config))
    origin = "moz-extension://12345678-1234-1234-1234-123456789abc"

    async def scenario():
        worker = WorkerHost(paths, transport="websocket")
        server = CompanionServer(worker, pairing.load(pairing.pairing_file(paths.config)), chrome_extension_id=None)
        try:
            async with await server.serve("127.0.0.1", 0) as listening:
                port = listening.sockets[0].getsockname()[1]
                async with client(port, token, origin=origin, max_size=None) as mine, \
                        client(port, token, origin=origin, max_size=None) as other:
                    await mine.send(json.dumps(slow_protect("p")))
                    assert json.loads(await mine.recv())["type"] == "progress"
                    working = worker.pid
                    await other.send(json.dumps({"v": 1, "id": "c", "type": "cancel", "request": "p"}))
                    assert json.loads(await other.recv())["result"] == {"cancelled": False}, "another connection's"
                    await mine.send(json.dumps({"v": 1, "id": "c", "type": "cancel", "request": "p"}))
                    got = {}
                    while len(got) < 2:
                        message = json.loads(await mine.recv())
                        if message["type"] != "progress":
                            got[message["id"]] = message
                    assert got["c"]["result"] == {"cancelled": True}
                    assert got["p"]["error"]["code"] == "cancelled"
                    await other.send(json.dumps({"v": 1, "id": "h", "type": "hello"}))
                    assert json.loads(await asyncio.wait_for(other.recv(), 30))["ok"]
                    assert not alive(working), "the cancelled request's worker still runs"
                    assert worker.pid not in (None, working), "no fresh worker was started"
        finally:
            server.close()

    asyncio.run(scenario())
