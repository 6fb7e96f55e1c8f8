"""Runtimes in the test process as nodes of one cluster: start them, wait until they
settle, and read what a node journaled or holds in the shared field."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection, Mapping
from pathlib import Path

from axo_tui.core.config import load_config
from axo_tui.core.distributed.field import SharedField
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runtime import Runtime


@contextlib.asynccontextmanager
async def node_runtimes(
    configs: Mapping[str, Path], *, hosting: Collection[str] | None = None
) -> AsyncIterator[dict[str, Runtime]]:
    """A runtime per node (its name: its axo.yaml). Those in `hosting` (all by default) host
    the project, as `axo nats node` does; the others are one-shot processes (as `axo run`,
    `axo emit`). Yields once every node is connected."""
    runtimes: dict[str, Runtime] = {}
    async with contextlib.AsyncExitStack() as stack:
        for name, path in configs.items():
            background = hosting is None or name in hosting
            runtime = build_runtime(load_config(path), background=background)
            runtimes[name] = await stack.enter_async_context(runtime)
        for runtime in runtimes.values():
            assert runtime.cluster is not None and runtime.cluster.node is not None
            await runtime.cluster.node.ready()
        yield runtimes


async def settled(runtimes: Mapping[str, Runtime]) -> None:
    """Every deposit made, every firing handed off, every run it started ended. A firing
    is answered once its run is spawned, so the emitter's idleness comes first."""
    for _ in range(2):
        for runtime in runtimes.values():
            await runtime.wait_idle(timeout=60)


def watch_inputs(runtime: Runtime) -> list[str]:
    """The inputs of the proactive watcher's activations in this node's journal."""
    return [
        str(event.fields["input"])
        for event in runtime.state.events(limit=100_000)
        if event.kind == "agent.activated" and event.agent_id == "watch"
    ]


def shared_field(runtime: Runtime) -> SharedField:
    """The field this node shares with the others (its cluster node is up)."""
    assert runtime.cluster is not None and runtime.cluster.node is not None
    field = runtime.cluster.node.field
    assert field is not None
    return field
