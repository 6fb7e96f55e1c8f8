"""The lattice across nodes on NATS JetStream: cross-node step latency (p50/p99) and events
per second through the cluster, beside the one-process lattice.

A chain of `--chain` agents on the scripted provider, placed alternately on two nodes (two
runtimes in this process, each with its own journal), so every step is a hop from one node
to the other: the step's completion is recorded in the runs bucket, the next agent's step
is queued on the work stream, and the other node claims it. A hop is timed from the
`agent.completed` of one step to the `agent.activated` of the next. Events/s counts what
one node's outbox carries to the events stream: a burst of journaled events, timed until
the stream holds them all (committed, published, replicated, acknowledged).

Run with `.venv/bin/python -m tests.bench.bench_nats [--runs N] [--chain N] [--servers 1 3]`
(defaults: 20 runs of a 6-chain, on 1 server and on a 3-server R3 cluster; about a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from axo_tui.core.config import load_config
from axo_tui.core.events.catalog import Event, RuntimeNotice
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runtime import Runtime
from tests.support.cluster_project import write_node
from tests.support.nats_cluster import running_cluster

BURST = 5000
"""Events emitted at once on one node for the events/s figure."""


def chain(length: int) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    agents = [f"s{i}" for i in range(length)]
    return agents, {a: ((agents[i - 1],) if i else ()) for i, a in enumerate(agents)}


class Clock:
    """When each (run, agent, kind) happened, in this process's perf counter."""

    def __init__(self) -> None:
        self.at: dict[tuple[str, str, str], float] = {}

    def __call__(self, event: Event) -> None:
        if event.kind in ("agent.completed", "agent.activated") and event.run_id:
            self.at[(event.run_id, event.agent_id or "", event.kind)] = time.perf_counter()

    def hops(self, run_ids: Sequence[str], agents: Sequence[str]) -> list[float]:
        out = []
        for run_id in run_ids:
            for before, after in itertools.pairwise(agents):
                done = self.at.get((run_id, before, "agent.completed"))
                started = self.at.get((run_id, after, "agent.activated"))
                if done is not None and started is not None:
                    out.append(started - done)
        return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run_local(tmp: Path, runs: int, length: int) -> dict[str, float]:
    agents, deps = chain(length)
    path = write_node(
        tmp / "local",
        node="l",
        servers=["nats://127.0.0.1:1"],
        prefix="x",
        agents=agents,
        depends=deps,
    )
    text = path.read_text().replace("backend: nats", "backend: local")
    path.write_text(text)
    clock = Clock()
    async with build_runtime(load_config(path), subscribers=[clock]) as runtime:
        ids, totals = [], []
        start = time.perf_counter()
        for _ in range(runs):
            began = time.perf_counter()
            ids.append((await runtime.run_workflow("flow", "go")).run_id)
            totals.append(time.perf_counter() - began)
        start = time.perf_counter()
        for index in range(BURST):
            runtime.bus.emit(RuntimeNotice, run_id="burst", message=f"event {index}")
        await runtime.journal.durable()
        elapsed = time.perf_counter() - start
    hops = clock.hops(ids, agents)
    return {
        "p50": pct(hops, 0.5),
        "p99": pct(hops, 0.99),
        "run": pct(totals, 0.5),
        "eps": BURST / elapsed,
    }


async def run_cluster(
    tmp: Path, urls: list[str], replicas: int, runs: int, length: int
) -> dict[str, float]:
    agents, deps = chain(length)
    prefix = f"b{uuid.uuid4().hex[:8]}"
    placement = {a: [("n1", "n2")[i % 2]] for i, a in enumerate(agents)}
    clock = Clock()
    nodes: list[Runtime] = []
    for index, name in enumerate(("n1", "n2")):
        path = write_node(
            tmp / f"{prefix}-{name}",
            node=name,
            servers=[urls[index % len(urls)]],
            prefix=prefix,
            agents=agents,
            depends=deps,
            placement=placement,
            replicas=replicas,
            lease_secs=10,
        )
        runtime = build_runtime(load_config(path), background=True, subscribers=[clock])
        nodes.append(await runtime.__aenter__())
    try:
        for runtime in nodes:
            assert runtime.cluster is not None and runtime.cluster.node is not None
            await runtime.cluster.node.ready()
        link = nodes[0].cluster.node.link  # type: ignore[union-attr]
        assert link is not None
        stream = link.names.events_stream
        before = (await link.js.stream_info(stream)).state.messages
        ids, totals = [], []
        start = time.perf_counter()
        for _ in range(runs):
            began = time.perf_counter()
            ids.append((await nodes[0].run_workflow("flow", "go")).run_id)
            totals.append(time.perf_counter() - began)
        journaled = sum(len(r.state.events(limit=1_000_000)) for r in nodes)
        while (await link.js.stream_info(stream)).state.messages - before < journaled:
            await asyncio.sleep(0.01)
        # A burst of journaled events on one node: what its outbox carries to the stream.
        before = (await link.js.stream_info(stream)).state.messages
        start = time.perf_counter()
        for index in range(BURST):
            nodes[0].bus.emit(RuntimeNotice, run_id="burst", message=f"event {index}")
        while (await link.js.stream_info(stream)).state.messages - before < BURST:
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - start
        published = BURST
    finally:
        for runtime in nodes:
            await runtime.__aexit__(None, None, None)
    hops = clock.hops(ids, agents)
    return {
        "p50": pct(hops, 0.5),
        "p99": pct(hops, 0.99),
        "run": pct(totals, 0.5),
        "eps": published / elapsed,
    }


def row(name: str, length: int, figures: dict[str, float]) -> str:
    return (
        f"{name:<22} {length:>5} {figures['p50'] * 1e3:>9.2f} {figures['p99'] * 1e3:>9.2f} "
        f"{figures['run'] * 1e3:>9.1f} {figures['eps']:>10.0f}"
    )


async def main(runs: int, length: int, servers: Sequence[int]) -> None:
    print(
        f"{runs} runs of a {length}-agent chain, scripted provider, steps alternating "
        "between two nodes"
    )
    print(
        f"{'lattice':<22} {'chain':>5} {'hop p50':>9} {'hop p99':>9} {'run p50':>9} "
        f"{'events/s':>10}"
    )
    print(f"{'':<22} {'':>5} {'ms':>9} {'ms':>9} {'ms':>9} {'':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(row("one process (local)", length, await run_local(root, runs, length)), flush=True)
        for count in servers:
            with running_cluster(root / f"nats{count}", count) as cluster:
                replicas = 3 if count >= 3 else 1
                figures = await run_cluster(root, cluster.urls, replicas, runs, length)
                print(row(f"nats, {count} server(s) R{replicas}", length, figures), flush=True)
    print(
        f"hop: one node's agent.completed to the other's agent.activated. events/s: {BURST} "
        "journaled events emitted at once on one node, until the events stream holds them all "
        "(one process: until the journal has committed them)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--chain", type=int, default=6)
    parser.add_argument("--servers", type=int, nargs="+", default=[1, 3])
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.chain, args.servers))
