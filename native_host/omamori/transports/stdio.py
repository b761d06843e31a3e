"""The native messaging host: what the browser starts (``omamori-host``).

A short loop around the sans-I/O codec: read stdin, hand requests to the
dispatcher, write framed replies to stdout. Chrome starts the host with the
caller's origin (``chrome-extension://ID/``), Firefox with the manifest path
and the add-on id; both are logged, neither changes behaviour (the browser has
already checked the manifest's allow-list).

stdout carries the protocol and nothing else: the real stdout is kept for the
codec and file descriptor 1 is pointed at stderr, so a stray print from any
library can never corrupt a frame. Logs go to a file in the user's log folder.

Requests run in a worker process under a time limit (``transports.worker``);
``--time-limit=SECONDS`` replaces the per-type limits (tests, slow machines).
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from typing import BinaryIO

from ..paths import default_paths
from ..protocol.codec import NativeCodec
from ..protocol.envelope import Request, progress_message
from ..protocol.handlers import Host
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


def serve(stdin: BinaryIO, stdout: BinaryIO, host: Host | WorkerHost, codec: NativeCodec | None = None) -> int:
    """Answer requests until the browser closes stdin; returns the exit status."""
    codec = codec or NativeCodec()

    def flush() -> None:
        data = codec.data_to_send()
        if data:
            stdout.write(data)
            stdout.flush()

    while not codec.closed:
        try:
            data = os.read(stdin.fileno(), READ_SIZE)
        except OSError as exc:
            log.warning("reading stdin failed: %s", exc)
            data = b""
        codec.receive_data(data)
        for event in codec.events():
            if isinstance(event, Request):
                def progress(stage: str, fraction: float, request_id=event.id) -> None:
                    codec.send(progress_message(request_id, stage, fraction))
                    try:
                        flush()
                    except OSError:      # the browser left; the reply's flush below ends the loop
                        pass
                codec.send(host.handle(event, progress))
            else:
                log.info("refused a message: %s %s", event.error.code, event.error.details)
                codec.send_failure(event)
            try:
                flush()
            except (BrokenPipeError, OSError):
                log.info("the browser closed the connection")
                return 0
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _setup_logging()
    log.info("host started by %s", describe_caller(argv))
    paths = default_paths()
    host = WorkerHost(paths, time_limit=time_limit(argv), log_file=paths.host_log_file)
    host.start()
    try:
        return serve(sys.stdin.buffer, protocol_out, host)
    finally:
        host.close()
        log.info("host stopped")


if __name__ == "__main__":
    sys.exit(main())
