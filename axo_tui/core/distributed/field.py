"""The pheromone field's shared state in JetStream KV: one key per (scope, agent) holding
the intensity at a wall-clock time, with a TTL set to when it will have decayed to nothing.

The same model as `runtime.lattice.PheromoneField` (I(t) = I0·e^(−λt), fire at the
threshold, reset on fire), with deposits made by compare-and-set on the key's revision: two
nodes depositing at once are applied one after the other, so exactly one of them sees the
threshold crossed and fires. A key whose intensity has faded expires by itself (per-key TTL,
nats-server 2.11+), so the bucket holds only live signals. A proactive trigger's cooldown
lives in the same bucket, so a trigger fires at most once per cooldown in the whole cluster.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from axo_tui.core.distributed.names import Names
from axo_tui.core.events.signals import signal_weight

if TYPE_CHECKING:
    from nats.js.client import JetStreamContext
    from nats.js.kv import KeyValue

FADED = 1e-3
"""A key expires when its intensity would fall below this fraction of the threshold."""

MIN_TTL_SECS = 1.0
"""JetStream's smallest per-message TTL."""

UNANSWERED_SECS = 30.0
"""How long a deposit keeps asking while JetStream does not answer (an election, a load)."""

T = TypeVar("T")
Change = tuple[dict[str, Any] | None, float | None, T]
"""What a compare-and-set writes (None: nothing), with its TTL, and what it returns."""


@dataclass(frozen=True)
class SharedDeposit:
    agent_id: str
    signal: str
    weight: float
    intensity: float
    threshold: float
    fired: bool


class SharedField:
    def __init__(
        self,
        kv: KeyValue,
        js: JetStreamContext,
        bucket: str,
        *,
        threshold: float = 1.0,
        decay: float = 0.1,
        overrides: Mapping[str, tuple[float | None, float | None]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._kv = kv
        self._js = js
        self._subject_prefix = f"$KV.{bucket}."
        self.threshold = threshold
        self.decay = decay
        self._overrides = dict(overrides or {})
        self._clock = clock  # wall clock: the nodes' monotonic clocks do not agree

    def configure(
        self,
        *,
        threshold: float,
        decay: float,
        overrides: Mapping[str, tuple[float | None, float | None]],
    ) -> None:
        """The project's threshold and λ (a reload changes them, as for the local field)."""
        self.threshold = threshold
        self.decay = decay
        self._overrides = dict(overrides)

    def threshold_of(self, agent_id: str) -> float:
        override = self._overrides.get(agent_id, (None, None))[0]
        return self.threshold if override is None else override

    def decay_of(self, agent_id: str) -> float:
        override = self._overrides.get(agent_id, (None, None))[1]
        return self.decay if override is None else override

    def ttl(self, agent_id: str, intensity: float) -> float | None:
        """Seconds until `intensity` fades below `FADED` of the threshold; None: never."""
        decay = self.decay_of(agent_id)
        floor = FADED * self.threshold_of(agent_id)
        if decay <= 0:
            return None
        if intensity <= floor:
            return MIN_TTL_SECS
        return max(MIN_TTL_SECS, math.log(intensity / floor) / decay)

    def _decayed(self, agent_id: str, raw: bytes | None, now: float) -> float:
        if not raw:
            return 0.0
        level = json.loads(raw)
        elapsed = max(0.0, now - float(level["at"]))
        return float(level["value"]) * math.exp(-self.decay_of(agent_id) * elapsed)

    async def intensity(self, agent_id: str, scope: str | None = None) -> float:
        entry = await self.read(Names.field_key(scope, agent_id))
        return self._decayed(agent_id, entry[0] if entry else None, self._clock())

    async def deposit(
        self,
        signal: str,
        agents: Iterable[str],
        *,
        scope: str | None = None,
        weight: float | None = None,
    ) -> list[SharedDeposit]:
        amount = signal_weight(signal) if weight is None else weight
        return [await self._deposit_one(signal, agent, scope, amount) for agent in agents]

    async def _deposit_one(
        self, signal: str, agent_id: str, scope: str | None, amount: float
    ) -> SharedDeposit:
        threshold = self.threshold_of(agent_id)

        def add(raw: bytes | None, now: float) -> Change[SharedDeposit]:
            current = self._decayed(agent_id, raw, now) + amount
            fired = current >= threshold - 1e-9
            stored = 0.0 if fired else current
            deposit = SharedDeposit(agent_id, signal, amount, current, threshold, fired)
            return {"value": stored, "at": now}, self.ttl(agent_id, stored), deposit

        return await self.compare_and_set(Names.field_key(scope, agent_id), add)

    async def cooled(self, trigger_id: str, cooldown_secs: float, node: str) -> bool:
        """Whether proactive trigger `trigger_id` may fire now: it has not fired within
        `cooldown_secs` on any node. When it may, its cooldown starts for the cluster."""
        if cooldown_secs <= 0:
            return True

        def start(raw: bytes | None, now: float) -> Change[bool]:
            last = float(json.loads(raw)["at"]) if raw else None
            if last is not None and now - last < cooldown_secs:
                return None, None, False
            return {"at": now, "node": node}, max(MIN_TTL_SECS, cooldown_secs), True

        return await self.compare_and_set(Names.cooldown_key(trigger_id), start)

    async def compare_and_set(
        self, key: str, change: Callable[[bytes | None, float], Change[T]]
    ) -> T:
        """Apply `change` to the key's value as of now, retried while another node writes
        first: two nodes at once are applied in turn. A write whose answer was lost (a
        loaded server, an election) is found by its mark rather than applied twice."""
        from nats.js.errors import KeyWrongLastSequenceError

        mark = uuid.uuid4().hex
        sent: T | None = None
        deadline = time.monotonic() + UNANSWERED_SECS
        while True:
            try:
                entry = await self.read(key)
                raw = entry[0] if entry and entry[0] else None
                if sent is not None and raw is not None and json.loads(raw).get("mark") == mark:
                    return sent  # the write that went unanswered was made
                value, ttl, result = change(raw, self._clock())
                if value is None:
                    return result
                sent = result
                await self.write(key, json.dumps({**value, "mark": mark}).encode(), entry, ttl)
                return result
            except KeyWrongLastSequenceError:
                continue
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def write(
        self, key: str, value: bytes, last: tuple[bytes, int] | None, ttl: float | None
    ) -> None:
        """Create the key (`last` None) or replace the revision `last` read; raises
        KeyWrongLastSequenceError when another write came first."""
        if last is None:
            await self._kv.create(key, value, msg_ttl=ttl)
        else:
            await self._update(key, value, last[1], ttl)

    async def _update(self, key: str, value: bytes, last: int, ttl: float | None) -> None:
        """The KV update, with a TTL (nats-py's `update` takes none): a publish expecting
        the key's last revision, as the KV protocol defines it."""
        from nats.js.errors import APIError, KeyWrongLastSequenceError

        headers = {"Nats-Expected-Last-Subject-Sequence": str(last)}
        try:
            await self._js.publish(self._subject_prefix + key, value, headers=headers, msg_ttl=ttl)
        except APIError as exc:
            if exc.err_code in (10071, 10164):  # wrong last sequence: someone was first
                raise KeyWrongLastSequenceError(description=exc.description) from None
            raise

    async def read(self, key: str) -> tuple[bytes, int] | None:
        """A key's value and revision (empty for a deleted or expired one); None: never set."""
        from nats.js.errors import KeyDeletedError, KeyNotFoundError

        try:
            entry = await self._kv.get(key)
        except KeyDeletedError as exc:
            return (b"", exc.entry.revision) if exc.entry is not None else None
        except KeyNotFoundError:
            return None
        return entry.value or b"", entry.revision or 0
