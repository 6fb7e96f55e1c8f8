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
