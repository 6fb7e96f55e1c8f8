"""A step whose lease runs out while its first run is still going: the interleaving a loaded
machine makes by chance, forced here with SIGSTOP, against a real nats-server.

Two `axo nats node` processes; the workflow is b -> c. Whoever claims b first (the stalled
node) is paused with SIGSTOP in the middle of its model call, so it stops saying "still
working"; once its lease runs out the other node (the retrier) claims b and runs it again.
Then the two runs of b finish in a chosen order. Whichever records first counts: its
completion is the only `agent.completed` of b in the cluster's record, the run goes on with
its output, and the other run ends superseded (`agent.failed`, cancelled), never as a
second completion. c runs once. Every event each node journaled for the run reaches the
record, once.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.base.enums import RunStatus
from axo_tui.core.config import load_config
from axo_tui.core.distributed.inspect import recorded_events
from axo_tui.core.runtime.build import build_runtime
from tests.support.cluster_project import (
    NodeProcess,
    journal_id,
    local_events,
    settled,
    write_node,
)
from tests.support.echo_openai import FakeOpenAI, running_fake
from tests.support.model_server import Received
from tests.support.nats_cluster import NatsCluster

NODES = ("n1", "n2")
AGENTS = ("b", "c")
DEPENDS = {"b": (), "c": ("b",)}
pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with running_fake(delay=0.05) as server:
        yield server


def _tag_model(request: Received) -> tuple[str, str]:
    return request.path.strip("/").split("/")[0], str(request.json()["model"])


def sent(fake: FakeOpenAI) -> Counter[tuple[str, str]]:
    return Counter(_tag_model(r) for r in list(fake.server.requests))


def wait_ended(directory: Path, agent_id: str, timeout: float = 60) -> None:
    """Until the node's journal holds an end of one of its activations of `agent_id`."""
    ends = ("agent.completed", "agent.failed")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = local_events(directory)
        if any(e["kind"] in ends and e.get("agent_id") == agent_id for e in events):
            return
        time.sleep(0.05)
    raise AssertionError(f"no activation of {agent_id} ended in {directory}'s journal")


@pytest.mark.parametrize("first_to_record", ["retrier", "stalled"])
async def test_a_step_run_again_after_its_lease_ran_out_is_counted_once(
    tmp_path: Path, nats_one: NatsCluster, fake: FakeOpenAI, prefix: str, first_to_record: str
) -> None:
    processes: dict[str, NodeProcess] = {}
    for name in NODES:
        provider = ["kind: openai", f"base_url: {fake.base_url(name)}", "max_retries: 0"]
        path = write_node(
            tmp_path / name,
            node=name,
            servers=nats_one.urls,
            prefix=prefix,
            provider=provider,
            agents=AGENTS,
            depends=DEPENDS,
            lease_secs=1,
        )
        processes[name] = NodeProcess(name, path)
    starter_path = write_node(
        tmp_path / "n0",
        node="n0",
        servers=nats_one.urls,
        prefix=prefix,
        agents=AGENTS,
        depends=DEPENDS,
    )
    fake.held.update((name, "b") for name in NODES)  # both runs of b wait to be let go
    try:
        for process in processes.values():
            process.start()
        for process in processes.values():
            await asyncio.to_thread(process.wait_ready)
        async with build_runtime(load_config(starter_path)) as starter:
            run = asyncio.ensure_future(starter.run_workflow("flow", "go"))
            assert await asyncio.to_thread(
                fake.server.wait_for,
                lambda requests: any(_tag_model(r)[1] == "b" for r in requests),
                60,
            ), "no node claimed b"
            stalled = next(tag for (tag, model) in sent(fake) if model == "b")
            retrier = next(name for name in NODES if name != stalled)
            processes[stalled].pause()
            # Its lease runs out: the retrier claims b and runs it again.
            assert await asyncio.to_thread(
                fake.server.wait_for,
                lambda requests: any(_tag_model(r) == (retrier, "b") for r in requests),
                60,
            ), "b was not retried after the stalled node's lease"
            if first_to_record == "retrier":
                fake.release(retrier, "b")
                result = await asyncio.wait_for(run, 90)
                processes[stalled].resume()
                fake.release(stalled, "b")
                winner, loser = retrier, stalled
            else:
                processes[stalled].resume()
                fake.release(stalled, "b")
                await asyncio.to_thread(wait_ended, tmp_path / stalled, "b")
                fake.release(retrier, "b")
                result = await asyncio.wait_for(run, 90)
                winner, loser = stalled, retrier
            await asyncio.to_thread(wait_ended, tmp_path / loser, "b")

            assert starter.cluster is not None and starter.cluster.node is not None
            link = starter.cluster.node.link
            assert link is not None
            directories = [tmp_path / name for name in NODES]
            record: list[dict[str, Any]] = []
            for _ in range(600):  # until every node's outbox has sent all it journaled
                record = await recorded_events(link, result.run_id)
                if await asyncio.to_thread(settled, record, directories, result.run_id, prefix):
                    break
                await asyncio.sleep(0.1)
    finally:
        for process in processes.values():
            process.stop()

    assert result.status is RunStatus.COMPLETED, result.errors
    counts = sent(fake)
    assert counts[(stalled, "b")] == 1 and counts[(retrier, "b")] == 1
    assert counts[(stalled, "c")] + counts[(retrier, "c")] == 1
    completed_b = [e for e in record if e["kind"] == "agent.completed" and e["agent_id"] == "b"]
    assert [e["node"] for e in completed_b] == [winner]
    assert result.outputs["b"] == completed_b[0]["output"]
    failed_b = [e for e in record if e["kind"] == "agent.failed" and e["agent_id"] == "b"]
    assert [(e["node"], e["error_kind"]) for e in failed_b] == [(loser, "cancelled")]
    assert "superseded" in str(failed_b[0]["error"])
    assert failed_b[0]["activation_id"] != completed_b[0]["activation_id"]
    loser_b = [e for e in local_events(tmp_path / loser, result.run_id) if e["agent_id"] == "b"]
    assert [e["kind"] for e in loser_b if e["kind"].startswith("agent.")] == [
        "agent.activated",
        "agent.failed",
    ]
    kinds = Counter((e["kind"], e.get("agent_id")) for e in record)
    assert kinds[("agent.completed", "c")] == 1
    assert kinds[("run.completed", None)] == 1
    ids = [(e["journal_id"], e["seq"]) for e in record]
    assert len(ids) == len(set(ids))  # nothing doubled
    for name in NODES:  # nothing lost
        mine = {e["seq"] for e in local_events(tmp_path / name, result.run_id)}
        jid = journal_id(tmp_path / name, prefix)
        assert mine == {e["seq"] for e in record if e["journal_id"] == jid}, name
