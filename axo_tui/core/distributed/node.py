"""One node of a cluster: its connection, its outbox, the steps it claims.

A runtime with `lattice.backend: nats` holds one. It connects in the background when the
runtime starts (a run waits for it), claims the steps of the agents placed on it when it
hosts the project (`axo nats node`, `axo serve`, `axo dev`), and on the way back from a
crash catches up: the steps it was running are ended as the runs bucket says, the outbox
sends what it had not, the ends it recorded are announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from axo_tui.core.config.nats_schema import ClusterSettings
from axo_tui.core.distributed.connection import ClusterError, ClusterLink, connect
from axo_tui.core.distributed.field import SharedField
from axo_tui.core.distributed.outbox import EventSource, Outbox
from axo_tui.core.distributed.steps import ClusterHost, RunOutcome
from axo_tui.core.distributed.work import ClusterRuns

START_RETRY_SECS = 60.0
CLOSE_FLUSH_SECS = 5.0
"""At close, the outbox gets this long to send what is left (the rest goes at next start)."""


async def _retrying(action: Callable[[], Awaitable[object]]) -> None:
    """Right after a partition or a leader's death JetStream answers nothing for a few
    seconds (an election): a node starting then waits it out rather than fail."""
    deadline = time.monotonic() + START_RETRY_SECS
    while True:
        try:
            await action()
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"the cluster did not answer for {START_RETRY_SECS:.0f}s: {exc}"
                ) from None
            await asyncio.sleep(0.5)


def node_name(settings: ClusterSettings) -> str:
    """`lattice.nats.node`, else `$AXO_NODE`, else the host name (made a valid token)."""
    name = settings.nats.node or os.environ.get("AXO_NODE", "") or socket.gethostname()
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)[:64] or "node"


def may_run(settings: ClusterSettings, agent_id: str, node: str) -> bool:
    """Whether `lattice.placement` lets `node` run `agent_id`: placed on it, or nowhere."""
    return node in (settings.nodes_of(agent_id) or (node,))


def placed_here(settings: ClusterSettings, agent_ids: list[str], node: str) -> list[str]:
    """The agents this node may run: those placed on it, and those placed nowhere."""
    return [a for a in agent_ids if may_run(settings, a, node)]


class ClusterNode:
    def __init__(
        self,
        settings: ClusterSettings,
        host: ClusterHost,
        events: EventSource,
        data_dir: Path,
        *,
        last_seq: Callable[[], int],
        claim_work: bool,
    ) -> None:
        self.settings = settings
        self.name = node_name(settings)
        self._host = host
        self._events = events
        self._directory = data_dir / "cluster"
        self._last_seq = last_seq
        self.claim_work = claim_work
        self.link: ClusterLink | None = None
        self.outbox: Outbox | None = None
        self.runs: ClusterRuns | None = None
        self.field: SharedField | None = None
        """The pheromone field's shared state (`distributed.field`)."""
        self._ready: asyncio.Future[None] | None = None
        self._outbox_task: asyncio.Task[None] | None = None
        self.agents: list[str] = []
        """The agents whose steps this node claims."""

    async def start(self) -> None:
        """Connect, then follow the journal and claim work. Raises ClusterError (also to
        whoever waits in `ready()`)."""
        ready = self._ready_future()
        try:
            await self._start()
        except Exception as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise
        if not ready.done():
            ready.set_result(None)

    async def _start(self) -> None:
        link = await connect(self.settings.nats, self.name)
        self.link = link
        self.outbox = Outbox(
            link, self._events, self._directory, self.name, last_seq=self._last_seq
        )
        self._outbox_task = asyncio.ensure_future(self.outbox.run_forever())
        config = self._host.config
        self.field = SharedField(
            link.field,
            link.js,
            link.names.field_bucket,
            threshold=config.lattice.threshold,
            decay=config.lattice.decay,
            overrides={a.id: (a.lattice.threshold, a.lattice.decay) for a in config.agents},
        )
        runs = self.runs = ClusterRuns(link, self._host, self.name)
        await _retrying(lambda: self._host.close_stale_steps(runs.record_of))
        await _retrying(runs.catch_up)
        if self.claim_work:  # every agent: a single-agent run is a step too
            agents = [a.id for a in config.agents]
            self.agents = placed_here(self.settings, list(dict.fromkeys(agents)), self.name)
            for agent in self.agents:
                await _retrying(lambda agent=agent: runs.serve([agent]))  # type: ignore[misc]

    def _ready_future(self) -> asyncio.Future[None]:
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_future()
        return self._ready

    async def ready(self) -> ClusterRuns:
        await asyncio.shield(self._ready_future())
        assert self.runs is not None
        return self.runs

    def poke(self) -> None:
        if self.outbox is not None:
            self.outbox.poke()

    async def run(
        self,
        target: str,
        input_text: str,
        run_id: str | None,
        *,
        kind: str = "workflow",
        trigger: str = "",
        task: str = "",
    ) -> RunOutcome:
        """A workflow run, or with `kind="agent"` a single-agent run, in the cluster."""
        runs = await self.ready()
        return await runs.run(target, input_text, run_id, kind=kind, trigger=trigger, task=task)

    async def aclose(self) -> None:
        if self.runs is not None:
            await self.runs.stop()
        if self._outbox_task is not None:
            self._outbox_task.cancel()
            with contextlib.suppress(BaseException):
                await self._outbox_task
        if self.outbox is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.outbox.flush(), CLOSE_FLUSH_SECS)
        if self.link is not None:
            with contextlib.suppress(Exception):
                await self.link.close()
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(ClusterError("the cluster node was closed"))
            self._ready.exception()  # retrieved: nobody may be waiting
