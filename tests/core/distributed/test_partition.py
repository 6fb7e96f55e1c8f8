"""A partition that heals: three nats-servers in three network namespaces on one bridge, one
cut off mid-run (its link down) and brought back.

    a -> b -> c -+
    a -> d ------+-> e        b on [n3, n1], d on [n1, n2], e on [n3] only

n3 claims b and is cut off in the middle of it: after its lease, n1 does b and the run goes
on, until e, which only n3 may run, waits for the heal. Healed, n3 runs e, the run ends, and
n3's own b (finished late) ends superseded, not as a second completion; n3's events all
reach the record, none twice.
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
from tests.support.cluster_project import NodeProcess, write_node
from tests.support.echo_openai import FakeOpenAI, running_fake
from tests.support.model_server import Received
from tests.support.nats_cluster import NatsCluster, cluster_of
from tests.support.netns import Namespaces

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def spaces() -> Iterator[Namespaces]:
    namespaces = Namespaces().create()
    try:
        yield namespaces
    finally:
        namespaces.remove()


@pytest.fixture
def cluster(tmp_path: Path, spaces: Namespaces) -> Iterator[NatsCluster]:
    servers = cluster_of(
        tmp_path / "nats",
        3,
        hosts=[spaces.address(i) for i in range(3)],
        netns=[spaces.name(i) for i in range(3)],
    )
    try:
        for server in servers.servers:
            server.start()
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with running_fake(delay=0.05) as server:
        yield server


def arrived(fake: FakeOpenAI, tag: str, model: str) -> bool:
    def seen(requests: list[Received]) -> bool:
        return any(r.path.startswith(f"/{tag}/") and r.json()["model"] == model for r in requests)

    return fake.server.wait_for(seen, 60)


async def test_a_partitioned_node_rejoins_and_catches_up(
    tmp_path: Path, cluster: NatsCluster, spaces: Namespaces, fake: FakeOpenAI, prefix: str
) -> None:
    placement = {"b": ["n3", "n1"], "d": ["n1", "n2"], "e": ["n3"]}
    nodes: dict[str, NodeProcess] = {}
    for index, name in enumerate(("n1", "n2", "n3")):
        path = write_node(
            tmp_path / name,
            node=name,
            servers=[cluster.urls[index]],
            prefix=prefix,
            provider=["kind: openai", f"base_url: {fake.base_url(name)}", "max_retries: 0"],
            placement=placement,
            replicas=3,
            lease_secs=2,
        )
        nodes[name] = NodeProcess(name, path)
    starter_path = write_node(
        tmp_path / "n0", node="n0", servers=cluster.urls[:2], prefix=prefix, replicas=3
    )
    fake.held.update({("n3", "b"), ("n1", "b")})
    try:
        for name in ("n2", "n3"):  # n1 joins later: b can only go to n3 first
            nodes[name].start()
        for name in ("n2", "n3"):
            await asyncio.to_thread(nodes[name].wait_ready)
        async with build_runtime(load_config(starter_path)) as starter:
            run = asyncio.ensure_future(starter.run_workflow("flow", "go"))
            assert await asyncio.to_thread(arrived, fake, "n3", "b")
            spaces.cut(2)
            nodes["n1"].start()
            await asyncio.to_thread(nodes["n1"].wait_ready)
            assert await asyncio.to_thread(arrived, fake, "n1", "b")  # after n3's lease
            fake.release("n1", "b")
            assert await asyncio.to_thread(arrived, fake, "n2", "d") or await asyncio.to_thread(
                arrived, fake, "n1", "d"
            )
            await asyncio.sleep(3)
            assert not run.done()  # e waits for n3, cut off
            assert not any(r.json()["model"] == "e" for r in list(fake.server.requests))
            spaces.heal(2)
            result = await asyncio.wait_for(run, 120)
            fake.release("n3", "b")  # n3's own b ends now, late
            assert result.status is RunStatus.COMPLETED, result.errors
            assert result.output.startswith("e says")
            assert starter.cluster is not None and starter.cluster.node is not None
            link = starter.cluster.node.link
            assert link is not None
            record: list[dict[str, object]] = []
            for _ in range(300):
                record = await recorded_events(link, result.run_id)
                if any(e["kind"] == "agent.failed" and e["node"] == "n3" for e in record):
                    break
                await asyncio.sleep(0.1)
    finally:
        for process in nodes.values():
            process.stop()

    models = Counter(
        (r.path.strip("/").split("/")[0], r.json()["model"]) for r in list(fake.server.requests)
    )
    assert models[("n3", "e")] == 1
    assert models[("n3", "b")] == 1 and models[("n1", "b")] == 1
    completed_b = [e for e in record if e["kind"] == "agent.completed" and e["agent_id"] == "b"]
    assert [e["node"] for e in completed_b] == ["n1"]  # one completion: the run used n1's ...
    assert result.outputs["b"] == str(completed_b[0]["output"])
    late_b = [e for e in record if e["kind"] == "agent.failed" and e["agent_id"] == "b"]
    assert [(e["node"], e["error_kind"]) for e in late_b] == [("n3", "cancelled")]
    assert "finished by another node first" in str(late_b[0]["error"])  # ... n3's superseded
    ids = [(e["journal_id"], e["seq"]) for e in record]
    assert len(ids) == len(set(ids))
    counts = Counter((e["kind"], e.get("agent_id")) for e in record)
    for agent in "acde":
        done = [e for e in record if e["kind"] == "agent.completed" and e["agent_id"] == agent]
        assert len(done) == 1, [(e["node"], e["activation_id"], e["seq"]) for e in done]
    assert counts[("run.completed", None)] == 1
