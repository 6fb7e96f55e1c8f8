"""The pheromone field in JetStream KV: deposits from two nodes at once, and TTLs."""

from __future__ import annotations

import asyncio
import math

from axo_tui.core.config.nats_schema import NatsSettings
from axo_tui.core.distributed.connection import ClusterLink, connect
from axo_tui.core.distributed.field import FADED, SharedField
from axo_tui.core.distributed.names import Names
from tests.support.nats_cluster import NatsCluster


def field_of(link: ClusterLink, **kwargs: float) -> SharedField:
    return SharedField(link.field, link.js, link.names.field_bucket, **kwargs)


async def test_two_nodes_depositing_at_once_fire_exactly_once_per_threshold(
    nats_one: NatsCluster, prefix: str
) -> None:
    settings = NatsSettings(servers=tuple(nats_one.urls), prefix=prefix)
    one, two = await connect(settings, "n1"), await connect(settings, "n2")
    try:
        fields = [field_of(one, threshold=1.0, decay=0.0), field_of(two, threshold=1.0, decay=0.0)]
        deposits = await asyncio.gather(
            *(fields[i % 2].deposit("tick", ["w"], weight=0.25) for i in range(20))
        )
        fired = sum(d.fired for batch in deposits for d in batch)
        assert fired == 5  # 20 x 0.25 crosses 1.0 five times, whichever node deposits
        assert await fields[0].intensity("w") == 0.0
        await fields[1].deposit("tick", ["w"], weight=0.5)
        assert await fields[0].intensity("w") == 0.5  # one state, seen from both nodes
        assert await fields[0].intensity("w", scope="some-run") == 0.0  # scopes apart
    finally:
        await one.close()
        await two.close()


async def test_a_faded_signal_expires_from_the_bucket(nats_one: NatsCluster, prefix: str) -> None:
    from nats.js.errors import KeyDeletedError, KeyNotFoundError

    link = await connect(NatsSettings(servers=tuple(nats_one.urls), prefix=prefix), "n1")
    try:
        field = field_of(link, threshold=1.0, decay=5.0)
        assert field.ttl("w", 0.5) == math.log(0.5 / FADED) / 5.0  # about 1.2 s
        assert field.ttl("w", 0.5) is not None
        assert field_of(link, decay=0.0).ttl("w", 0.5) is None  # no decay: kept
        await field.deposit("tick", ["w"], weight=0.5)
        key = Names.field_key(None, "w")
        assert (await link.field.get(key)).value
        gone = False
        for _ in range(200):
            try:
                await link.field.get(key)
            except (KeyNotFoundError, KeyDeletedError):
                gone = True
                break
            await asyncio.sleep(0.05)
        assert gone
        again = await field.deposit("tick", ["w"], weight=0.5)  # a new deposit after expiry
        assert again[0].intensity == 0.5
    finally:
        await link.close()


async def test_a_trigger_cools_down_once_for_every_node(nats_one: NatsCluster, prefix: str) -> None:
    settings = NatsSettings(servers=tuple(nats_one.urls), prefix=prefix)
    one, two = await connect(settings, "n1"), await connect(settings, "n2")
    try:
        fields = [field_of(one), field_of(two)]
        allowed = await asyncio.gather(
            *(fields[i % 2].cooled("watcher", 600, f"n{i % 2 + 1}") for i in range(10))
        )
        assert sum(allowed) == 1  # ten firings at once on two nodes: one runs, nine wait
        assert await fields[0].cooled("other", 600, "n1")  # each trigger its own cooldown
        assert all([await fields[1].cooled("watcher", 0, "n2") for _ in range(3)])  # none
    finally:
        await one.close()
        await two.close()


async def test_a_cooldown_ends_and_the_trigger_may_fire_again(
    nats_one: NatsCluster, prefix: str
) -> None:
    link = await connect(NatsSettings(servers=tuple(nats_one.urls), prefix=prefix), "n1")
    clock = [1000.0]
    try:
        field = SharedField(link.field, link.js, link.names.field_bucket, clock=lambda: clock[0])
        assert await field.cooled("watcher", 30, "n1")
        clock[0] += 29
        assert not await field.cooled("watcher", 30, "n1")
        clock[0] += 2  # 31 s after the firing: cooled down
        assert await field.cooled("watcher", 30, "n1")
        assert not await field.cooled("watcher", 30, "n1")
    finally:
        await link.close()


class LosingAnswers(SharedField):
    """Its first `lost` writes are made on the server, but their answers never come back
    (as when a server is too loaded to answer within the request's timeout)."""

    lost = 1

    async def write(
        self, key: str, value: bytes, last: tuple[bytes, int] | None, ttl: float | None
    ) -> None:
        await super().write(key, value, last, ttl)
        if self.lost > 0:
            self.lost -= 1
            raise TimeoutError("no answer")


async def test_a_deposit_whose_answer_was_lost_counts_once(
    nats_one: NatsCluster, prefix: str
) -> None:
    link = await connect(NatsSettings(servers=tuple(nats_one.urls), prefix=prefix), "n1")
    try:
        field = LosingAnswers(link.field, link.js, link.names.field_bucket, decay=0.0)
        [deposit] = await field.deposit("tick", ["w"], weight=0.5)
        assert deposit.intensity == 0.5 and not deposit.fired
        assert await field.intensity("w") == 0.5  # made once, not again on the retry
        field.lost = 1
        assert await field.cooled("watcher", 600, "n1")
        assert not await field.cooled("watcher", 600, "n1")
    finally:
        await link.close()
