"""Where the tracer's ended records go: a thread that makes their spans and exports them.

Not the SDK's `BatchSpanProcessor`: it queues finished `ReadableSpan`s, so every span
would be made on the event loop's thread, one at a time between a workflow's steps, where
that work costs several times what it costs in a batch (its code is cold in the CPU's
caches by the next event; tests/bench/README.md). Here the loop's thread only appends the
record it already holds; the thread wakes every `EXPORT_EVERY_SECS`, makes the spans of
everything queued, warm, and hands them to the exporter in batches.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence
from typing import Protocol

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from axo_tui import __version__

log = logging.getLogger(__name__)

EXPORT_EVERY_SECS = 1.0
MAX_EXPORT_BATCH = 512
"""About this many spans per `export` call (as the SDK's processor batches)."""
MAX_QUEUED = 4096
"""Records waiting for the thread; more are dropped (and counted) while an exporter lags."""


class Ended(Protocol):
    """A run, activation or tool call that has ended, its spans not made yet."""

    def spans(self, resource: Resource, scope: InstrumentationScope) -> list[ReadableSpan]: ...


class SpanSink:
    """Ended records, or spans already made, to `exporter`: from a thread of its own
    (`batch`), or at once in the caller's thread (tests)."""

    def __init__(self, exporter: SpanExporter, *, batch: bool = True) -> None:
        self.exporter = exporter
        self.resource = Resource.create({"service.name": "axo", "service.version": __version__})
        self.scope = InstrumentationScope("axo_tui", __version__)
        self.dropped = 0
        self._closed = False
        self._queue: deque[Ended | ReadableSpan] = deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if batch:
            self._thread = threading.Thread(target=self._run, name="axo-span-export", daemon=True)
            self._thread.start()

    def put(self, item: Ended | ReadableSpan) -> None:
        """Queue `item` (from the loop's thread: an append, nothing made here)."""
        if self._closed:  # after shutdown, as the SDK's processors do: nothing more
            return
        if self._thread is None:
            self._export([item])
        elif len(self._queue) < MAX_QUEUED:
            self._queue.append(item)
        else:
            self.dropped += 1

    def shutdown(self) -> None:
        """Export what is queued, stop the thread, shut the exporter down."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=30)  # it drains the queue as it stops
            self._thread = None
        self._drain()  # what came after, or what a stuck thread left
        self.exporter.shutdown()

    def _run(self) -> None:
        while not self._stop.wait(EXPORT_EVERY_SECS):
            self._drain()
        self._drain()

    def _drain(self) -> None:
        queue, items = self._queue, []
        while True:  # a thread stuck past shutdown's wait may be draining too
            try:
                items.append(queue.popleft())
            except IndexError:
                break
        if self.dropped:
            log.warning("%d traced runs or activations dropped: the exporter lags", self.dropped)
            self.dropped = 0
        if items:
            self._export(items)

    def _export(self, items: Sequence[Ended | ReadableSpan]) -> None:
        """Make and export spans a batch at a time: what is made is dropped young."""
        spans: list[ReadableSpan] = []
        for item in items:
            try:
                if isinstance(item, ReadableSpan):
                    spans.append(item)
                else:
                    spans += item.spans(self.resource, self.scope)
            except Exception:  # a bad record must not stop the others' export
                log.exception("making a span failed")
            if len(spans) >= MAX_EXPORT_BATCH:
                self._send(spans)
                spans = []
        if spans:
            self._send(spans)

    def _send(self, spans: list[ReadableSpan]) -> None:
        try:
            self.exporter.export(spans)
        except Exception:
            log.exception("exporting spans failed")


def span_sink(exporter: SpanExporter, *, batch: bool = True) -> SpanSink:
    """Spans to `exporter`: made and exported off the loop's thread, or at once (tests)."""
    return SpanSink(exporter, batch=batch)
