"""Single-agent runs on a cluster: a run of an agent `lattice.placement` puts elsewhere, or
started by a process that claims no work, is a cluster run of one step, claimed by a node
the agent is placed on; an agent this node may run still runs here, as in one process.
Two or three runtimes in this test process, each a node of a real nats-server."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

import pytest

from axo_tui.core.base.enums import RunStatus
from axo_tui.core.config import load_config
from axo_tui.core.distributed.run_bucket import get
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runs import RunError
from axo_tui.core.runtime.runtime import Runtime
from tests.support.cluster_project import (
    NodeProcess,
    local_events,
    started_in_journal,
    write_node,
)
from tests.support.cluster_runtimes import node_runtimes
from tests.support.echo_openai import running_fake
from tests.support.nats_cluster import NatsCluster


@contextlib.asynccontextmanager
async def nodes(
    tmp_path: Path,
    cluster: NatsCluster,
    prefix: str,
    names: Sequence[str],
    *,
    placement: Mapping[str, Sequence[str]] | None = None,
    claim: Sequence[str] | None = None,
) -> AsyncIterator[dict[str, Runtime]]:
    """A runtime per node; those in `claim` (all by default) host the project."""
    paths = {
        name: write_node(
            tmp_path / name, node=name, servers=cluster.urls, prefix=prefix, placement=placement
        )
        for name in names
    }
    async with node_runtimes(paths, hosting=claim) as runtimes:
        yield runtimes


def activations(runtime: Runtime, run_id: str) -> list[tuple[str, str, str]]:
    """(agent, trigger, status) of each activation this node's journal holds for the run."""
    return [(a.agent_id, a.trigger, str(a.status)) for a in runtime.journal.activations(run_id)]


def event_kinds(runtime: Runtime, run_id: str) -> list[str]:
    return [e.kind for e in runtime.state.events(run_id=run_id)]


async def work_published(runtime: Runtime) -> int:
    """How many step messages the work stream ever stored (acked ones leave it)."""
    node = runtime.cluster.node  # type: ignore[union-attr]
    assert node is not None and node.link is not None
    info = await node.link.js.stream_info(node.link.names.work_stream)
    return int(info.state.last_seq)


async def meta_of(runtime: Runtime, run_id: str) -> bytes | None:
    node = runtime.cluster.node  # type: ignore[union-attr]
    assert node is not None and node.link is not None
    return await get(node.link.runs, node.link.names.meta_key(run_id))


async def test_an_agent_placed_on_another_node_runs_there(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    async with nodes(tmp_path, nats_one, prefix, ["n1", "n2"], placement={"b": ["n2"]}) as rts:
        result = await rts["n1"].run_agent("b", "hello")

        assert (result.kind, result.target, result.status) == ("agent", "b", RunStatus.COMPLETED)
        assert result.output == "b done"
        assert result.outputs == {"b": "b done"}
        assert result.activations == 1
        # The step ran on n2, journaled there under the run's id, with its usage.
        assert activations(rts["n2"], result.run_id) == [("b", "manual", "completed")]
        assert activations(rts["n1"], result.run_id) == []
        tokens = rts["n2"].journal.run_tokens(result.run_id)
        assert tokens[0] > 0 and tokens[1] > 0
        assert (result.usage.prompt_tokens, result.usage.completion_tokens) == tokens
        # The run is journaled where it started, as a run of kind agent; it ends on n2.
        started = rts["n1"].state.events(run_id=result.run_id)
        assert [(e.kind, e.to_dict().get("run_kind")) for e in started] == [
            ("run.started", "agent")
        ]
        assert event_kinds(rts["n2"], result.run_id).count("run.completed") == 1
        assert await meta_of(rts["n1"], result.run_id) is not None


async def test_a_client_that_claims_nothing_hands_its_run_to_a_node(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    names = ["n1", "n2", "cli"]
    async with nodes(tmp_path, nats_one, prefix, names, claim=["n1", "n2"]) as rts:
        result = await rts["cli"].run_agent("a", "hi", run_id="run-from-cli")

        assert (result.run_id, result.status, result.output) == (
            "run-from-cli",
            RunStatus.COMPLETED,
            "a done",
        )
        assert activations(rts["cli"], result.run_id) == []
        ran = [name for name in ("n1", "n2") if activations(rts[name], result.run_id)]
        assert len(ran) == 1
        # The same run id again is refused, not run twice.
        with pytest.raises(RunError, match="run 'run-from-cli' exists already"):
            await rts["cli"].run_agent("a", "hi", run_id="run-from-cli")


async def test_a_failed_step_is_the_runs_failure(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    unanswered = ["kind: openai", "base_url: http://127.0.0.1:9/v1", "max_retries: 0"]
    paths = {
        name: write_node(
            tmp_path / name,
            node=name,
            servers=nats_one.urls,
            prefix=prefix,
            placement={"b": ["n2"]},
            provider=unanswered if name == "n2" else None,  # b's call fails on n2
        )
        for name in ("n1", "n2")
    }
    async with (
        build_runtime(load_config(paths["n1"]), background=True) as n1,
        build_runtime(load_config(paths["n2"]), background=True) as n2,
    ):
        for runtime in (n1, n2):
            await runtime.cluster.node.ready()  # type: ignore[union-attr]
        result = await n1.run_agent("b", "hello")

    assert (result.kind, result.status, result.failed) == ("agent", RunStatus.FAILED, ("b",))
    assert result.outputs == {}
    assert result.errors.get("b")  # why it failed, from n2


async def test_an_agent_this_node_may_run_runs_here_as_in_one_process(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    placement = {"b": ["n1"], "c": ["n2"]}
    async with nodes(tmp_path, nats_one, prefix, ["n1", "n2"], placement=placement) as rts:
        n1 = rts["n1"]
        before = await work_published(n1)
        unplaced = await n1.run_agent("a", "hi")  # placed nowhere: any node, so this one
        placed = await n1.run_agent("b", "hi")  # placed here
        # A chat turn stays where it starts, wherever its agent is placed.
        chat = await n1.run_agent("c", "hi", session_id="s1", run_kind="chat", trigger="chat")

        for result, agent in ((unplaced, "a"), (placed, "b"), (chat, "c")):
            assert result.status is RunStatus.COMPLETED and result.output == f"{agent} done"
            assert [a[0] for a in activations(n1, result.run_id)] == [agent]
            assert activations(rts["n2"], result.run_id) == []
            assert await meta_of(n1, result.run_id) is None  # never a cluster run
            record = n1.journal.get_run(result.run_id)
            assert record is not None and record.status is RunStatus.COMPLETED
        assert await work_published(n1) == before


@pytest.mark.timeout(180)
async def test_a_killed_nodes_agent_run_is_retried_on_another_after_its_lease(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    placement = {"b": ["n1", "n2"]}
    processes: dict[str, NodeProcess] = {}
    with running_fake(delay=0.05) as fake:
        for name in ("n1", "n2"):
            provider = ["kind: openai", f"base_url: {fake.base_url(name)}", "max_retries: 0"]
            path = write_node(
                tmp_path / name,
                node=name,
                servers=nats_one.urls,
                prefix=prefix,
                provider=provider,
                placement=placement,
            )
            processes[name] = NodeProcess(name, path)
        client = write_node(
            tmp_path / "cli", node="cli", servers=nats_one.urls, prefix=prefix, placement=placement
        )
        fake.held.update({("n1", "b"), ("n2", "b")})  # whoever claims b hangs in its call
        try:
            for process in processes.values():
                process.start()
            for process in processes.values():
                await asyncio.to_thread(process.wait_ready)
            async with build_runtime(load_config(client)) as starter:
                run = asyncio.ensure_future(starter.run_agent("b", "go"))
                arrived = await asyncio.to_thread(
                    fake.server.wait_for,
                    lambda requests: any(r.json()["model"] == "b" for r in requests),
                    60,
                )
                assert arrived, "no node claimed b"
                victim = next(r.path.strip("/").split("/")[0] for r in fake.server.requests)
                await asyncio.to_thread(started_in_journal, tmp_path / victim, "b")
                processes[victim].kill9()
                fake.held.clear()
                fake.server.wake()
                result = await asyncio.wait_for(run, 90)
        finally:
            for process in processes.values():
                process.stop()
        survivor = next(name for name in processes if name != victim)
        calls = Counter(r.path.strip("/").split("/")[0] for r in list(fake.server.requests))

    assert (result.kind, result.status) == ("agent", RunStatus.COMPLETED), result.errors
    assert result.output.startswith("b says ")
    # The victim's call was cut; the survivor ran it again, once, and its end is the run's.
    assert calls == Counter({victim: 1, survivor: 1})
    ends = [
        e
        for e in local_events(tmp_path / survivor, result.run_id)
        if e["kind"] in ("agent.completed", "run.completed")
    ]
    assert [(e["kind"], e.get("output")) for e in ends] == [
        ("agent.completed", result.output),
        ("run.completed", result.output),
    ]
    victim_ends = [
        e["kind"]
        for e in local_events(tmp_path / victim, result.run_id)
        if e["kind"] in ("agent.completed", "run.completed")
    ]
    assert victim_ends == []
