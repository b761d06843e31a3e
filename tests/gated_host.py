"""A host whose worker holds the requests a test holds: "the worker is busy with this request" for exactly as long as
the test needs, however fast the machine (``WorkerHost(host_factory=...)``, ``stdio.main(host_factory=...)``).

The test holds a request id before sending it (``Gate.hold``), waits until the worker has it (``Gate.wait_entered``)
and lets it run on with ``Gate.release``; requests not held run at once. As a script it is the native host with this
dispatcher: ``python tests/gated_host.py GATE_FOLDER HOST_ARGS...`` (processes.HostProcess(gate=...)).
"""
from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

from omamori.paths import Paths
from omamori.protocol.envelope import Request
from omamori.protocol.handlers import Host, Progress

POLL_S = 0.01


class Gate:
    """The test's side of the gate: a folder the worker looks at."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def hold(self, request_id) -> None:
        (self.folder / f"hold-{request_id}").touch()

    def release(self, request_id) -> None:
        (self.folder / f"hold-{request_id}").unlink()

    def entered(self, request_id) -> bool:
        return (self.folder / f"entered-{request_id}").exists()

    def wait_entered(self, request_id, timeout: float = 120) -> None:
        """Until the worker has the held request ``request_id`` in hand (a new worker imports the engine first)."""
        deadline = time.monotonic() + timeout
        while not self.entered(request_id):
            assert time.monotonic() < deadline, f"the worker did not take request {request_id!r} in {timeout:.0f} s"
            time.sleep(POLL_S)


class GatedHost(Host):
    """``Host`` whose ``handle`` waits, before the request's work, while the test holds the request's id."""

    def __init__(self, paths: Paths, *, transport: str = "native", gate: Path) -> None:
        super().__init__(paths, transport=transport)
        self.gate = gate

    def handle(self, request: Request, progress: Progress | None = None):
        held = self.gate / f"hold-{request.id}"
        if held.exists():
            (self.gate / f"entered-{request.id}").touch()
            while held.exists():
                time.sleep(POLL_S)
        return super().handle(request, progress)


if __name__ == "__main__":
    from omamori.transports import stdio

    # The worker gets the factory by pickle, which names the class by module: gated_host, not __main__. This folder
    # is put on the path by hand, as PYTHONSAFEPATH in the environment would keep a script's folder off it.
    sys.path.insert(0, str(Path(__file__).parent))
    from gated_host import GatedHost as Importable

    sys.exit(stdio.main(sys.argv[2:], host_factory=functools.partial(Importable, gate=Path(sys.argv[1]))))
