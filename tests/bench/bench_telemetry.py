"""What telemetry costs a workflow step: µs per activation with no subscriber, with the
Prometheus metrics, with the tracer (spans batched to an exporter that drops them, so only
axo's and the SDK's own work is timed), and with both. Goal: tracing ≤ 5% of step time.

A 20-agent chain of scripted agents runs `--runs` times per row, rows interleaved over
several rounds so machine noise spreads evenly; the best round is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from axo_tui.core.config.schema import MemorySettings, RecallSettings, WorkflowConfig
from axo_tui.core.events.catalog import Event
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.telemetry.metrics import RuntimeMetrics
from axo_tui.core.telemetry.tracing import EventTracer, tracer_provider
from tests.support.builders import agent, make_config, scripted

AGENTS = 20


class DroppingExporter(SpanExporter):
    def export(self, spans: Sequence[object]) -> SpanExportResult:  # type: ignore[override]
        return SpanExportResult.SUCCESS


async def step_us(subscribers: list[Callable[[Event], None]], runs: int, root: Path) -> float:
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
        start = time.perf_counter()
        for _ in range(runs):
            await rt.run_workflow("chain", "go")
        elapsed = time.perf_counter() - start
    return elapsed / (runs * AGENTS) * 1e6


def rows() -> dict[str, Callable[[], tuple[list[Callable[[Event], None]], Callable[[], None]]]]:
    def none() -> tuple[list[Callable[[Event], None]], Callable[[], None]]:
        return [], lambda: None

    def metrics() -> tuple[list[Callable[[Event], None]], Callable[[], None]]:
        return [RuntimeMetrics()], lambda: None

    def tracing() -> tuple[list[Callable[[Event], None]], Callable[[], None]]:
        tracer = EventTracer(tracer_provider(DroppingExporter()))
        return [tracer], tracer.shutdown

    def both() -> tuple[list[Callable[[Event], None]], Callable[[], None]]:
        tracer = EventTracer(tracer_provider(DroppingExporter()))
        return [RuntimeMetrics(), tracer], tracer.shutdown

    return {"no telemetry": none, "metrics": metrics, "tracing": tracing, "metrics + tracing": both}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs, rounds = (5, 2) if args.quick else (args.runs, args.rounds)
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, make in rows().items():
            subscribers, close = make()
            with tempfile.TemporaryDirectory() as tmp:
                us = asyncio.run(step_us(subscribers, runs, Path(tmp)))
            close()
            best[name] = min(best.get(name, us), us)
    base = best["no telemetry"]
    print(f"{'telemetry':<20} {'µs/activation':>14} {'vs none':>9}")
    for name, us in best.items():
        print(f"{name:<20} {us:>14.1f} {(us / base - 1) * 100:>8.1f}%")


if __name__ == "__main__":
    main()
