"""The pheromone field's shared state in JetStream KV: one key per (scope, agent) holding
the intensity at a wall-clock time, with a TTL set to when it will have decayed to nothing.

The same model as `runtime.lattice.PheromoneField` (I(t) = I0·e^(−λt), fire at the
threshold, reset on fire), with deposits made by compare-and-set on the key's revision: two
nodes depositing at once are applied one after the other, so exactly one of them sees the
threshold crossed and fires. A key whose intensity has faded expires by itself (per-key TTL,
nats-server 2.11+), so the bucket holds only live signals.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from axo_tui.core.distributed.names import Names
from axo_tui.core.events.signals import signal_weight

if TYPE_CHECKING:
    from nats.js.client import JetStreamContext
    from nats.js.kv import KeyValue

FADED = 1e-3
"""A key expires when its intensity would fall below this fraction of the threshold."""

MIN_TTL_SECS = 1.0
"""JetStream's smallest per-message TTL."""


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
        entry = await self._read(Names.field_key(scope, agent_id))
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
        from nats.js.errors import KeyWrongLastSequenceError

        key = Names.field_key(scope, agent_id)
        threshold = self.threshold_of(agent_id)
        while True:  # compare-and-set: a deposit made meanwhile by another node goes first
            entry = await self._read(key)
            now = self._clock()
            current = self._decayed(agent_id, entry[0] if entry else None, now) + amount
            fired = current >= threshold - 1e-9
            stored = 0.0 if fired else current
            value = json.dumps({"value": stored, "at": now}).encode()
            try:
                if entry is None:
                    await self._kv.create(key, value, msg_ttl=self.ttl(agent_id, stored))
                else:
                    await self._update(key, value, entry[1], self.ttl(agent_id, stored))
            except KeyWrongLastSequenceError:
                continue
            return SharedDeposit(agent_id, signal, amount, current, threshold, fired)

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

    async def _read(self, key: str) -> tuple[bytes, int] | None:
        from nats.js.errors import KeyDeletedError, KeyNotFoundError

        try:
            entry = await self._kv.get(key)
        except KeyDeletedError as exc:
            return (b"", exc.entry.revision) if exc.entry is not None else None
        except KeyNotFoundError:
            return None
        return entry.value or b"", entry.revision or 0
