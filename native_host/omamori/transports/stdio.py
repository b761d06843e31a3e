"""The native messaging host: what the browser starts (``omamori-host``).

A short loop around the sans-I/O codec: read stdin, hand requests to the
dispatcher, write framed replies to stdout. Chrome starts the host with the
caller's origin (``chrome-extension://ID/``), Firefox with the manifest path
and the add-on id; both are logged, neither changes behaviour (the browser has
already checked the manifest's allow-list).

stdout carries the protocol and nothing else: the real stdout is kept for the
codec and file descriptor 1 is pointed at stderr, so a stray print from any
library can never corrupt a frame. Logs go to a file in the user's log folder.

Requests run in a worker process under a time limit (``transports.worker``),
one at a time, while stdin is still read (``transports.line``: a ``cancel``
stops the running request at once); ``--time-limit=SECONDS`` replaces the
per-type limits (tests, slow machines).
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
from typing import BinaryIO, Callable

from ..paths import default_paths
from ..protocol.codec import NativeCodec
from ..protocol.envelope import Request, failure_reply, progress_message
from ..protocol.handlers import Host, Progress
from .line import RequestLine
from .worker import WorkerHost

log = logging.getLogger("omamori.host")
READ_SIZE = 1 << 20


def describe_caller(argv: list[str]) -> str:
    """Who started us: a Chrome origin, or Firefox's manifest path + add-on id."""
    origins = [a for a in argv if a.startswith("chrome-extension://")]
    if origins:
        return f"chromium-family {origins[0]}"
    positional = [a for a in argv if not a.startswith("--")]
    if len(positional) >= 2:
        return f"firefox add-on {positional[1]} (manifest {positional[0]})"
    return "unknown caller (started by hand?)"


def time_limit(argv: list[str]) -> float | None:
    """The ``--time-limit=SECONDS`` option, if given (browsers never pass it)."""
    for arg in argv:
        if arg.startswith("--time-limit="):
            return float(arg.partition("=")[2])
    return None


class _Output:
    """The codec's outgoing side and stdout, shared by the reading thread and the request line."""

    def __init__(self, stdout: BinaryIO, codec: NativeCodec, lock: threading.Lock) -> None:
        self.stdout, self.codec, self.lock = stdout, codec, lock
        self.gone = False       # the browser closed stdout

    def send(self, message: dict) -> None:
        with self.lock:
            self.codec.send(message)
            data = self.codec.data_to_send()
            if self.gone or not data:
                return
            try:
                self.stdout.write(data)
                self.stdout.flush()
            except OSError:
                log.info("the browser closed the connection")
                self.gone = True

    def progress_for(self, request_id) -> Progress:
        return lambda stage, fraction: self.send(progress_message(request_id, stage, fraction))


def serve(stdin: BinaryIO, stdout: BinaryIO, host: Host | WorkerHost, codec: NativeCodec | None = None) -> int:
    """Answer requests until the browser closes stdin; returns the exit status.

    Reading goes on while a request runs (``RequestLine``), so a ``cancel`` is answered at once. At the end of
    input the requests already read are still answered, unless the browser closed stdout too.
    """
    codec = codec or NativeCodec()
    lock = threading.Lock()     # the codec: its reading side here, its writing side in _Output
    output = _Output(stdout, codec, lock)
    line = RequestLine(host)
    try:
        while not codec.closed and not output.gone:
            try:
                data = os.read(stdin.fileno(), READ_SIZE)
            except OSError as exc:
                log.warning("reading stdin failed: %s", exc)
                data = b""
            with lock:
                codec.receive_data(data)
                events = list(codec.events())
            for event in events:
                if isinstance(event, Request):
                    line.submit(event, done=output.send, progress=output.progress_for(event.id))
                else:
                    log.info("refused a message: %s %s", event.error.code, event.error.details)
                    output.send(failure_reply(event.id, event.type, event.error))
    finally:
        line.close(finish_waiting=not output.gone)
    return 0


def _setup_logging() -> None:
    paths = default_paths()
    try:
        paths.log.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            paths.host_log_file, maxBytes=1_000_000, backupCount=2, encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler(sys.stderr)   # stderr is safe: it is not the protocol
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def main(argv: list[str] | None = None, *, host_factory: Callable[..., Host] = Host) -> int:
    """The host's entry point; ``host_factory`` makes the worker's dispatcher (``WorkerHost``)."""
    argv = sys.argv[1:] if argv is None else argv
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _setup_logging()
    log.info("host started by %s", describe_caller(argv))
    paths = default_paths()
    host = WorkerHost(paths, time_limit=time_limit(argv), log_file=paths.host_log_file, host_factory=host_factory)
    host.start()
    try:
        return serve(sys.stdin.buffer, protocol_out, host)     # closes the host
    finally:
        log.info("host stopped")


if __name__ == "__main__":
    sys.exit(main())
