"""Schedules across nodes: each tick is started by exactly one node.

Every node that hosts the project keeps a schedule's clock, on the wall clock's multiples of
its interval (tick k is due at k·every seconds since the epoch), so all nodes count the same
ticks. When a tick is due each of them claims it by compare-and-set on the schedule's one
key in the field bucket (`Names.schedule_key`), which holds the last tick claimed: the first
write for tick k wins, the others find k there and stand down. A node that was down when a
tick was due only looks at ticks to come, and a tick already claimed stays claimed, so a node
that comes back never fires one twice. The key's TTL outlives several ticks and is renewed
by each claim, so a schedule that is removed leaves nothing behind.

A scheduled workflow run started on any node may still be going at the next tick: the
claim then records the tick as skipped (one node says so) rather than pile a run behind it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from axo_tui.core.base.ids import random_hex
from axo_tui.core.distributed.field import Change, SharedField
from axo_tui.core.distributed.names import Names
from axo_tui.core.distributed.run_bucket import get

if TYPE_CHECKING:
    from nats.js.kv import KeyValue

CLAIM_TTL_TICKS = 3
"""A claim's key lives this many intervals past its last claim ..."""
CLAIM_TTL_FLOOR_SECS = 60.0
"""... and at least this long: more than any node's lateness or clock skew."""


@dataclass(frozen=True)
class Tick:
    index: int
    at: float
    """When it is due, in seconds since the epoch."""

    def run_id(self) -> str:
        """A new run id (the shape of `ids.new_id`) whose time part is this tick's: the
        runs of one schedule sort and group by tick."""
        return f"{round(self.at * 1000):011x}{random_hex(5)}"


def upcoming(every_secs: float, now: float) -> Tick:
    """The first tick of a schedule due after `now`."""
    index = math.floor(now / every_secs) + 1
    return Tick(index, index * every_secs)


class Claim(StrEnum):
    WON = "won"
    """This node starts the tick's run."""
    TAKEN = "taken"
    """Another node claimed the tick."""
    BUSY = "busy"
    """The schedule's previous run is still going: the tick is skipped, said by this node."""


StillGoing = Callable[[str], Awaitable[bool]]
"""Whether the run of that id (a previous tick's) has not ended yet."""


class ScheduleTicks:
    def __init__(self, field: SharedField, runs: KeyValue, names: Names, node: str) -> None:
        self._field = field
        self._runs = runs
        self._names = names
        self.node = node

    async def claim(
        self,
        timer: str,
        tick: Tick,
        every_secs: float,
        run_id: str,
        *,
        still_going: StillGoing | None = None,
    ) -> Claim:
        """Claim `tick` of `timer` for the run `run_id`. `still_going`: how to tell whether
        the run a previous tick started is still going (None: the cluster's runs bucket)."""
        key = Names.schedule_key(timer)
        entry = await self._field.read(key)
        last = _decode(entry[0] if entry else None)
        busy_run = ""
        if last is not None and int(last["tick"]) < tick.index and last.get("run_id"):
            previous = str(last["run_id"])
            if await (still_going or self.run_going)(previous):
                busy_run = previous
        ttl = max(CLAIM_TTL_FLOOR_SECS, CLAIM_TTL_TICKS * every_secs)

        def claim(raw: bytes | None, now: float) -> Change[Claim]:
            last = _decode(raw)
            if last is not None and int(last["tick"]) >= tick.index:
                return None, None, Claim.TAKEN
            claimed = {"tick": tick.index, "node": self.node, "at": now}
            if busy_run and last is not None and last.get("run_id") == busy_run:
                return {**claimed, "run_id": busy_run, "skipped": True}, ttl, Claim.BUSY
            return {**claimed, "run_id": run_id}, ttl, Claim.WON

        return await self._field.compare_and_set(key, claim)

    async def run_going(self, run_id: str) -> bool:
        """A cluster run that was started (its input recorded) and has not ended."""
        names = self._names
        if await get(self._runs, names.meta_key(run_id)) is None:
            return False  # never submitted (its node died first), or long expired
        return await get(self._runs, names.end_key(run_id)) is None


def _decode(raw: bytes | None) -> dict[str, Any] | None:
    if not raw:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None
