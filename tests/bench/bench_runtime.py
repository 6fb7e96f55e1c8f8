"""Runtime benchmarks: lattice routing, bus fan-out, workflow step overhead, and LangGraph.

Run with `.venv/bin/python -m tests.bench.bench_runtime` (axo only) or, for the LangGraph
comparison, `bash tests/bench/setup_bench_env.sh && .venv-bench/bin/python -m
tests.bench.bench_runtime` (what `make bench` does). `--quick` shortens every section.

What is measured, and how it is kept fair:

1. Lattice routing. N agents (10, 100, 1,000) hold skills whose `reacts_to` listens for
   signals: one broadcast signal every agent listens to, and one signal per agent. The
   project threshold is set out of reach, so deposits decay and accumulate but never fire:
   the numbers are routing and pheromone bookkeeping, never an LLM turn.
2. Bus fan-out: `EventBus.emit` with N subscribers (queues drained outside the timing),
   plus the two costly cases: a lagging subscriber at capacity and the journal sink.
3. Workflow step overhead: a 10-agent chain and a 1 -> 100 -> 1 fan-out with a join, on the
   scripted provider with the journal (SQLite WAL) on. Microseconds per activation: the
   median of a few runs, the mean of many more (WAL checkpoints included), and runs
   started at once. Passive recall is off there (the LangGraph nodes recall nothing); a
   separate, time-boxed table measures the default memory settings.
4. A wide fan-out, 1 -> 1,000 -> 1 (`--wide N` for other widths), with the default memory
   settings: the run, then the background work it leaves (every exchange embedded and
   stored, one semantic-memory collection per agent). Each phase should grow linearly with
   the width; 2,000 and 5,000 wide once took 4x and "never" the time of 1,000.
5. The same DAGs in LangGraph with its SQLite checkpointer (see `langgraph_dags.py`): same
   shapes, the same reply per node, durable state on a file in the same temporary folder,
   the same SQLite settings, warm-up runs excluded on both sides, and the contenders
   alternated run by run so the load of a shared machine falls on all of them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import gc
import importlib.util
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axo_tui import process_tuning
from axo_tui.core.config.schema import (
    AgentConfig,
    Config,
    LatticeDefaults,
    MemorySettings,
    ProviderConfig,
    ProviderKind,
    RecallSettings,
    ScriptedStep,
    SkillConfig,
    WorkflowConfig,
)
from axo_tui.core.events.bus import EventBus, Subscription
from axo_tui.core.events.catalog import AgentCompleted, TokenStreamed, UsageRecorded
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.core.store.journal import Journal

INPUT = "Summarise the quarterly report for the team."
WARMUP_RUNS = 2
MIN_RUNS = 3
"""Runs every contender gets in each phase, however long they take."""
UNREACHABLE_THRESHOLD = 1e12
"""Deposits accumulate and decay but never fire, so no LLM turn is ever measured."""

SETUP_HINT = (
    "bash tests/bench/setup_bench_env.sh && .venv-bench/bin/python -m tests.bench.bench_runtime"
    "   (or: make bench)"
)


@dataclass(frozen=True)
class Settings:
    budget: float
    """Seconds each throughput measurement runs for."""
    runs: int
    """Timed single runs per DAG; the median is reported."""
    many: int
    """Further runs (the journal and checkpoint files grow); the mean is reported."""
    batch: int
    """Runs started at once (asyncio.gather) in a concurrent round."""
    rounds: int
    """Concurrent rounds; the median is reported."""
    phase_budget: float
    """Seconds after which a phase (first runs, more runs) starts no more rounds."""
    recall_runs: int
    """Timed runs with passive recall on (after one warm-up run)."""
    recall_budget: float
    """Seconds after which the recall section stops starting runs."""
    lattice_sizes: tuple[int, ...] = (10, 100, 1000)
    wide: tuple[int, ...] = (1000,)
    """Widths of the wide fan-out section."""
    bus_sizes: tuple[int, ...] = (0, 1, 10, 100, 1000)


FULL = Settings(
    budget=0.3,
    runs=15,
    many=12,
    batch=10,
    rounds=2,
    phase_budget=75.0,
    recall_runs=3,
    recall_budget=30.0,
)
QUICK = Settings(
    budget=0.1,
    runs=3,
    many=3,
    batch=4,
    rounds=1,
    phase_budget=10.0,
    recall_runs=1,
    recall_budget=10.0,
)


# --------------------------------------------------------------------------- tables
def print_table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], notes: Sequence[str] = ()
) -> None:
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(width) if index == 0 else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    print(f"\n### {title}\n")
    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))
    for note in notes:
        print(f"  {note}")
    sys.stdout.flush()


def fmt_rate(per_second: float) -> str:
    return f"{per_second:,.0f}"


def fmt_us(microseconds: float) -> str:
    return f"{microseconds:,.1f}" if microseconds < 1000 else f"{microseconds:,.0f}"


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.2f}x"


# ------------------------------------------------------------------------- timing
def timed_loop(step: Callable[[], int], budget: float) -> tuple[int, float]:
    """Call `step` (which returns how many operations it did) until `budget` seconds pass."""
    gc.collect()
    operations = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < budget:
        operations += step()
        elapsed = time.perf_counter() - start
    return operations, elapsed


async def async_timed_loop(step: Callable[[], Awaitable[int]], budget: float) -> tuple[int, float]:
    gc.collect()
    operations = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < budget:
        operations += await step()
        elapsed = time.perf_counter() - start
    return operations, elapsed


# ------------------------------------------------------------ 1. lattice routing
def lattice_config(directory: Path, agents: int) -> Config:
    ids = tuple(f"s{i}" for i in range(agents))
    broadcast = SkillConfig(id="broadcast", reacts_to=("Tick",), agents=ids, prompt="react")
    own = tuple(
        SkillConfig(id=f"own{i}", reacts_to=(f"sig{i}",), agents=(agent,), prompt="react")
        for i, agent in enumerate(ids)
    )
    return Config(
        path=directory / "axo.yaml",
        agents=tuple(AgentConfig(id=agent, provider="scripted", tools=()) for agent in ids),
        skills=(broadcast, *own),
        providers=(ProviderConfig(name="scripted", kind=ProviderKind.SCRIPTED),),
        lattice=LatticeDefaults(threshold=UNREACHABLE_THRESHOLD, decay=0.1),
    )


FIRED = "a deposit fired: the threshold is meant to be out of reach"


async def bench_lattice(tmp: Path, settings: Settings) -> None:
    rows: list[list[str]] = []
    for size in settings.lattice_sizes:
        directory = tmp / f"lattice-{size}"
        async with build_runtime(lattice_config(directory, size), data_dir=directory) as rt:
            rows += await _lattice_rows(rt, size, settings)
    print_table(
        "1a. Ambient lattice routing (journal on, thresholds out of reach: no LLM turns)",
        ["agents", "path", "listeners/signal", "signals/s", "deposits/s", "µs/signal"],
        rows,
        [
            "PheromoneField.deposit: the decay/accumulate/threshold math alone.",
            "routed in a run: AmbientRouter._deposit: listener lookup + deposit + events"
            " (SignalEmitted journaled, one LatticeSignal per listener).",
            "rt.emit_signal: the public path, one ambient run per signal (run row, RunStarted,"
            " RunCompleted, usage query, scope drop).",
            "broadcast: every agent listens for the signal; targeted: one listener per signal.",
        ],
    )


async def _lattice_rows(rt: Runtime, size: int, settings: Settings) -> list[list[str]]:
    rows: list[list[str]] = []
    ambient = rt.ambient
    pheromones = ambient.field
    listeners = ambient.listeners("Tick")
    assert len(listeners) == size
    counter = iter(range(1 << 62))

    def deposit_batch() -> int:
        for _ in range(10):
            pheromones.deposit("Tick", listeners)
        return 10

    signals, seconds = timed_loop(deposit_batch, settings.budget)
    rows.append(_lattice_row(size, "PheromoneField.deposit", size, signals, seconds))

    # Routing inside one open ambient run (private API: the closest thing to "routing only").
    open_run = getattr(ambient, "_open_run", None)
    route = getattr(ambient, "_deposit", None)
    close_run = getattr(ambient, "_close_run", None)
    if open_run is not None and route is not None and close_run is not None:
        run = open_run("signal", "bench", "")

        def route_broadcast() -> int:
            if route(run, "Tick", "payload", "user", 0):
                raise AssertionError(FIRED)
            return 1

        def route_targeted() -> int:
            for _ in range(10):
                if route(run, f"sig{next(counter) % size}", "payload", "user", 0):
                    raise AssertionError(FIRED)
            return 10

        signals, seconds = timed_loop(route_broadcast, settings.budget)
        rows.append(_lattice_row(size, "routed in a run, broadcast", size, signals, seconds))
        signals, seconds = timed_loop(route_targeted, settings.budget)
        rows.append(_lattice_row(size, "routed in a run, targeted", 1, signals, seconds))
        await close_run(run, "signal", "bench")
    else:
        rows.append([str(size), "routed in a run (API changed)", "-", "n/a", "n/a", "n/a"])

    async def emit_targeted() -> int:
        result = await rt.emit_signal(f"sig{next(counter) % size}", "payload")
        if result.activations:
            raise AssertionError(FIRED)
        return 1

    async def emit_broadcast() -> int:
        result = await rt.emit_signal("Tick", "payload")
        if result.activations:
            raise AssertionError(FIRED)
        return 1

    signals, seconds = await async_timed_loop(emit_targeted, settings.budget)
    rows.append(_lattice_row(size, "rt.emit_signal, targeted", 1, signals, seconds))
    signals, seconds = await async_timed_loop(emit_broadcast, settings.budget)
    rows.append(_lattice_row(size, "rt.emit_signal, broadcast", size, signals, seconds))
    return rows


def _lattice_row(size: int, path: str, listeners: int, signals: int, seconds: float) -> list[str]:
    per_second = signals / seconds
    return [
        str(size),
        path,
        str(listeners),
        fmt_rate(per_second),
        fmt_rate(per_second * listeners),
        fmt_us(1e6 / per_second),
    ]


# --------------------------------------------------------------- 2. bus fan-out
def bench_bus(tmp: Path, settings: Settings) -> None:
    rows: list[list[str]] = []
    batch = 200

    def measure(emit: Callable[[], None], drain: Callable[[], None]) -> float:
        """Microseconds per emit; draining the subscriber queues is not timed."""
        gc.collect()
        spent = 0.0
        events = 0
        while spent < settings.budget:
            start = time.perf_counter()
            for _ in range(batch):
                emit()
            spent += time.perf_counter() - start
            events += batch
            drain()
        return spent / events * 1e6

    def token(bus: EventBus) -> Callable[[], None]:
        return lambda: bus.emit(
            TokenStreamed, run_id="r1", agent_id="a", activation_id="x", text="tok"
        )

    base_us: float | None = None
    for size in settings.bus_sizes:
        bus = EventBus()
        subs = [bus.subscribe() for _ in range(size)]

        def drain(subs: list[Subscription] = subs) -> None:
            for sub in subs:
                sub.drain()

        us = measure(token(bus), drain)
        if base_us is None:
            base_us = us
        per_subscriber = f"{(us - base_us) / size * 1000:,.0f}" if size else "-"
        rows.append([str(size), "all events", fmt_us(us), fmt_rate(1e6 / us), per_subscriber])

    bus = EventBus()
    filtered = [bus.subscribe(run_id="another-run") for _ in range(100)]

    def drain_filtered() -> None:
        for sub in filtered:
            sub.drain()

    us = measure(token(bus), drain_filtered)
    rows.append(["100", "filtered to another run", fmt_us(us), fmt_rate(1e6 / us), "-"])

    # A subscriber that stopped reading (a hung WebSocket client, a paused TUI): its queue
    # is at capacity with transcript events, so each status event scans it to coalesce.
    bus = EventBus()
    lagging = bus.subscribe()
    for _ in range(lagging.capacity):
        bus.emit(TokenStreamed, run_id="r1", agent_id="a", activation_id="x", text="tok")

    def status_event() -> None:
        bus.emit(
            UsageRecorded,
            run_id="r1",
            agent_id="a",
            provider="p",
            model="m",
            prompt_tokens=1,
            completion_tokens=1,
        )

    us = measure(status_event, lambda: None)
    rows.append(
        [
            "1",
            f"lagging, {lagging.capacity:,} queued (status event coalesced)",
            fmt_us(us),
            fmt_rate(1e6 / us),
            "-",
        ]
    )

    journal = Journal(tmp / "bus-journal" / "axo.db")
    bus = EventBus()
    bus.add_sink(journal.record_event)
    us = measure(
        lambda: bus.emit(
            AgentCompleted, run_id="r1", agent_id="a", activation_id="x", output="done"
        ),
        lambda: None,
    )
    journal.close()
    rows.append(
        ["0", "journal sink (journaled event, SQLite WAL)", fmt_us(us), fmt_rate(1e6 / us), "-"]
    )
    print_table(
        "1b. Event bus fan-out: EventBus.emit (TokenStreamed unless noted)",
        ["subscribers", "case", "µs/event", "events/s", "ns per extra subscriber"],
        rows,
    )


# ----------------------------------------------------------- 3. workflow steps
@dataclass(frozen=True)
class Dag:
    name: str
    label: str
    nodes: tuple[str, ...]
    deps: dict[str, tuple[str, ...]]

    @property
    def replies(self) -> dict[str, str]:
        """What each node answers: small, and the same on both sides of the comparison."""
        return {node: f"{node} done ({len(self.deps[node])} upstream)" for node in self.nodes}


def chain(length: int) -> Dag:
    nodes = tuple(f"a{i}" for i in range(length))
    deps = {node: (nodes[i - 1],) if i else () for i, node in enumerate(nodes)}
    return Dag(f"chain{length}", f"chain of {length}", nodes, deps)


def fan_out(width: int) -> Dag:
    workers = tuple(f"w{i}" for i in range(width))
    deps: dict[str, tuple[str, ...]] = {"root": ()}
    deps.update(dict.fromkeys(workers, ("root",)))
    deps["sink"] = workers
    return Dag(f"fan{width}", f"1 -> {width} -> 1", ("root", *workers, "sink"), deps)


def workflow_config(directory: Path, dag: Dag, *, recall: bool = False) -> Config:
    """The DAG as an axo workflow. Passive recall is off unless asked for: the LangGraph
    nodes recall nothing, and the cost of recall has a table of its own."""
    replies = dag.replies
    memory = MemorySettings(recall=RecallSettings(passive_inject=recall))
    return Config(
        path=directory / "axo.yaml",
        agents=tuple(
            AgentConfig(
                id=node, provider="scripted", depends_on=dag.deps[node], tools=(), memory=memory
            )
            for node in dag.nodes
        ),
        workflows=(WorkflowConfig(id="w", agents=dag.nodes),),
        providers=(
            ProviderConfig(
                name="scripted",
                kind=ProviderKind.SCRIPTED,
                replies=tuple(
                    (node, (ScriptedStep(text=replies[node], usage_prompt=16, usage_completion=4),))
                    for node in dag.nodes
                ),
            ),
        ),
    )


RunOnce = Callable[[], Awaitable[dict[str, str]]]
"""Runs a DAG once and returns every node's output."""


@dataclass
class Contender:
    """One side of the comparison, with its timings in µs per step (activation / node)."""

    name: str
    run: RunOnce
    concurrent: bool
    first: list[float] = field(default_factory=list)
    first_cpu: list[float] = field(default_factory=list)
    """CPU time (all threads of the process) per step in the first runs, settling included."""
    many: list[float] = field(default_factory=list)
    together: list[float] = field(default_factory=list)
    settle: Callable[[], Awaitable[None]] | None = None
    """Work a run leaves behind (axo's background memory store), waited for after each
    timed run so that it never runs into the next contender's timing; timed on its own."""
    settled: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.first)

    @property
    def amortised(self) -> float:
        # The mean, not the median: WAL checkpoints (the fsyncs) land in a few runs only
        # and are part of the cost of many runs.
        return statistics.fmean(self.many)

    @property
    def at_once(self) -> float | None:
        return statistics.median(self.together) if self.together else None

    @property
    def settle_median(self) -> float | None:
        return statistics.median(self.settled) if self.settled else None

    async def settle_after(self, steps: int, *, record: bool) -> None:
        if self.settle is None:
            return
        start = time.perf_counter()
        await self.settle()
        if record:
            self.settled.append((time.perf_counter() - start) / steps * 1e6)


async def race(contenders: Sequence[Contender], dag: Dag, settings: Settings) -> None:
    """Time every contender on the same DAG, alternating them run by run so that the load
    of a shared machine falls on all of them alike."""
    steps, expected = len(dag.nodes), dag.replies
    for contender in contenders:
        for _ in range(WARMUP_RUNS):
            _check(await contender.run(), expected)
            await contender.settle_after(steps, record=False)
    for phase, count in (("first", settings.runs), ("many", settings.many)):
        phase_started = time.perf_counter()
        for index in range(count):
            if index >= MIN_RUNS and time.perf_counter() - phase_started > settings.phase_budget:
                break  # a slow runtime still gets a few runs, and the bench still ends
            order = contenders if index % 2 == 0 else list(reversed(contenders))
            for contender in order:
                gc.collect()
                cpu_start = time.process_time()
                start = time.perf_counter()
                outputs = await contender.run()
                elapsed = time.perf_counter() - start
                _check(outputs, expected)
                getattr(contender, phase).append(elapsed / steps * 1e6)
                await contender.settle_after(steps, record=phase == "first")
                if phase == "first":
                    cpu = time.process_time() - cpu_start
                    contender.first_cpu.append(cpu / steps * 1e6)
    for _ in range(settings.rounds):
        for contender in contenders:
            if not contender.concurrent:
                continue
            gc.collect()
            start = time.perf_counter()
            results = await asyncio.gather(*(contender.run() for _ in range(settings.batch)))
            elapsed = time.perf_counter() - start
            for outputs in results:
                _check(outputs, expected)
            contender.together.append(elapsed / (steps * settings.batch) * 1e6)
            await contender.settle_after(steps, record=False)


def _check(outputs: dict[str, str], expected: dict[str, str]) -> None:
    if outputs != expected:
        missing = sorted(set(expected) - set(outputs))
        raise AssertionError(f"wrong outputs (missing {missing[:5]}): the DAGs do not match")


async def bench_dag(
    tmp: Path, dag: Dag, settings: Settings, lg: Any
) -> tuple[Contender, list[Contender]]:
    """axo and (when `lg` is given) LangGraph's variants on one DAG, timed together."""
    directory = tmp / f"axo-{dag.name}"
    async with contextlib.AsyncExitStack() as stack:
        rt = await stack.enter_async_context(
            build_runtime(workflow_config(directory, dag), data_dir=directory)
        )

        async def run_axo() -> dict[str, str]:
            result = await rt.run_workflow("w", INPUT)
            if not result.ok or result.activations != len(dag.nodes):
                raise AssertionError(f"{dag.name}: run {result.status}: {result.errors}")
            return result.outputs

        axo = Contender("axo", run_axo, concurrent=True, settle=_memory_flush(rt))
        others: list[Contender] = []
        if lg is not None:
            for durability in ("sync", "async"):
                graph = await lg.AsyncLangGraphDag.create(
                    dag.nodes,
                    dag.deps,
                    dag.replies,
                    tmp / f"lg-async-{durability}-{dag.name}.db",
                    durability=durability,
                )
                stack.push_async_callback(graph.close)
                others.append(
                    Contender(
                        f"async/{durability}",
                        functools.partial(graph.run, INPUT),
                        concurrent=True,
                    )
                )
                sync_graph = lg.SyncLangGraphDag(
                    dag.nodes,
                    dag.deps,
                    dag.replies,
                    tmp / f"lg-sync-{durability}-{dag.name}.db",
                    durability=durability,
                )
                stack.callback(sync_graph.close)
                others.append(
                    Contender(f"sync/{durability}", _on_this_thread(sync_graph), concurrent=False)
                )
        await race([axo, *others], dag, settings)
        return axo, others


def _memory_flush(rt: Runtime) -> Callable[[], Awaitable[None]]:
    """What a run leaves to the background, waited for: the semantic memory store (every
    exchange embedded and stored) and the agents' checkpoint files (fsynced, written in
    batches behind the turns)."""

    async def settle() -> None:
        memory = getattr(rt, "memory", None)
        flush = getattr(memory, "flush", None)
        if callable(flush):
            await flush()
        await rt.supervisor.settled()

    return settle


def _on_this_thread(graph: Any) -> RunOnce:
    async def run() -> dict[str, str]:
        # LangGraph's sync API runs on the calling thread (plus its own pool for parallel
        # nodes), as it would in a script; it blocks the loop, and nothing else is running.
        outputs: dict[str, str] = graph.run(INPUT)
        return outputs

    return run


def _runs(results: Sequence[tuple[Dag, Contender]], phase: str) -> str:
    """How many runs a phase got (the same for every contender of a DAG; may differ by DAG)."""
    counts = sorted({len(getattr(contender, phase)) for _, contender in results})
    return "/".join(str(count) for count in counts)


def print_axo_steps(results: Sequence[tuple[Dag, Contender]], settings: Settings) -> None:
    rows = [
        [
            dag.label,
            str(len(dag.nodes)),
            fmt_us(axo.median),
            fmt_us(min(axo.first)),
            fmt_us(axo.amortised),
            fmt_us(axo.at_once or 0.0),
            fmt_us(axo.settle_median) if axo.settle_median is not None else "-",
            fmt_us(statistics.median(axo.first_cpu)),
        ]
        for dag, axo in results
    ]
    print_table(
        "2. axo workflow step overhead (scripted provider, journal on: SQLite WAL)",
        [
            "DAG",
            "activations/run",
            f"median µs/act ({_runs(results, 'first')} runs)",
            "best µs/act",
            f"mean µs/act ({_runs(results, 'many')} more runs)",
            f"µs/act, {settings.batch} runs at once",
            "background work after the run, µs/act",
            "CPU µs/act, store included",
        ],
        rows,
        [
            f"{WARMUP_RUNS} warm-up runs excluded; µs/act = run wall time / activations.",
            "Passive recall off (as in the comparison). A run returns once its journal is"
            " committed (the durability LangGraph's dur=sync gives). Each activation also"
            " leaves background work: its exchange embedded and stored for semantic recall,"
            " and the agent's checkpoint file written and fsynced (in 20 ms batches). Both are"
            " waited for after each run, outside the run's time, and shown apart.",
            "CPU counts every thread of the process (embedding included); CPU well below wall"
            " time means waiting: fsync (agent checkpoints, WAL checkpoints), or other"
            " processes on a busy machine.",
        ],
    )


async def bench_recall(
    tmp: Path, lean: Sequence[tuple[Dag, Contender]], settings: Settings
) -> None:
    """The same DAGs with the default memory settings (passive recall on): what a project
    that does not turn recall off pays per step. Time-boxed: recall can be slow."""
    rows: list[list[str]] = []
    for dag, axo in lean:
        directory = tmp / f"axo-recall-{dag.name}"
        per_run: list[float] = []
        async with build_runtime(
            workflow_config(directory, dag, recall=True), data_dir=directory
        ) as rt:
            # Recall starts once earlier sessions are stored, so the warm-up run is the one
            # that gives the timed runs something to recall.
            flush = _memory_flush(rt)
            started = time.perf_counter()
            last_run = 0.0
            for index in range(1 + settings.recall_runs):
                if index > 1 and time.perf_counter() - started + last_run > settings.recall_budget:
                    break  # the next run would end past the budget
                run_started = time.perf_counter()
                result = await rt.run_workflow("w", INPUT)
                if not result.ok:
                    raise AssertionError(f"{dag.name}: run {result.status}: {result.errors}")
                last_run = time.perf_counter() - run_started
                if index:
                    per_run.append(last_run / len(dag.nodes) * 1e6)
                await flush()  # so the next run has this one's exchanges to recall
        median = statistics.median(per_run)
        rows.append(
            [
                dag.label,
                str(len(per_run)),
                fmt_us(median),
                fmt_us(axo.median),
                fmt_ratio(median / axo.median),
            ]
        )
    print_table(
        "2b. axo step overhead with the default memory settings (passive recall on)",
        ["DAG", "timed runs", "median µs/act", "recall off (table 2)", "cost of recall"],
        rows,
        [
            "1 warm-up run (it stores the memories the next runs recall), the memory store"
            " flushed after every run, outside the timing; at least one timed run, no run"
            f" started that would end past {settings.recall_budget:.0f} s per DAG.",
        ],
    )


async def bench_wide(tmp: Path, widths: Sequence[int]) -> None:
    """1 -> N -> 1 with the default memory settings, one run per width in a fresh data dir:
    starting the branches, finishing them into the join, and storing their exchanges."""
    rows: list[list[str]] = []
    for width in widths:
        dag = fan_out(width)
        directory = tmp / f"axo-wide-{width}"
        started = time.perf_counter()
        async with build_runtime(
            workflow_config(directory, dag, recall=True), data_dir=directory
        ) as rt:
            opened = time.perf_counter()
            result = await rt.run_workflow("w", INPUT)
            ran = time.perf_counter()
            if not result.ok or result.activations != len(dag.nodes):
                raise AssertionError(f"{dag.name}: run {result.status}: {result.errors}")
            await _memory_flush(rt)()
            settled = time.perf_counter()
        closed = time.perf_counter()
        activations = len(dag.nodes)
        rows.append(
            [
                dag.label,
                f"{opened - started:.2f}",
                f"{ran - opened:.2f}",
                fmt_us((ran - opened) / activations * 1e6),
                f"{settled - ran:.2f}",
                fmt_us((settled - ran) / activations * 1e6),
                f"{closed - settled:.2f}",
            ]
        )
    print_table(
        "2c. Wide fan-out, default memory settings (scripted provider, journal on)",
        ["DAG", "open s", "run s", "run µs/act", "store s", "store µs/act", "close s"],
        rows,
        [
            "One run per width in a fresh data dir. run: run_workflow until the join's output;"
            " store: every exchange embedded (MiniLM) and stored (a collection per agent) and"
            " the checkpoints written, waited for after the run; close: the runtime closed.",
            "Linear means µs/act stays flat as the width grows (--wide N, repeatable).",
        ],
    )


LG_VARIANTS = (
    ("async/sync", "LG async dur=sync"),
    ("sync/sync", "LG sync dur=sync"),
    ("async/async", "LG async dur=async"),
    ("sync/async", "LG sync dur=async"),
)


def print_comparison(
    results: Sequence[tuple[Dag, Contender, list[Contender]]], settings: Settings
) -> None:
    rows: list[list[str]] = []
    ratios: list[float] = []
    pairs = [(dag, axo) for dag, axo, _ in results]
    modes: tuple[tuple[str, Callable[[Contender], float | None]], ...] = (
        (f"median of {_runs(pairs, 'first')} runs", lambda c: c.median),
        (f"mean of {_runs(pairs, 'many')} more runs", lambda c: c.amortised),
        (f"{settings.batch} runs at once", lambda c: c.at_once),
    )
    for dag, axo, others in results:
        by_name = {contender.name: contender for contender in others}
        for mode, pick in modes:
            axo_us = pick(axo)
            assert axo_us is not None
            row = [dag.label, mode, fmt_us(axo_us)]
            durable = []
            for key, _ in LG_VARIANTS:
                value = pick(by_name[key])
                row.append(fmt_us(value) if value is not None else "-")
                if value is not None and key.endswith("/sync"):
                    durable.append(value)
            ratio = min(durable) / axo_us
            ratios.append(ratio)
            row.append(fmt_ratio(ratio))
            rows.append(row)
    print_table(
        "3. µs per step, axo vs LangGraph, durable state on both sides (SQLite files, WAL)",
        ["DAG", "mode", "axo", *(label for _, label in LG_VARIANTS), "best LG dur=sync / axo"],
        rows,
        [
            "LG async = graph.ainvoke + AsyncSqliteSaver (aiosqlite, its own thread);"
            " LG sync = graph.invoke + SqliteSaver.",
            "dur=sync: a superstep's checkpoint is committed before the next one starts, the"
            " guarantee axo's journal gives per activation. dur=async, LangGraph's default,"
            " writes it while the next step runs (shown for reference, not in the ratio).",
            "Same DAG, same reply per node, synchronous=NORMAL on both, a new run (thread_id)"
            f" each time, {WARMUP_RUNS} warm-up runs each excluded, contenders alternated run"
            " by run.",
            f"Ratio > 1 means axo is faster per step. Range over the rows: {min(ratios):.2f}x"
            f" to {max(ratios):.2f}x (goal: >= 2x).",
        ],
    )


def load_langgraph() -> Any:
    missing = [
        name
        for name in ("langgraph", "langgraph.checkpoint.sqlite", "aiosqlite")
        if not _importable(name)
    ]
    if missing:
        print(
            f"\n### 3. axo vs LangGraph: skipped ({', '.join(missing)} not installed in"
            f" {sys.prefix}).\n  For the comparison run: {SETUP_HINT}"
        )
        return None
    from tests.bench import langgraph_dags

    return langgraph_dags


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def header() -> None:
    versions = [f"python {platform.python_version()}", f"sqlite {sqlite3.sqlite_version}"]
    try:
        from importlib.metadata import version

        versions.append(f"langgraph {version('langgraph')}")
        versions.append(f"langgraph-checkpoint-sqlite {version('langgraph-checkpoint-sqlite')}")
    except Exception:
        versions.append("langgraph not installed")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"## axo runtime benchmarks: {'; '.join(versions)}; {os.cpu_count()} cores,"
        f" load average {load}"
    )


async def main_async(settings: Settings, sections: set[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="axo-bench-") as name:
        tmp = Path(name)
        if "lattice" in sections:
            await bench_lattice(tmp, settings)
        if "bus" in sections:
            bench_bus(tmp, settings)
        if "wide" in sections:
            await bench_wide(tmp, settings.wide)
        if not sections & {"steps", "langgraph", "recall"}:
            return
        lg = load_langgraph() if "langgraph" in sections else None
        results = []
        for dag in (chain(10), fan_out(100)):
            axo, others = await bench_dag(tmp, dag, settings, lg)
            results.append((dag, axo, others))
        print_axo_steps([(dag, axo) for dag, axo, _ in results], settings)
        if lg is not None:
            print_comparison(results, settings)
        if "recall" in sections:
            await bench_recall(tmp, [(dag, axo) for dag, axo, _ in results], settings)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_runtime")
    parser.add_argument("--quick", action="store_true", help="short runs, for development")
    parser.add_argument(
        "--only",
        action="append",
        choices=["lattice", "bus", "wide", "steps", "langgraph", "recall"],
        help="run only these sections (repeatable)",
    )
    parser.add_argument(
        "--wide",
        action="append",
        type=int,
        metavar="N",
        help="width of the wide fan-out section (repeatable; default 1000)",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.wide:
        settings = dataclasses.replace(settings, wide=tuple(args.wide))
    header()
    sections = args.only or ["lattice", "bus", "wide", "steps", "langgraph", "recall"]
    # Measured as the `axo` command runs: its entry point tunes the collector, the library no
    # longer does (see axo_tui.process_tuning).
    process_tuning.tune_for_axo()
    asyncio.run(main_async(settings, set(sections)))


if __name__ == "__main__":
    main()
