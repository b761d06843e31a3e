"""Requests answered one at a time, in arrival order, on a thread of their own; any of them can be cancelled.

Both transports keep reading while a request runs, so a ``cancel`` request is
seen at once: it is answered here, on the reader's side, never queued behind
the request it stops. A waiting request that is cancelled is answered
``cancelled`` without running; a running one is stopped by its host
(``WorkerHost.cancel`` kills the worker, which ``Host.handle`` in this process
cannot do) and answered ``cancelled`` by the thread that ran it. Every request
gets exactly one reply, through the ``done`` callback it was submitted with.

``owner`` scopes request ids: a WebSocket connection can cancel only its own
requests, and when it closes, its requests are cancelled with it.
"""
from __future__ import annotations

import collections
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable, Hashable

from ..errors import OmamoriError
from ..protocol.envelope import Request, failure_reply, ok_reply
from ..protocol.handlers import Host, Progress, cancel_target
from .worker import WorkerHost

log = logging.getLogger(__name__)

Done = Callable[[dict[str, Any]], None]
MAX_WAITING = 16    # requests of one owner waiting behind the running one (a post takes 4 images; each may be 96 MiB)


@dataclass(frozen=True)
class _Job:
    request: Request
    owner: Hashable
    progress: Progress | None
    done: Done


class RequestLine:
    """Runs ``host.handle`` for submitted requests, oldest first, on one thread; answers ``cancel`` at once."""

    def __init__(self, host: Host | WorkerHost) -> None:
        self.host = host
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._waiting: collections.deque[_Job] = collections.deque()
        self._running: _Job | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="omamori-requests", daemon=True)
        self._thread.start()

    def submit(self, request: Request, *, done: Done, progress: Progress | None = None,
               owner: Hashable = None) -> None:
        """Queue ``request``; ``done`` receives its one reply (from this thread for ``cancel`` and refusals)."""
        if request.type == "cancel":
            done(self._cancel(request, owner))
            return
        with self._lock:
            if sum(job.owner == owner for job in self._waiting) >= MAX_WAITING:
                refused = failure_reply(request.id, request.type, OmamoriError("too_many_requests", limit=MAX_WAITING))
            else:
                self._waiting.append(_Job(request, owner, progress, done))
                self._changed.notify()
                return
        done(refused)

    def _cancel(self, request: Request, owner: Hashable) -> dict[str, Any]:
        try:
            target = cancel_target(request.body)
        except OmamoriError as error:
            return failure_reply(request.id, request.type, error)
        stopped = self._stop(lambda job: job.owner == owner and job.request.id == target)
        return ok_reply(request, {"cancelled": stopped > 0})

    def cancel_all(self, owner: Hashable) -> None:
        """Cancel every request of ``owner`` (its connection closed: nobody will read the replies)."""
        self._stop(lambda job: job.owner == owner)

    def _stop(self, matches: Callable[[_Job], bool]) -> int:
        """Cancel the waiting and running jobs that match; how many were stopped."""
        with self._lock:
            dropped = [job for job in self._waiting if matches(job)]
            for job in dropped:
                self._waiting.remove(job)
            running = self._running
            stopped = running is not None and matches(running) and self.host.cancel(running.request)
        for job in dropped:
            log.info("request %r of type %r cancelled before it ran", job.request.id, job.request.type)
            job.done(failure_reply(job.request.id, job.request.type, OmamoriError("cancelled")))
        return len(dropped) + stopped

    def close(self, *, finish_waiting: bool = True) -> None:
        """Stop taking requests, answer (or drop) the waiting ones, close the host on its thread."""
        with self._lock:
            self._closing = True
            if not finish_waiting:
                self._waiting.clear()
            self._changed.notify()
        self._thread.join()

    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    while not self._waiting and not self._closing:
                        self._changed.wait()
                    if not self._waiting:
                        return
                    job = self._running = self._waiting.popleft()
                reply = self.host.handle(job.request, job.progress)
                with self._lock:
                    self._running = None
                job.done(reply)
        finally:
            self.host.close()   # here: a plain Host's SQLite connection belongs to this thread
