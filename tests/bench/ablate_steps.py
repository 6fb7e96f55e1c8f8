"""Where a workflow step's time goes: the step benchmark with one part of the work left out.

Run with `.venv/bin/python -m tests.bench.ablate_steps [--dag fan|chain] [--runs N]`.

Each row runs the DAG of `bench_runtime` (scripted provider, journal on) in a fresh process
with one piece of per-activation work replaced by a no-op, and prints the best and median
µs per activation. The difference to the `full` row is what that piece costs. The no-op
versions are for measuring only: they break durability or memory, never use them otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.bench.bench_runtime import (
    INPUT,
    _memory_flush,
    chain,
    fan_out,
    print_table,
    workflow_config,
)


def _no_events() -> None:
    from axo_tui.core.store import journal

    journal.Journal.record_event = lambda self, event: None  # type: ignore[method-assign]


def _no_activity_log() -> None:
    from axo_tui.core.memory import activity_log

    activity_log.ActivityLog.write = lambda self, *a: None  # type: ignore[method-assign]


def _no_recall_spool() -> None:
    from axo_tui.core.memory import pending

    pending.PendingSpool.put = lambda self, entry: None  # type: ignore[method-assign]


def _no_checkpoints() -> None:
    from axo_tui.core.runtime import supervisor

    supervisor.Supervisor._schedule_write = lambda self, a, h: None  # type: ignore[method-assign]


def _no_commit_barrier() -> None:
    from axo_tui.core.store import journal

    async def no_wait(self: Any, *, alone: bool = False) -> None:
        return None

    journal.Journal.durable = no_wait  # type: ignore[method-assign]


def _no_transcript() -> None:
    from axo_tui.core.store import journal

    journal.Journal.append_session = lambda self, s, a, m: 0  # type: ignore[method-assign]
    journal.Journal.load_session = lambda self, s: []  # type: ignore[method-assign]


def _no_ledger() -> None:
    from axo_tui.core.runtime import agent_turn as agent

    agent.AgentRunner._record_usage = lambda self, *a: None  # type: ignore[method-assign]


PARTS: dict[str, tuple[str, Callable[[], None] | None]] = {
    "full": ("everything on", None),
    "events": ("journaled events", _no_events),
    "activity-log": ("activity log lines (tier 2)", _no_activity_log),
    "recall-spool": ("recall spool line (tier 4 queue)", _no_recall_spool),
    "checkpoints": ("checkpoint scheduling and files", _no_checkpoints),
    "commit-barrier": ("commit before a completion", _no_commit_barrier),
    "transcript": ("session transcript (tier 1)", _no_transcript),
    "ledger": ("usage row and its event", _no_ledger),
}


async def _measure(dag_name: str, runs: int) -> tuple[float, float]:
    dag = fan_out(100) if dag_name == "fan" else chain(10)
    with tempfile.TemporaryDirectory(prefix="axo-ablate-") as name:
        directory = Path(name)
        from axo_tui.core.runtime.build import build_runtime

        async with build_runtime(workflow_config(directory, dag), data_dir=directory) as rt:
            settle = _memory_flush(rt)
            for _ in range(2):
                await rt.run_workflow("w", INPUT)
                await settle()
            walls = []
            for _ in range(runs):
                started = time.perf_counter()
                await rt.run_workflow("w", INPUT)
                walls.append(time.perf_counter() - started)
                await settle()
    per = 1e6 / len(dag.nodes)
    return min(walls) * per, statistics.median(walls) * per


def _child(part: str, dag: str, runs: int) -> None:
    patch = PARTS[part][1]
    if patch is not None:
        patch()
    from axo_tui import process_tuning

    # As the `axo` command runs: its entry point tunes the collector, the library does not.
    process_tuning.tune_for_axo()
    best, median = asyncio.run(_measure(dag, runs))
    print(f"{best} {median}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.ablate_steps")
    parser.add_argument("--dag", choices=["fan", "chain"], default="fan")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.dag, args.runs)
        return
    rows: list[list[str]] = []
    full: float | None = None
    for part, (label, _) in PARTS.items():
        command = [sys.executable, "-m", "tests.bench.ablate_steps", "--child", part]
        command += ["--dag", args.dag, "--runs", str(args.runs)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        best, median = (float(value) for value in done.stdout.split())
        full = best if full is None else full
        saved = "-" if part == "full" else f"{full - best:,.0f}"
        rows.append([part, label, f"{best:,.0f}", f"{median:,.0f}", saved])
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print_table(
        f"Step cost without each part ({args.dag}, {args.runs} runs each, load {load})",
        ["left out", "what", "best µs/act", "median µs/act", "best saved µs/act"],
        rows,
        [
            "Each row is a fresh process; the no-op parts are for measuring only.",
            "Differences under ~20 µs are within the noise of a shared machine.",
        ],
    )


if __name__ == "__main__":
    main()
