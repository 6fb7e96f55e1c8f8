"""The runs bucket (JetStream KV) as the cluster's runs use it: keys written once, by
whichever node gets there first, and read back to learn whose write it holds."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from axo_tui.core.distributed.steps import StepRecord

if TYPE_CHECKING:
    from nats.js.kv import KeyValue

log = logging.getLogger(__name__)


async def get(bucket: KeyValue, key: str) -> bytes | None:
    from nats.js.errors import KeyDeletedError, KeyNotFoundError

    try:
        entry = await bucket.get(key)
    except (KeyNotFoundError, KeyDeletedError):
        return None
    return entry.value


async def create(bucket: KeyValue, key: str, value: bytes) -> bool:
    """Write `key` unless it exists; whether this call wrote it."""
    try:
        await bucket.create(key, value)
    except wrong_sequence():
        return False
    return True


async def record_step(bucket: KeyValue, key: str, record: StepRecord) -> StepRecord:
    """Record a step that ran; returns the record that counts (this one, or another node's).
    A step is not run twice because its record was slow to land: a write whose answer was
    lost (an election, a partition) is tried again until the bucket says whose record it
    holds."""
    backoff = 0.1
    while True:
        try:
            if await create(bucket, key, record.encode()):
                return record
            stored = await get(bucket, key)
            if stored is not None:
                return StepRecord.decode(stored)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.info("recording %s: %s; trying again", key, exc)
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, 2.0)


def wrong_sequence() -> type[Exception]:
    """What a create raises when the key exists."""
    from nats.js.errors import KeyWrongLastSequenceError

    return KeyWrongLastSequenceError
