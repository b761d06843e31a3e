"""Every request under a time limit: the dispatcher runs in a worker process the transport can kill.

A hostile image or a huge one with the cloak on could keep a request busy for
as long as it likes, and a Python thread cannot be stopped. So the ``Host``
(dispatcher, ledger, key) lives in a child process. The transport keeps only
its codec and calls ``WorkerHost.handle`` exactly as it would ``Host.handle``:
the request goes down a pipe, progress messages come back up, and the reply
is awaited until the request's deadline. Past it, the worker is killed, the
peer gets ``timeout`` and the next request starts a fresh worker.

Killing is safe: the ledger is SQLite in WAL mode with one transaction per
protection, and key, settings and outputs are written through a temporary file
and a rename, so a killed worker leaves the old state or the new one. A worker
that dies on its own (a crash in a decoder, the kernel's OOM killer) is
answered ``internal_error`` and replaced the same way. A ``cancel`` request
(``transports.line``) stops the running request the same way too: its reply is
``cancelled``. A replacement worker is started at once, so the next request
finds it ready. If the transport dies, the worker reads EOF on its pipe and
exits after the request in hand.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import multiprocessing.connection
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from ..errors import OmamoriError, internal_error
from ..paths import Paths
from ..protocol.envelope import Request, failure_reply
from ..protocol.handlers import Host, Progress

log = logging.getLogger(__name__)

# seconds, per request type; the default covers the quick ones (hello searches fonts once). protect and
# cloak.preview leave a slower computer room for a cloaked 2048 px image (its time: docs/cloak.md).
TIME_LIMITS: Mapping[str, float] = {"protect": 300.0, "verify": 60.0, "cloak.preview": 300.0}
DEFAULT_TIME_LIMIT = 30.0
# multiprocessing starts the worker as `python -c ...`, which puts the current folder first on sys.path: a
# multiprocessing.py planted where `omamori serve` was started would run before our code. PYTHONSAFEPATH
# (Python 3.11+) leaves that folder out; nothing of omamori's is imported from it.
WORKER_ENVIRONMENT: Mapping[str, str] = {"PYTHONSAFEPATH": "1"}
STARTUP_LIMIT = 120.0    # seconds a new worker may take to import the engine (not counted in a request's limit)
_STOP_GRACE = 5.0        # seconds a worker gets to close the ledger after its pipe is closed


_environment_lock = threading.Lock()     # os.environ is the process's: one spawn changes it at a time


@contextmanager
def _environment_for_child(variables: Mapping[str, str]) -> Iterator[None]:
    """``variables`` in the environment while a child process is started, the parent's own values back after.

    multiprocessing takes no environment for its child, which copies the parent's as it starts: so the variables
    are there for that moment only, not for the rest of the transport's life.
    """
    with _environment_lock:
        saved = {name: os.environ.get(name) for name in variables}
        os.environ.update(variables)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


class WorkerHost:
    """``Host.handle`` in a killable child process, with a time limit per request.

    ``time_limit`` (seconds), when given, replaces every per-type limit.
    ``log_file``: where the worker logs (None: inherited stderr).
    ``host_factory``: what the worker calls with the paths and ``transport=`` to make its dispatcher, ``Host``; it
    goes to the worker by pickle, so a test can give a subclass that holds a request as long as the test likes.
    """

    def __init__(self, paths: Paths, *, transport: str = "native", time_limit: float | None = None,
                 log_file: Path | None = None, host_factory: Callable[..., Host] = Host) -> None:
        self.paths = paths
        self.transport = transport
        self.time_limit = time_limit
        self.log_file = log_file
        self.host_factory = host_factory
        # spawn, not fork: the same on every OS, and no copy of a transport's threads or sockets.
        self._context = multiprocessing.get_context("spawn")
        self._process: multiprocessing.process.BaseProcess | None = None
        self._pipe: multiprocessing.connection.Connection | None = None
        self._ready = False
        # cancel() comes from the transport's reading thread while handle() waits on the pipe
        self._lock = threading.Lock()
        self._running: Request | None = None
        self._cancelled = False

    @property
    def pid(self) -> int | None:
        """The worker's process id, while one runs."""
        return self._process.pid if self._process is not None else None

    def limit_for(self, request_type: str) -> float:
        return self.time_limit if self.time_limit is not None else TIME_LIMITS.get(request_type, DEFAULT_TIME_LIMIT)

    def start(self) -> None:
        """Start the worker now (it imports the engine while the peer is still connecting)."""
        if self._process is not None:
            return
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=_serve_requests, args=(child_end, self.host_factory, self.paths, self.transport, self.log_file),
            name="omamori-worker", daemon=True)
        with _environment_for_child(WORKER_ENVIRONMENT):
            process.start()
        child_end.close()
        with self._lock:    # cancel() may kill it from now on
            self._process, self._pipe = process, parent_end

    def handle(self, request: Request, progress: Progress | None = None) -> dict[str, Any]:
        """The reply to ``request``: the worker's, or ``timeout`` / ``cancelled`` / ``internal_error``. Never raises."""
        limit = self.limit_for(request.type)
        with self._lock:
            self._running, self._cancelled = request, False
        try:
            self.start()
            if not self._ready:
                if not self._pipe.poll(STARTUP_LIMIT):
                    raise OSError("the worker did not start")
                self._ready = self._pipe.recv() == ("ready",)
            deadline = time.monotonic() + limit
            self._pipe.send(request)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._pipe.poll(remaining):
                    log.warning("request %r of type %r passed its %.0f s limit: worker killed",
                                request.id, request.type, limit)
                    self._replace()
                    return failure_reply(request.id, request.type, OmamoriError("timeout", limit_seconds=limit))
                kind, *payload = self._pipe.recv()
                if kind == "reply":
                    if self._finish():      # cancelled as the reply came: the worker is being killed
                        raise EOFError
                    return payload[0]
                if progress is not None:
                    progress(*payload)
        except (EOFError, OSError):
            cancelled = self._finish()
            if cancelled:
                log.info("request %r of type %r cancelled: worker killed", request.id, request.type)
            else:
                code = self._process.exitcode if self._process is not None else None
                log.error("the worker died during request %r of type %r (exit code %s)", request.id, request.type, code)
            self._replace()
            return failure_reply(request.id, request.type, OmamoriError("cancelled") if cancelled else internal_error())
        finally:
            self._finish()

    def cancel(self, request: Request) -> bool:
        """Stop ``request`` if it is the one running (kill the worker); ``handle`` then answers ``cancelled``."""
        with self._lock:
            if self._running is not request or self._process is None:
                return False
            self._cancelled = True
            self._process.kill()
            return True

    def _finish(self) -> bool:
        """No request runs any more; whether it was cancelled."""
        with self._lock:
            self._running = None
            return self._cancelled

    def _replace(self) -> None:
        """Kill the worker and start another, which imports the engine before the next request comes."""
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._pipe.close()
        self._process, self._pipe, self._ready = None, None, False
        self.start()

    def close(self) -> None:
        """Let the worker finish and close the ledger; kill it if it does not."""
        if self._process is None:
            return
        self._pipe.close()
        self._process.join(_STOP_GRACE)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._process, self._pipe, self._ready = None, None, False


def _serve_requests(pipe: multiprocessing.connection.Connection, host_factory: Callable[..., Host], paths: Paths,
                    transport: str, log_file: Path | None) -> None:
    """The worker's loop: requests in, progress and replies out, until the pipe closes."""
    try:
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    except OSError:                  # an unwritable log folder must not stop the worker
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    host = host_factory(paths, transport=transport)

    def progress(stage: str, fraction: float) -> None:
        pipe.send(("progress", stage, fraction))

    try:
        pipe.send(("ready",))
        while True:
            pipe.send(("reply", host.handle(pipe.recv(), progress)))
    except (EOFError, OSError):      # the transport closed the pipe or died: nobody to answer
        return
    finally:
        host.close()
