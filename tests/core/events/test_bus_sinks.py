"""A sink that declares the kinds it reads (the tracer, the metrics) is given only those,
and the bus builds no other event for it: attaching a tracer emits no token events."""

from __future__ import annotations

from pathlib import Path

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import AgentActivated, Event, TokenStreamed
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.telemetry.metrics import RuntimeMetrics
from axo_tui.core.telemetry.tracing import EventTracer, span_sink
from tests.support.builders import agent, make_config, scripted


class Picky:
    kinds = frozenset({AgentActivated.kind})

    def __init__(self) -> None:
        self.got: list[str] = []

    def __call__(self, event: Event) -> None:
        self.got.append(event.kind)


def test_a_sink_with_kinds_gets_only_those_and_wants_nothing_else() -> None:
    bus, picky = EventBus(), Picky()
    bus.add_sink(picky)
    assert bus.wanted(AgentActivated) and not bus.wanted(TokenStreamed)
    bus.emit(TokenStreamed, activation_id="x", text="t")
    bus.emit(AgentActivated, activation_id="x", trigger="input", input="q")
    assert picky.got == ["agent.activated"]
    bus.remove_sink(picky)
    assert not bus.wanted(AgentActivated)
    bus.emit(AgentActivated, activation_id="y", trigger="input", input="q")
    assert picky.got == ["agent.activated"]


async def test_a_runtime_with_a_tracer_and_metrics_builds_no_token_events(
    tmp_path: Path,
) -> None:
    tracer = EventTracer(span_sink(InMemorySpanExporter(), batch=False))
    config = make_config(tmp_path, [agent("a")], providers=[scripted({"a": ["hello there"]})])
    async with build_runtime(config, subscribers=[tracer, RuntimeMetrics()]) as runtime:
        assert not runtime.bus.wanted(TokenStreamed)
        assert runtime.bus.wanted(AgentActivated)
        result = await runtime.run_agent("a", "hi")
    tracer.shutdown()
    assert result.ok
