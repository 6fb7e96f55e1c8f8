"""The ambient lattice across nodes: proactive triggers sense the field shared in JetStream
KV, so a signal deposited on one node fires (once) a trigger on another. Two runtimes in this
test process, each a node of a real nats-server, each with a journal of its own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

from axo_tui.core.runtime.runtime import Runtime
from tests.support.cluster_project import write_node
from tests.support.cluster_runtimes import node_runtimes, settled, shared_field, watch_inputs
from tests.support.nats_cluster import NatsCluster

AMBIENT = """\
  threshold: {threshold}
  decay: {decay}
skills:
  - id: announce
    agents: [a]
    prompt: Say it.
    emits: [Ping]
proactive:
  - id: watcher
    agent: watch
    trigger: {{type: on_event, event: Ping, cooldown_secs: {cooldown}}}
    input: Look.
"""


@contextlib.asynccontextmanager
async def nodes(
    tmp_path: Path,
    cluster: NatsCluster,
    prefix: str,
    *,
    threshold: float = 1.0,
    decay: float = 0.0,
    cooldown: float = 0,
    placement: Mapping[str, Sequence[str]] | None = None,
    hosting: Sequence[str] = ("n1", "n2"),
) -> AsyncIterator[dict[str, Runtime]]:
    """Nodes n1 and n2 of one project; those in `hosting` host it (as `axo nats node`), the
    others are one-shot processes (as `axo emit`)."""
    paths = {}
    for name in ("n1", "n2"):
        path = write_node(
            tmp_path / name,
            node=name,
            servers=cluster.urls,
            prefix=prefix,
            agents=("a", "watch"),
            depends={},
            placement=placement,
        )
        extra = AMBIENT.format(threshold=threshold, decay=decay, cooldown=cooldown)
        path.write_text(path.read_text() + extra)  # the lattice block is the file's last
        paths[name] = path
    async with node_runtimes(paths, hosting=hosting) as runtimes:
        yield runtimes


def notices(runtime: Runtime) -> list[str]:
    events = runtime.state.events(limit=100_000)
    return [str(e.fields["message"]) for e in events if e.kind == "runtime.warning"]


async def test_a_skill_on_one_node_fires_a_proactive_agent_placed_on_another(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    async with nodes(tmp_path, nats_one, prefix, placement={"watch": ["n2"]}) as rts:
        result = await rts["n1"].fire_skill("announce", "go")
        assert result.ok
        await settled(rts)
        assert watch_inputs(rts["n1"]) == []  # fired on n1, run where it is placed
        assert watch_inputs(rts["n2"]) == ["Look.\n\nEvent Ping: a done"]


async def test_weak_signals_on_two_nodes_add_up_and_fire_once(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    async with nodes(tmp_path, nats_one, prefix, threshold=2.0) as rts:
        await rts["n1"].emit_signal("Ping", "one")
        await settled(rts)
        assert watch_inputs(rts["n1"]) + watch_inputs(rts["n2"]) == []
        assert await shared_field(rts["n2"]).intensity("watch") == 1.0  # n1's, seen on n2
        await rts["n2"].emit_signal("Ping", "two")
        await settled(rts)
        assert watch_inputs(rts["n1"]) == []
        assert watch_inputs(rts["n2"]) == ["Look.\n\nEvent Ping: two"]  # crossed on n2
        assert await shared_field(rts["n1"]).intensity("watch") == 0.0  # reset on fire
        await rts["n1"].emit_signal("Ping", "three")
        await settled(rts)
        assert len(watch_inputs(rts["n1"]) + watch_inputs(rts["n2"])) == 1


async def test_a_remote_deposit_decays_as_a_local_one(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    async with nodes(tmp_path, nats_one, prefix, threshold=2.0, decay=2.0) as rts:
        await rts["n1"].emit_signal("Ping", "one")
        await settled(rts)
        field = shared_field(rts["n2"])
        level = await field.intensity("watch")
        assert 0.0 < level <= 1.0
        for _ in range(600):  # λ = 2/s: well under half within a second
            level = await field.intensity("watch")
            if level < 0.5:
                break
            await asyncio.sleep(0.05)
        assert level < 0.5
        await rts["n2"].emit_signal("Ping", "two")  # 1.0 + under 0.5: below the threshold
        await settled(rts)
        assert watch_inputs(rts["n1"]) + watch_inputs(rts["n2"]) == []
        assert 1.0 < await field.intensity("watch") < 1.5


async def test_a_cooldown_holds_across_nodes(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    async with nodes(tmp_path, nats_one, prefix, cooldown=600) as rts:
        await rts["n1"].emit_signal("Ping", "one")
        await settled(rts)
        assert watch_inputs(rts["n1"]) == ["Look.\n\nEvent Ping: one"]
        await rts["n2"].emit_signal("Ping", "two")  # crosses the threshold, within cooldown
        await settled(rts)
        assert watch_inputs(rts["n1"]) == ["Look.\n\nEvent Ping: one"]
        assert watch_inputs(rts["n2"]) == []


async def test_a_one_shot_emitter_hands_the_firing_to_a_hosting_node(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    async with nodes(tmp_path, nats_one, prefix, hosting=("n2",)) as rts:
        await rts["n1"].emit_signal("Ping", "from the shell")
        await settled(rts)
        assert watch_inputs(rts["n1"]) == []
        assert watch_inputs(rts["n2"]) == ["Look.\n\nEvent Ping: from the shell"]


async def test_a_firing_no_node_may_run_is_said(
    tmp_path: Path, nats_one: NatsCluster, prefix: str
) -> None:
    async with nodes(tmp_path, nats_one, prefix, placement={"watch": ["n3"]}) as rts:
        await rts["n1"].emit_signal("Ping", "one")
        await settled(rts)
        assert watch_inputs(rts["n1"]) + watch_inputs(rts["n2"]) == []
        said = notices(rts["n1"])
        assert any("no node that may run watch took it" in message for message in said), said
