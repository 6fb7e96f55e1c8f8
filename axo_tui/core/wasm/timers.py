"""One thread that fires callbacks when they are due (guest timers, restart backoffs)."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable


class TimerThread:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def call_later(self, delay_secs: float, callback: Callable[[], None]) -> None:
        with self._cond:
            if self._closed:
                return
            heapq.heappush(self._heap, (time.monotonic() + delay_secs, next(self._seq), callback))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="axo-wasm-timers", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._heap or self._heap[0][0] > time.monotonic()):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._closed:
                    return
                _, _, callback = heapq.heappop(self._heap)
            callback()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
