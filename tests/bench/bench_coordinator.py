"""The coordinator's own costs: one Contract Net auction with 100 bidders on the real ACL
router (computed bids, no LLM), and a coordinator pass's overhead beyond its model calls.

Run with `.venv/bin/python -m tests.bench.bench_coordinator [--quick]`.

* **auction**: `cfp` to 100 contractors, 100 computed `propose`s back through the event
  loop, the ranking, one `accept-proposal` and 99 `reject-proposal`s; µs per round (p50,
  p99) and the bid computation alone (100 `compute_bid` + `rank`).
* **pass**: a workflow led by a coordinator on the scripted provider (model calls take
  microseconds), planned by HTN methods: the whole pass's wall time minus the time inside
  provider calls (`llm.call` durations), per pass and per subtask, beside a plain workflow
  with the same number of activations, so the difference is what coordinating costs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

from axo_tui.core.acl.message import AclMessage
from axo_tui.core.acl.router import AclRouter
from axo_tui.core.config import load_config
from axo_tui.core.coordination.bidding import Bid, BidderProfile, Refusal, compute_bid, rank
from axo_tui.core.coordination.contract_net import Auction, CnpEndpoint
from axo_tui.core.events.catalog import Event, LlmCallCompleted
from axo_tui.core.runtime.build import build_runtime

BIDDERS = 100


class Computed:
    def __init__(self, profile: BidderProfile, load: int) -> None:
        self.profile, self.load = profile, load

    def bid(self, cfp: AclMessage) -> Bid | Refusal:
        return compute_bid(
            self.profile, cfp.content["tools"], load=self.load, estimate=600, pass_remaining=None
        )

    async def perform(self, accept: AclMessage) -> tuple[bool, str]:
        return True, "done"


def profiles() -> list[BidderProfile]:
    return [
        BidderProfile(f"w{i:03d}", frozenset({"read_file", "calculator"}), 2000 + i * 37, 0.5, i)
        for i in range(BIDDERS)
    ]


async def auction_round(rounds: int) -> tuple[list[float], list[float]]:
    router = AclRouter()
    loop = asyncio.get_running_loop()
    manager = CnpEndpoint("lead", None, loop, asyncio.ensure_future)
    manager.bus = router
    router.register("lead", manager)
    order = {}
    for index, profile in enumerate(profiles()):
        endpoint = CnpEndpoint(profile.name, None, loop, asyncio.ensure_future)
        endpoint.bus, endpoint.contractor = router, Computed(profile, index % 4)
        router.register(profile.name, endpoint)
        order[profile.name] = index
    names = list(order)
    content = {"task": "sum it", "tools": ["calculator"]}
    rounds_us = []
    for _ in range(rounds):
        started = time.perf_counter()
        with Auction(router, manager) as auction:
            outcome = await auction.call_for_proposals(
                names, content, reply_within=5.0, order=order.__getitem__
            )
        rounds_us.append((time.perf_counter() - started) * 1e6)
        assert len(outcome.bids) == BIDDERS and outcome.winner is not None
    bids_us = []
    for _ in range(rounds):
        started = time.perf_counter()
        rank(
            [
                b
                for p in profiles()
                if isinstance(
                    b := compute_bid(p, ["calculator"], load=1, estimate=600, pass_remaining=None),
                    Bid,
                )
            ]
        )
        bids_us.append((time.perf_counter() - started) * 1e6)
    await asyncio.sleep(0.01)  # the losers' reject-proposals land
    return rounds_us, bids_us


QUIET = "    memory: {recall: {passive_inject: false}}"


def project(directory: Path, subtasks: int, *, coordinated: bool) -> Path:
    workers = [f"w{i}" for i in range(3)]
    lines = ["agents:", "  - id: lead", "    provider: scripted"]
    lines += ["    role: coordinator" if coordinated else "    role: autonomous", QUIET]
    for worker in workers:
        lines += [f"  - id: {worker}", "    provider: scripted", QUIET]
        lines.append("    role: worker" if coordinated else "    depends_on: [lead]")
        lines.append("    tools: [calculator]")
    if not coordinated:  # the same activations as a plain fan-out and join
        lines += [
            "  - id: join",
            "    provider: scripted",
            QUIET,
            f"    depends_on: [{', '.join(workers)}]",
        ]
    members = ["lead", *workers] + ([] if coordinated else ["join"])
    lines += [
        "workflows:",
        "  - id: pass",
        f"    agents: [{', '.join(members)}]",
        "    entry_point: lead",
    ]
    if coordinated:
        lines.append("    htn_methods_file: methods.yaml")
        methods = ['- task_pattern: "do {x}"', "  preconditions: []", "  subtasks:"]
        methods += [
            f'    - {{name: "part {i} of {{x}}", task_type: Primitive}}' for i in range(subtasks)
        ]
        (directory / "methods.yaml").write_text("\n".join(methods) + "\n")
    path = directory / "axo.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def add_model_time(into: list[float], event: Event) -> None:
    if isinstance(event, LlmCallCompleted):
        into.append(event.duration_s)


async def pass_overhead(subtasks: int, passes: int, *, coordinated: bool) -> list[float]:
    """Wall ms per pass minus the time inside provider calls."""
    with tempfile.TemporaryDirectory() as tmp:
        path = project(Path(tmp), subtasks, coordinated=coordinated)
        async with build_runtime(load_config(path), data_dir=Path(tmp) / ".axo") as runtime:
            overheads = []
            for index in range(passes + 1):
                model_secs: list[float] = []
                stop = runtime.watch(partial(add_model_time, model_secs))
                started = time.perf_counter()
                result = await runtime.run_workflow("pass", f"do task {index}")
                wall = time.perf_counter() - started
                stop()
                assert result.ok, result.errors
                if index:  # the first pass warms caches and providers up
                    overheads.append((wall - sum(model_secs)) * 1000)
            return overheads


def row(name: str, values: list[float], unit: str) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return f"{name:<44} {statistics.median(values):>10.1f} {p99:>10.1f}  {unit}"


async def main(quick: bool) -> None:
    rounds = 50 if quick else 300
    passes = 5 if quick else 20
    rounds_us, bids_us = await auction_round(rounds)
    print(f"{'':<44} {'p50':>10} {'p99':>10}")
    print(row(f"auction round, {BIDDERS} bidders over the bus", rounds_us, "µs"))
    print(row(f"  of which {BIDDERS} computed bids + ranking", bids_us, "µs"))
    for subtasks in (3, 9):
        coordinated = await pass_overhead(subtasks, passes, coordinated=True)
        print(row(f"coordinator pass, {subtasks} subtasks: own overhead", coordinated, "ms"))
        per = [v / subtasks for v in coordinated]
        print(row("  per subtask", per, "ms"))
    plain = await pass_overhead(3, passes, coordinated=False)
    print(row("plain workflow, 5 activations (for scale)", plain, "ms"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
