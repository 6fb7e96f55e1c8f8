"""What telemetry costs a workflow step: µs per activation with no subscriber, with the
Prometheus metrics, with the tracer (spans exported to an exporter that drops them, so only
axo's and the SDK's own work is timed), and with both. Goal: tracing ≤ 5% of step time.

A 20-agent chain of scripted agents runs `--runs` times per row, rows interleaved over
several rounds so machine noise spreads evenly; the best round is kept. Each row gives wall
time, the loop thread's CPU time and the whole process's CPU time (every thread: the
journal's writer, the tracer's export thread) per activation; the CPU figures are the
steadier ones on a shared machine. Last, the tracer's own time: the same chain with the
tracer timed around each event it is given (what "tracing on" adds to the loop's thread),
and the CPU time of the thread that makes and exports its spans, without the noise of
subtracting two step times.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from axo_tui.core.config.schema import MemorySettings, RecallSettings, WorkflowConfig
from axo_tui.core.events.catalog import Event
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.telemetry.metrics import RuntimeMetrics
from axo_tui.core.telemetry.tracing import EventTracer, span_sink
from tests.support.builders import agent, make_config, scripted

AGENTS = 20


class DroppingExporter(SpanExporter):
    """Drops the spans; notes the CPU time of the thread that makes and exports them."""

    def __init__(self) -> None:
        self.thread_cpu = 0.0
        self.spans = 0

    def export(self, spans: Sequence[object]) -> SpanExportResult:  # type: ignore[override]
        self.spans += len(spans)
        if threading.current_thread().name == "axo-span-export":
            self.thread_cpu = time.thread_time()  # its total so far
        return SpanExportResult.SUCCESS


async def step_us(
    subscribers: list[Callable[[Event], None]], runs: int, root: Path
) -> tuple[float, float, float]:
    """(wall µs, loop-thread CPU µs, process CPU µs) per activation."""
    ids = [f"a{i}" for i in range(AGENTS)]
    # Passive recall off, as in bench_runtime's step table: the embedder would dominate.
    memory = MemorySettings(recall=RecallSettings(passive_inject=False))
    agents = [agent(ids[0], tools=(), memory=memory)] + [
        agent(ids[i], ids[i - 1], tools=(), memory=memory) for i in range(1, AGENTS)
    ]
    config = make_config(
        root,
        agents,
        workflows=[WorkflowConfig(id="chain", agents=tuple(ids))],
        providers=[scripted({i: ["ok"] * (runs + 1) for i in ids})],
    )
    async with build_runtime(config, subscribers=subscribers) as rt:
        await rt.run_workflow("chain", "warm up")
        start, cpu, process = time.perf_counter(), time.thread_time(), time.process_time()
        for _ in range(runs):
            await rt.run_workflow("chain", "go")
        elapsed, cpu = time.perf_counter() - start, time.thread_time() - cpu
        process = time.process_time() - process
    per = runs * AGENTS / 1e6
    return elapsed / per, cpu / per, process / per


class TimedTracer:
    """The tracer, timed around each event: its own cost per step."""

    def __init__(self) -> None:
        self.exporter = DroppingExporter()
        self.tracer = EventTracer(span_sink(self.exporter))
        self.kinds = self.tracer.kinds
        self.seconds = 0.0

    def __call__(self, event: Event) -> None:
        started = time.perf_counter()
        self.tracer(event)
        self.seconds += time.perf_counter() - started


def rows() -> dict[str, Callable[[], tuple[list[Callable[[Event], None]], Callable[[], None]]]]:
    def none() -> tuple[list[Callable[[Event], None]], Callable[[], None]]:
        return [], lambda: None

    def metrics() -> tuple[list[Callable[[Event], None]], Callable[[], None]]:
        return [RuntimeMetrics()], lambda: None

    def tracing() -> tuple[list[Callable[[Event], None]], Callable[[], None]]:
        tracer = EventTracer(span_sink(DroppingExporter()))
        return [tracer], tracer.shutdown

    def both() -> tuple[list[Callable[[Event], None]], Callable[[], None]]:
        tracer = EventTracer(span_sink(DroppingExporter()))
        return [RuntimeMetrics(), tracer], tracer.shutdown

    return {"no telemetry": none, "metrics": metrics, "tracing": tracing, "metrics + tracing": both}


def tracer_time(runs: int) -> tuple[float, float, float]:
    """The tracer's own µs per activation on the loop's thread, its export thread's CPU µs
    per activation, and spans per activation."""
    timed = TimedTracer()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(step_us([timed], runs, Path(tmp)))
    timed.tracer.shutdown()
    activations = (runs + 1) * AGENTS
    return (
        timed.seconds / activations * 1e6,
        timed.exporter.thread_cpu / activations * 1e6,
        timed.exporter.spans / activations,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs, rounds = (5, 2) if args.quick else (args.runs, args.rounds)
    best: dict[str, tuple[float, float, float]] = {}
    own, export, spans = float("inf"), 0.0, 0.0
    for _ in range(rounds):
        for name, make in rows().items():
            subscribers, close = make()
            with tempfile.TemporaryDirectory() as tmp:
                figures = asyncio.run(step_us(subscribers, runs, Path(tmp)))
            close()
            old = best.get(name, figures)
            best[name] = (min(old[0], figures[0]), min(old[1], figures[1]), min(old[2], figures[2]))
        timed = tracer_time(runs)
        if timed[0] + timed[1] < own + export:  # the round least disturbed, as above
            own, export, spans = timed
    base = best["no telemetry"]
    print(
        f"{'telemetry':<20} {'µs/activation':>14} {'vs none':>8} {'loop CPU µs':>12} "
        f"{'vs none':>8} {'all CPU µs':>11} {'vs none':>8}"
    )
    for name, figures in best.items():
        cells = [
            f"{v:>{w}.1f} {(v / b - 1) * 100:>7.1f}%"
            for v, b, w in zip(figures, base, (14, 12, 11), strict=True)
        ]
        print(f"{name:<20} " + " ".join(cells))
    step = base[1]
    print(
        f"the tracer's own time: {own:.1f} µs/activation on the loop's thread, "
        f"{own / step * 100:.1f}% of a step's CPU (goal ≤ 5%); its export thread: "
        f"{export:.1f} µs/activation ({spans:.1f} spans made and exported), "
        f"{(own + export) / step * 100:.1f}% with the loop's share"
    )


if __name__ == "__main__":
    main()
