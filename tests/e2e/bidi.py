"""A small WebDriver BiDi client over the `websockets` library: enough to drive firefox-esr without geckodriver.

Commands block until their answer arrives; events go to handlers run on a worker pool, so a handler may itself
send commands (network interception does: it reads the request body, then provides the response).
"""
from __future__ import annotations

import contextlib
import itertools
import json
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from websockets.sync.client import connect


class BiDiError(RuntimeError):
    def __init__(self, method: str, answer: dict) -> None:
        super().__init__(f"{method}: {answer.get('error')}: {answer.get('message')}")
        self.error = answer.get("error")


class BiDi:
    def __init__(self, url: str) -> None:
        self._open = contextlib.ExitStack()  # websockets wants its connection used as a context manager
        self._socket = self._open.enter_context(connect(url, max_size=None, open_timeout=10))
        self._ids = itertools.count(1)
        self._pending: dict[int, Future] = {}
        self._handlers: dict[str, list[Callable[[dict], None]]] = {}
        self._lock = threading.Lock()
        self._workers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bidi-event")
        self.handler_errors: list[BaseException] = []
        self._reader = threading.Thread(target=self._read, name="bidi-reader", daemon=True)
        self._reader.start()

    def command(self, method: str, params: dict | None = None, *, timeout: float = 60.0) -> dict:
        answer: Future = Future()
        with self._lock:
            command_id = next(self._ids)
            self._pending[command_id] = answer
        self._socket.send(json.dumps({"id": command_id, "method": method, "params": params or {}}))
        message = answer.result(timeout=timeout)
        if message.get("type") == "error":
            raise BiDiError(method, message)
        return message["result"]

    def on(self, event: str, handler: Callable[[dict], None]) -> None:
        self._handlers.setdefault(event, []).append(handler)

    def close(self) -> None:
        self._open.close()
        self._reader.join(timeout=5)
        self._workers.shutdown(wait=False, cancel_futures=True)

    def _read(self) -> None:
        try:
            for raw in self._socket:
                message = json.loads(raw)
                if message.get("type") == "event":
                    for handler in self._handlers.get(message["method"], []):
                        self._workers.submit(self._run, handler, message["params"])
                    continue
                with self._lock:
                    answer = self._pending.pop(message.get("id"), None)
                if answer is not None:
                    answer.set_result(message)
        except Exception as exc:  # the connection dropped: fail whoever waits, not silently
            with self._lock:
                waiting = list(self._pending.values())
                self._pending.clear()
            for answer in waiting:
                answer.set_exception(ConnectionError(f"BiDi connection lost: {exc!r}"))

    def _run(self, handler: Callable[[dict], Any], params: dict) -> None:
        try:
            handler(params)
        except BaseException as exc:  # kept for the test to report; a worker thread has nobody else to tell
            self.handler_errors.append(exc)
