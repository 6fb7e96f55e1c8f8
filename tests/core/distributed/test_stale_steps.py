"""A node that comes back ends the steps it was running when it stopped, as the runs bucket
says: one whose record holds this node's activation (it stopped between creating the record
and journaling the end) ends completed, with the recorded output; one without is
interrupted (the cluster runs it elsewhere). Against a real nats-server; the journal and the
bucket are left as such a stop leaves them."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from axo_tui.core.config import load_config
from axo_tui.core.distributed.connection import connect
from axo_tui.core.distributed.names import Names
from axo_tui.core.distributed.steps import StepRecord
from axo_tui.core.runtime.build import build_runtime
from tests.support.cluster_project import local_events, write_node
from tests.support.nats_cluster import NatsCluster


async def test_a_returning_node_ends_its_steps_as_their_records_say(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    path = write_node(tmp_path / "n1", node="n1", servers=nats_one.urls, prefix=prefix)
    config = load_config(path)
    async with build_runtime(config) as runtime:  # claims nothing: leaves the steps running
        runtime.journal.start_activation("act-recorded", "run-1", "b", "workflow", "go")
        runtime.journal.start_activation("act-lost", "run-2", "b", "workflow", "go")
        await runtime.journal.durable(alone=True)
    link = await connect(config.lattice.cluster.nats, "writer")
    try:
        recorded = StepRecord(
            "completed", "n1", "act-recorded", "b says go", prompt_tokens=3, completion_tokens=5
        )
        await link.runs.create(Names.step_key("run-1", "b"), recorded.encode())
        other = StepRecord("completed", "n2", "act-elsewhere", "b again")
        await link.runs.create(Names.step_key("run-2", "b"), other.encode())
    finally:
        await link.close()

    async with build_runtime(config, background=True) as runtime:
        assert runtime.cluster is not None and runtime.cluster.node is not None
        await runtime.cluster.node.ready()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ends = [
                e
                for e in local_events(tmp_path / "n1")
                if e["kind"] in ("agent.completed", "agent.failed")
            ]
            if len(ends) == 2:
                break
            await asyncio.sleep(0.05)
    by_activation = {e["activation_id"]: e for e in ends}
    done = by_activation["act-recorded"]
    assert (done["kind"], done["run_id"], done["output"]) == (
        "agent.completed",
        "run-1",
        "b says go",
    )
    assert (done["prompt_tokens"], done["completion_tokens"]) == (3, 5)
    lost = by_activation["act-lost"]
    assert (lost["kind"], lost["error_kind"]) == ("agent.failed", "cancelled")
    assert "retries it elsewhere" in str(lost["error"])
