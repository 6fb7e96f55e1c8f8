"""Schedules on a cluster: every node that hosts the project keeps the schedule's clock, and
each tick is claimed by one node in JetStream KV, so a schedule starts one run per tick
however many nodes run it. Two runtimes in this process, each a node of a real nats-server."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

from axo_tui.core.distributed.field import SharedField
from axo_tui.core.distributed.inspect import recorded_events
from axo_tui.core.distributed.ticks import Claim, ScheduleTicks, Tick, upcoming
from axo_tui.core.runtime.runtime import Runtime
from tests.support.cluster_project import write_node
from tests.support.cluster_runtimes import node_runtimes
from tests.support.nats_cluster import NatsCluster

SCHEDULE = """\
schedules:
  - id: pulse
    workflow: flow
    every: 1s
    input: Tick.
"""


@contextlib.asynccontextmanager
async def hosting_nodes(
    tmp_path: Path, cluster: NatsCluster, prefix: str
) -> AsyncIterator[dict[str, Runtime]]:
    """Nodes n1 and n2, both hosting a project whose one-agent workflow runs every second."""
    paths = {}
    for name in ("n1", "n2"):
        path = write_node(
            tmp_path / name,
            node=name,
            servers=cluster.urls,
            prefix=prefix,
            agents=("a",),
            depends={},
        )
        path.write_text(SCHEDULE + path.read_text())
        paths[name] = path
    async with node_runtimes(paths) as runtimes:
        yield runtimes


async def test_two_nodes_start_one_run_per_tick(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    async with hosting_nodes(tmp_path, nats_one, prefix) as runtimes:
        started = time.time()
        await asyncio.sleep(4.6)
        ended = time.time()
        for runtime in runtimes.values():  # stop the clocks, then let the runs end
            runtime.ambient.stop_timers()
        for runtime in runtimes.values():
            await runtime.wait_idle(timeout=60)
        node = runtimes["n1"].cluster.node  # type: ignore[union-attr]
        assert node is not None and node.link is not None
        record = await recorded_events(node.link)
    runs = [e["run_id"] for e in record if e["kind"] == "run.started"]
    ticks_due = sum(1 for k in range(int(started) + 1, int(ended) + 1))
    # Each tick due while both clocks ran started exactly one run: never two (both nodes
    # firing), and none lost (a tick both stood down from).
    assert len(runs) == len(set(runs))
    assert ticks_due - 1 <= len(runs) <= ticks_due, (ticks_due, runs)
    assert len(runs) >= 3
    ended_runs = {e["run_id"] for e in record if e["kind"] == "run.completed"}
    assert set(runs) <= ended_runs


async def test_a_tick_is_claimed_once_and_a_busy_schedule_skips(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    async with hosting_nodes(tmp_path, nats_one, prefix) as runtimes:
        runtimes["n1"].ambient.stop_timers()
        runtimes["n2"].ambient.stop_timers()
        claims: dict[str, ScheduleTicks] = {}
        for name, runtime in runtimes.items():
            node = runtime.cluster.node  # type: ignore[union-attr]
            assert node is not None and node.link is not None and node.field is not None
            claims[name] = ScheduleTicks(node.field, node.link.runs, node.link.names, name)
        field: SharedField = runtimes["n1"].cluster.node.field  # type: ignore[union-attr]
        assert field is not None
        tick = upcoming(3600, time.time())

        async def going(_run_id: str) -> bool:
            return True

        async def done(_run_id: str) -> bool:
            return False

        first, second = await asyncio.gather(
            claims["n1"].claim("t", tick, 3600, "r1", still_going=done),
            claims["n2"].claim("t", tick, 3600, "r2", still_going=done),
        )
        assert sorted([first, second]) == sorted([Claim.WON, Claim.TAKEN])
        # A node that comes back and looks at the same tick again stands down.
        assert await claims["n1"].claim("t", tick, 3600, "r3", still_going=done) is Claim.TAKEN
        # The next tick while the first tick's run still goes: skipped, once, by one node.
        following = Tick(tick.index + 1, tick.at + 3600)
        skipped = await asyncio.gather(
            claims["n1"].claim("t", following, 3600, "r4", still_going=going),
            claims["n2"].claim("t", following, 3600, "r5", still_going=going),
        )
        assert sorted(skipped) == sorted([Claim.BUSY, Claim.TAKEN])
        # Once it has ended, the tick after that starts a run again.
        later = Tick(tick.index + 2, tick.at + 7200)
        assert await claims["n2"].claim("t", later, 3600, "r6", still_going=done) is Claim.WON
