"""Workflow runs across nodes, in one test process: two or three runtimes, each a node of a
real NATS server, each with a journal of its own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

from axo_tui.core.base.enums import RunStatus
from axo_tui.core.distributed.inspect import recorded_events
from axo_tui.core.runtime.runtime import Runtime
from tests.support.cluster_project import write_node
from tests.support.cluster_runtimes import node_runtimes
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
    paths = {
        name: write_node(
            tmp_path / name,
            node=name,
            servers=[cluster.urls[index % len(cluster.urls)]],
            prefix=prefix,
            placement=placement,
        )
        for index, name in enumerate(names)
    }
    async with node_runtimes(paths, hosting=claim) as runtimes:
        yield runtimes


def completions(runtime: Runtime, run_id: str) -> list[str]:
    events = runtime.state.events(run_id=run_id)
    return [e.agent_id or "" for e in events if e.kind == "agent.completed"]


async def test_a_cascade_crosses_nodes_as_placed(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    placement = {"a": ["n1"], "b": ["n2"], "c": ["n1"], "d": ["n2"], "e": ["n1"]}
    async with nodes(tmp_path, nats_one, prefix, ["n1", "n2"], placement=placement) as rts:
        result = await rts["n2"].run_workflow("flow", "hello")
        assert result.status is RunStatus.COMPLETED
        assert result.output == "e done"
        assert set(result.outputs) == {"a", "b", "c", "d", "e"}
        assert sorted(completions(rts["n1"], result.run_id)) == ["a", "c", "e"]
        assert sorted(completions(rts["n2"], result.run_id)) == ["b", "d"]
        node = rts["n1"].cluster.node  # type: ignore[union-attr]
        assert node is not None and node.link is not None
        for runtime in rts.values():
            await runtime.cluster.node.outbox.flush()  # type: ignore[union-attr]
        record = await recorded_events(node.link, result.run_id)
        kinds = [(e["kind"], e.get("agent_id")) for e in record]
        assert kinds.count(("run.started", None)) == 1
        assert kinds.count(("run.completed", None)) == 1
        for agent in "abcde":
            assert kinds.count(("agent.completed", agent)) == 1
        await asyncio.sleep(0)
