"""The export thread: spans of what has ended are made and exported while the runtime
runs (not only when it closes), a failing exporter or record loses only its own spans, a
lagging exporter costs dropped records (counted), never memory without bound."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, TraceFlags

from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.telemetry import span_export
from axo_tui.core.telemetry.span_export import span_sink
from axo_tui.core.telemetry.tracing import EventTracer
from tests.support.builders import agent, make_config, scripted


class Recording(SpanExporter):
    """Keeps what it is given and the thread that gave it; fails its first call if told."""

    def __init__(self, *, fail_first: bool = False) -> None:
        self.names: list[str] = []
        self.threads: set[str] = set()
        self.fail_first = fail_first
        self.arrived = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.threads.add(threading.current_thread().name)
        if self.fail_first:
            self.fail_first = False
            raise ConnectionError("collector down")
        self.names += [span.name for span in spans]
        self.arrived.set()
        return SpanExportResult.SUCCESS


def span(name: str) -> ReadableSpan:
    return ReadableSpan(name, SpanContext(1, 2, False, TraceFlags(TraceFlags.SAMPLED)))


class Broken:
    """A record whose spans cannot be made."""

    def spans(self, resource: Resource, scope: InstrumentationScope) -> list[ReadableSpan]:
        raise RuntimeError("bad record")


async def test_spans_are_exported_from_their_thread_while_the_runtime_runs(
    tmp_path: Path,
) -> None:
    exporter = Recording()
    tracer = EventTracer(span_sink(exporter))
    config = make_config(tmp_path, [agent("a")], providers=[scripted({"a": ["hi"]})])
    async with build_runtime(config, subscribers=[tracer]) as rt:
        await rt.run_agent("a", "x")
        assert exporter.arrived.wait(timeout=30), "nothing exported while running"
    tracer.shutdown()
    assert sorted(exporter.names) == ["chat scripted", "invoke_agent a", "run a"]
    assert exporter.threads == {"axo-span-export"}


def test_a_failing_export_or_record_loses_only_its_own_spans(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exporter = Recording(fail_first=True)
    sink = span_sink(exporter, batch=False)
    tracer = EventTracer(sink)
    sink.put(span("first"))  # the collector is down: this one is lost, and said so
    sink.put(Broken())  # a record that cannot be made: said so, nothing sent
    sink.put(span("second"))
    tracer.shutdown()
    assert exporter.names == ["second"]
    assert "exporting spans failed" in caplog.text and "making a span failed" in caplog.text


def test_a_lagging_exporter_drops_records_beyond_the_bound_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(span_export, "MAX_QUEUED", 3)
    monkeypatch.setattr(span_export, "EXPORT_EVERY_SECS", 3600.0)  # only shutdown drains
    exporter = InMemorySpanExporter()
    sink = span_sink(exporter)
    for n in range(5):
        sink.put(span(f"s{n}"))
    sink.shutdown()
    assert [span.name for span in exporter.get_finished_spans()] == ["s0", "s1", "s2"]
    assert "2 traced runs or activations dropped" in caplog.text
    sink.put(span("late"))  # after shutdown: ignored, no error
    assert len(exporter.get_finished_spans()) == 3
