"""WorkflowCompleted on a cluster: the node that records a run's end deposits the signal in
the shared field, once, so a proactive `on_event: WorkflowCompleted` trigger fires as it does
in one process. Two hosting runtimes in this test process, nodes of a real nats-server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from axo_tui.core.runtime.runtime import Runtime
from tests.support.cluster_project import write_node
from tests.support.cluster_runtimes import node_runtimes, settled, shared_field, watch_inputs
from tests.support.nats_cluster import NatsCluster

WATCHER = """\
  threshold: 0.25
  decay: 0
proactive:
  - id: after
    agent: watch
    trigger: {type: on_event, event: WorkflowCompleted, cooldown_secs: 0}
    input: Review.
"""


@contextlib.asynccontextmanager
async def two_nodes(
    tmp_path: Path, cluster: NatsCluster, prefix: str
) -> AsyncIterator[dict[str, Runtime]]:
    paths = {}
    for name in ("n1", "n2"):
        path = write_node(
            tmp_path / name,
            node=name,
            servers=cluster.urls,
            prefix=prefix,
            agents=("a", "watch"),
            members=("a",),
            depends={},
        )
        path.write_text(path.read_text() + WATCHER)  # the lattice block is the file's last
        paths[name] = path
    async with node_runtimes(paths) as runtimes:
        yield runtimes


async def test_workflow_completed_is_deposited_once_per_cluster_run(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    # WorkflowCompleted weighs 0.1 and the threshold is 0.25: the third run fires the
    # watcher if each run deposits it once; a run that deposited it on both nodes would
    # fire it at the second, one that deposited nothing never.
    async with two_nodes(tmp_path, nats_one, prefix) as rts:
        field = shared_field(rts["n1"])
        for count, starter in enumerate(("n1", "n2"), start=1):
            result = await rts[starter].run_workflow("flow", "go")
            assert result.ok, result.errors
            await settled(rts)
            assert await field.intensity("watch") == pytest.approx(0.1 * count)
            assert watch_inputs(rts["n1"]) + watch_inputs(rts["n2"]) == []
        third = await rts["n1"].run_workflow("flow", "go")
        assert third.ok, third.errors
        await settled(rts)
        fired = watch_inputs(rts["n1"]) + watch_inputs(rts["n2"])
        assert fired == [f"Review.\n\nEvent WorkflowCompleted: {third.run_id}"]
        assert await field.intensity("watch") == 0.0  # reset on fire
