"""The ``cancel`` request, through the real host process and the real companion server: the request it names
stops at once (its worker killed, nothing recorded) and the next request is served without waiting for it."""
from __future__ import annotations

import asyncio
import functools
import json

import pytest

from omamori import pairing
from omamori.transports.websocket import CompanionServer
from omamori.transports.worker import WorkerHost
from companion import client
from gated_host import GatedHost
from images import small_art
from processes import MARK_OFF, alive, ledger_state, wait_until


def protect(request_id: str) -> dict:
    return {"v": 1, "id": request_id, "type": "protect", "image": small_art(), "name": "art.png"}


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


def test_cancel_stops_the_running_request_and_the_next_is_served_at_once(tmp_path, hosts, gate):
    host = hosts(tmp_path, gate=gate)
    assert "cancel" in host.request("h", "hello")["result"]["capabilities"]
    worker = host.worker()
    gate.hold("p")
    host.send(protect("p"))
    gate.wait_entered("p")                                    # it is working on it, for as long as it is held
    host.send({"v": 1, "id": "c", "type": "cancel", "request": "p"})
    got, _ = replies_until(host, {"p", "c"})
    assert got["c"]["ok"] and got["c"]["result"] == {"cancelled": True}
    assert got["p"]["error"]["code"] == "cancelled" and got["p"]["error"]["message"]["ja"]
    assert wait_until(lambda: not alive(worker), 10), "the cancelled request's worker still runs"
    assert host.request("next", "protect", image=small_art(), options=MARK_OFF)["ok"]
    assert host.close() == 0
    assert ledger_state(tmp_path) == ("ok", 1), "the cancelled protection was recorded"
    assert "cancelled: worker killed" in (tmp_path / "log" / "host.log").read_text()


def test_a_waiting_request_is_cancelled_without_running_and_the_running_one_finishes(tmp_path, hosts, gate):
    host = hosts(tmp_path, gate=gate)
    assert host.request("h", "hello")["ok"]
    gate.hold("first")
    host.send(protect("first"))
    gate.wait_entered("first")
    host.send({"v": 1, "id": "second", "type": "protect", "image": small_art(), "options": MARK_OFF})
    host.send({"v": 1, "id": "c", "type": "cancel", "request": "second"})
    got, _ = replies_until(host, {"second", "c"})             # while the first is still held
    assert got["second"]["error"]["code"] == "cancelled"
    assert got["c"]["result"] == {"cancelled": True}
    gate.release("first")
    got, _ = replies_until(host, {"first"})
    assert got["first"]["ok"], got["first"]
    assert host.close() == 0
    assert ledger_state(tmp_path) == ("ok", 1)


@pytest.mark.parametrize("body, expected", [
    ({"request": "nothing-in-flight"}, {"ok": True, "result": {"cancelled": False}}),
    ({"request": 7}, {"ok": True, "result": {"cancelled": False}}),
    ({}, {"ok": False, "code": "bad_request"}),
    ({"request": True}, {"ok": False, "code": "bad_request"}),
    ({"request": "x" * 65}, {"ok": False, "code": "bad_request"}),
])
def test_a_cancel_naming_nothing_in_flight_says_so(serving_host, body, expected):
    reply = serving_host.request("c", "cancel", **body)
    assert reply["ok"] == expected["ok"]
    if reply["ok"]:
        assert reply["result"] == expected["result"]
    else:
        assert reply["error"]["code"] == expected["code"] and reply["error"]["details"]["field"] == "request"
    assert serving_host.request("h", "hello")["ok"]
    assert serving_host.worker() == serving_host.first_worker, "a cancel of nothing stopped the worker"


def test_over_the_websocket_a_connection_cancels_its_own_requests_only(paths, token, gate):
    origin = "moz-extension://12345678-1234-1234-1234-123456789abc"

    async def scenario():
        worker = WorkerHost(paths, transport="websocket", host_factory=functools.partial(GatedHost, gate=gate.folder))
        server = CompanionServer(worker, pairing.load(pairing.pairing_file(paths.config)), chrome_extension_id=None)
        try:
            async with await server.serve("127.0.0.1", 0) as listening:
                port = listening.sockets[0].getsockname()[1]
                async with client(port, token, origin=origin, max_size=None) as mine, \
                        client(port, token, origin=origin, max_size=None) as other:
                    gate.hold("p")
                    await mine.send(json.dumps(protect("p")))
                    await asyncio.to_thread(gate.wait_entered, "p")
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
