"""The ambient lattice of a cluster node (`lattice.backend: nats`): proactive triggers sense
the pheromone field's shared state (`distributed.field`), so a signal deposited on any node
(a skill's emits, `emit_event`, `axo emit`, a system signal) counts on every node.

A deposit is made in the shared bucket by compare-and-set, so one node sees the threshold
crossed; the trigger's cooldown is checked in the same bucket; then the agent runs here if
this node hosts the project and may run it, else on one node that may (`distributed.firing`).
A skill cascade's run-scoped signals stay with its run, in the one process that runs it.
Schedules tick once for the cluster: each tick is claimed by one node (`distributed.ticks`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from axo_tui.core.config.schema import Config, ProactiveConfig
from axo_tui.core.distributed.connection import ClusterError
from axo_tui.core.distributed.field import SharedDeposit
from axo_tui.core.distributed.firing import Firing, Firings
from axo_tui.core.distributed.node import may_run, placed_here
from axo_tui.core.distributed.ticks import ScheduleTicks

if TYPE_CHECKING:
    from axo_tui.core.distributed.node import ClusterNode

log = logging.getLogger(__name__)


class AmbientCluster(Protocol):
    """What the ambient lattice uses of the runtime's cluster (a `ClusterLattice`)."""

    @property
    def node(self) -> ClusterNode | None: ...

    @property
    def claim_work(self) -> bool: ...


Announce = Callable[[str, str, SharedDeposit], None]
"""(agent, signal, deposit): says what a deposit did."""
Fire = Callable[[ProactiveConfig, str, str], None]
"""(trigger, signal, payload): starts the proactive agent's run in this process."""


class ClusterAmbient:
    def __init__(
        self,
        cluster: AmbientCluster,
        *,
        announce: Announce,
        fire: Fire,
        notice: Callable[[str], None],
    ) -> None:
        self._cluster = cluster
        self._announce = announce
        self._fire = fire
        self._notice = notice
        self._config: Config | None = None

    def configure(self, config: Config) -> None:
        self._config = config

    async def deposit(
        self, signal: str, payload: str, by_agent: Mapping[str, ProactiveConfig]
    ) -> None:
        """Deposit `signal` for the proactive agents listening to it; fire who crossed."""
        node = self._cluster.node
        if node is None:
            return
        try:
            await node.ready()
            await self._deposit(node, signal, payload, by_agent)
        except ClusterError as exc:
            self._notice(f"signal {signal} not deposited in the cluster's field: {exc}")
        except Exception as exc:  # NATS gone mid-deposit: said, never a crash of the caller
            log.warning("signal %s not deposited in the cluster's field", signal, exc_info=True)
            self._notice(
                f"signal {signal} not deposited in the cluster's field: {type(exc).__name__}: {exc}"
            )

    async def _deposit(
        self,
        node: ClusterNode,
        signal: str,
        payload: str,
        by_agent: Mapping[str, ProactiveConfig],
    ) -> None:
        field = node.field
        config = self._config
        assert field is not None and config is not None  # both set once the node is ready
        field.configure(
            threshold=config.lattice.threshold,
            decay=config.lattice.decay,
            overrides={a.id: (a.lattice.threshold, a.lattice.decay) for a in config.agents},
        )
        for deposit in await field.deposit(signal, list(by_agent)):
            self._announce(deposit.agent_id, signal, deposit)
            if not deposit.fired:
                continue
            entry = by_agent[deposit.agent_id]
            if await field.cooled(entry.id, entry.trigger.cooldown_secs, node.name):
                await self._dispatch(node, entry, Firing(entry.id, signal, payload))

    async def _dispatch(self, node: ClusterNode, entry: ProactiveConfig, firing: Firing) -> None:
        may_run_here = may_run(node.settings, entry.agent, node.name)
        if may_run_here and self._cluster.claim_work:
            self._fire(entry, firing.signal, firing.payload)
            return
        assert node.link is not None
        if await Firings(node.link.nc, node.link.names).hand_off(entry.agent, firing):
            return
        if may_run_here:  # no node hosting the project answered: this process runs it
            self._fire(entry, firing.signal, firing.payload)
            return
        self._notice(
            f"proactive '{entry.id}' fired on {firing.signal}, but no node that may run "
            f"{entry.agent} took it (lattice.placement)"
        )

    async def ticks(self) -> ScheduleTicks | None:
        """This node's claims on the schedules' ticks, once connected; None when it does not
        host the project or did not connect (it said why)."""
        node = self._cluster.node
        if node is None or not self._cluster.claim_work:
            return None
        try:
            await node.ready()
        except ClusterError:
            return None
        assert node.link is not None and node.field is not None  # set once ready
        return ScheduleTicks(node.field, node.link.runs, node.link.names, node.name)

    def may_run(self, agent_id: str) -> bool:
        """Whether `lattice.placement` lets this node run `agent_id`."""
        node = self._cluster.node
        return node is not None and may_run(node.settings, agent_id, node.name)

    async def serve(self, entries: Sequence[ProactiveConfig]) -> None:
        """Run the firings other nodes hand to this one (until cancelled)."""
        node = self._cluster.node
        if node is None or not self._cluster.claim_work:
            return
        try:
            await node.ready()
        except ClusterError:
            return  # the node said why it did not start
        agents = placed_here(
            node.settings, list(dict.fromkeys(e.agent for e in entries)), node.name
        )
        assert node.link is not None
        try:
            subscriptions = await Firings(node.link.nc, node.link.names).serve(agents, self._take)
        except Exception as exc:  # the connection closed meanwhile: said, not a lost task
            self._notice(f"this node takes no proactive firings from others: {exc}")
            return
        try:
            await asyncio.Event().wait()
        finally:
            for subscription in subscriptions:
                with contextlib.suppress(Exception):  # the connection may be closed already
                    await subscription.unsubscribe()

    async def _take(self, agent_id: str, firing: Firing) -> bool:
        config = self._config
        entry = next(
            (e for e in (config.proactive if config else ()) if e.id == firing.trigger_id),
            None,
        )
        if entry is None or entry.agent != agent_id:
            self._notice(
                f"another node fired proactive '{firing.trigger_id}' for {agent_id}, which "
                "this node's axo.yaml does not have: every node needs the same agents"
            )
            return False
        self._fire(entry, firing.signal, firing.payload)
        return True
