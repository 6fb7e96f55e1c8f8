"""kill -9 of a node mid-step, on a 3-server R3 JetStream cluster on 127.0.0.1, with three
`axo nats node` processes and the run started from a fourth runtime (this test's).

Each node talks to the fake model under a tag of its own, so the model server's log says
which node sent which step: the step cut by the kill is sent again by exactly one other node
once its lease runs out; no completed step is ever sent again. A loaded machine may stall a
node past its lease and so have a step run twice: then exactly one run counts and the other
is announced as superseded, never as a second completion; each extra call is one of those.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from axo_tui.core.base.enums import RunStatus
from axo_tui.core.config import load_config
from axo_tui.core.distributed.inspect import recorded_events
from axo_tui.core.runtime.build import build_runtime
from tests.support.cluster_project import (
    AGENTS,
    NodeProcess,
    journal_id,
    local_events,
    settled,
    started_in_journal,
    write_node,
)
from tests.support.echo_openai import FakeOpenAI, running_fake
from tests.support.model_server import Received
from tests.support.nats_cluster import NatsCluster

NODES = ("n1", "n2", "n3")
pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with running_fake(delay=0.05) as server:
        yield server


def _tag_model(request: Received) -> tuple[str, str]:
    return request.path.strip("/").split("/")[0], str(request.json()["model"])


def sent(fake: FakeOpenAI) -> Counter[tuple[str, str]]:
    return Counter(_tag_model(r) for r in list(fake.server.requests))


async def test_a_killed_nodes_step_is_retried_elsewhere_and_nothing_is_lost(
    tmp_path: Path, nats_three: NatsCluster, fake: FakeOpenAI, prefix: str
) -> None:
    processes: dict[str, NodeProcess] = {}
    for index, name in enumerate(NODES):
        provider = ["kind: openai", f"base_url: {fake.base_url(name)}", "max_retries: 0"]
        path = write_node(
            tmp_path / name,
            node=name,
            servers=[nats_three.urls[index]],
            prefix=prefix,
            provider=provider,
            replicas=3,
            lease_secs=2,
        )
        processes[name] = NodeProcess(name, path)
    starter_path = write_node(
        tmp_path / "n0", node="n0", servers=nats_three.urls, prefix=prefix, replicas=3
    )
    fake.held.update((name, "b") for name in NODES)  # whoever claims b hangs in its call
    try:
        for process in processes.values():
            process.start()
        for process in processes.values():
            await asyncio.to_thread(process.wait_ready)
        async with build_runtime(load_config(starter_path)) as starter:
            run = asyncio.ensure_future(starter.run_workflow("flow", "go"))
            arrived = await asyncio.to_thread(
                fake.server.wait_for,
                lambda requests: any(_tag_model(r)[1] == "b" for r in requests),
                60,
            )
            assert arrived, "no node claimed b"
            victim = next(tag for (tag, model) in sent(fake) if model == "b")
            # Killed once its journal holds the step as started (committed, so on record).
            await asyncio.to_thread(started_in_journal, tmp_path / victim, "b")
            processes[victim].kill9()
            for name in NODES:
                fake.release(name, "b")
            result = await asyncio.wait_for(run, 90)

        assert result.status is RunStatus.COMPLETED, result.errors

        # The victim comes back and catches up: its dead step is recorded as such.
        processes[victim].start()
        await asyncio.to_thread(processes[victim].wait_ready)
        starter_config = load_config(starter_path)
        async with build_runtime(starter_config) as reader:
            assert reader.cluster is not None and reader.cluster.node is not None
            node = reader.cluster.node
            await node.ready()
            assert node.link is not None
            directories = [tmp_path / name for name in NODES]
            for _ in range(600):
                record = await recorded_events(node.link, result.run_id)
                if record and await asyncio.to_thread(
                    settled, record, directories, result.run_id, prefix
                ):
                    break
                await asyncio.sleep(0.1)
    finally:
        for process in processes.values():
            process.stop()

    kinds = Counter((e["kind"], e.get("agent_id")) for e in record)
    for agent in AGENTS:
        assert kinds[("agent.completed", agent)] == 1, agent
    assert kinds[("run.started", None)] == 1
    assert kinds[("run.completed", None)] == 1
    failed = [e for e in record if e["kind"] == "agent.failed"]
    superseded = Counter(e["agent_id"] for e in failed if "superseded" in str(e["error"]))
    dead = [e for e in failed if "superseded" not in str(e["error"])]
    # b died with the victim; so may d, which becomes ready with b and may be on the victim
    # mid-call at the kill: each dead step is recorded once, on the victim.
    dead_steps = Counter(e["agent_id"] for e in dead)
    assert dead_steps["b"] == 1 and set(dead_steps.values()) == {1}, dead
    assert {e["node"] for e in dead} == {victim}
    # Each step once, by the node that completed it; besides, each call the victim sent for a
    # step it did not complete, cut by the kill (b's, and d's when d was mid-call there,
    # journaled or not yet); and one more for each run a stalled node lost (superseded).
    counts = sent(fake)
    per_model: Counter[str] = Counter()
    for (_tag, model), n in counts.items():
        per_model[model] += n
    completed_by = {e["agent_id"]: e["node"] for e in record if e["kind"] == "agent.completed"}
    cut = Counter({a: counts[(victim, a)] for a in AGENTS if completed_by[a] != victim})
    expected = Counter({"a": 1, "b": 1, "c": 1, "d": 1, "e": 1}) + cut + superseded
    assert per_model == expected
    assert counts[(victim, "b")] == 1
    # Nothing doubled: one message per (journal, seq) ...
    ids = [(e["journal_id"], e["seq"]) for e in record]
    assert len(ids) == len(set(ids))
    # ... and nothing lost: every event each node journaled for the run is in the record.
    for name in NODES:
        mine = {e["seq"] for e in local_events(tmp_path / name, result.run_id)}
        theirs = {seq for jid, seq in ids if jid == journal_id(tmp_path / name, prefix)}
        assert mine == theirs, name
