"""The outbox: a node's journaled events, published to JetStream after they are committed.

The local journal stays the record this node writes first (and can replay): the outbox only
follows it, from a cursor kept beside the journal. Every message carries a dedupe id,
`<journal id>:<seq>` in `Nats-Msg-Id`, so whatever is sent twice (a retry after a lost ack,
a restart from a cursor that lagged behind) is stored once by JetStream, as long as the
second send falls within the stream's duplicate window (`lattice.nats.dedupe_window_secs`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from axo_tui.core.base.atomic_files import atomic_write
from axo_tui.core.base.ids import new_id
from axo_tui.core.distributed.connection import ClusterLink
from axo_tui.core.store.private_files import private_dir

log = logging.getLogger(__name__)

BATCH = 500
"""Events read from the journal and published per round."""

GATHER_SECS = 0.02
"""After a poke, the outbox waits this long so that one commit and one batch carry the
events emitted together (an activation's start, its tokens, its end)."""

IDLE_POLL_SECS = 1.0
"""Looked at the journal this often even when no event pokes it (events written by another
process of the project: a CLI run beside `axo nats node`)."""


class EventSource(Protocol):
    """What the outbox reads: the journal's committed events (`store.journal.Journal`)."""

    def events(self, *, after_seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]: ...

    def max_seq(self) -> int: ...

    async def durable(self, *, alone: bool = False) -> None: ...


class Outbox:
    def __init__(
        self,
        link: ClusterLink,
        source: EventSource,
        directory: Path,
        node: str,
        *,
        last_seq: Callable[[], int],
    ) -> None:
        self._link = link
        self._source = source
        self._last_seq = last_seq
        """The newest seq emitted so far (the bus's): what a commit now makes durable."""
        self._node = node
        self._path = directory / f"outbox-{link.names.prefix}.json"
        self._wake = asyncio.Event()
        self.published = 0
        """Events sent since start (a re-sent one counts again; JetStream stores it once)."""
        private_dir(directory)
        state = self._load()
        self.journal_id: str = state.get("journal_id") or new_id()
        self.cursor: int = int(state.get("cursor", -1))
        if self.cursor < 0:
            # A journal joining a cluster starts from now: its history stays local
            # (`rewind` publishes it).
            self.cursor = source.max_seq()
            self._save()

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self) -> None:
        data = {"journal_id": self.journal_id, "cursor": self.cursor, "node": self._node}
        atomic_write(self._path, json.dumps(data).encode(), sync_directory=False)

    def poke(self) -> None:
        """A journaled event was emitted: publish soon."""
        self._wake.set()

    def rewind(self, seq: int) -> None:
        """Publish again from after `seq` (a replay; dedupe ids keep it from doubling)."""
        self.cursor = max(0, seq)
        self._save()
        self._wake.set()

    def message_id(self, seq: int) -> str:
        return f"{self.journal_id}:{seq}"

    async def flush(self) -> int:
        """Publish every committed event after the cursor; returns how many were sent.
        Raises the client's error when NATS does not acknowledge (the cursor stays)."""
        sent = 0
        # Only committed events leave: one lost in a crash would come back under the same
        # seq with other content, and its dedupe id would then hide the new one.
        upto = max(self._last_seq(), self._source.max_seq())
        await self._source.durable()
        while True:
            events = [
                event
                for event in self._source.events(after_seq=self.cursor, limit=BATCH)
                if int(event["seq"]) <= upto
            ]
            if not events:
                return sent
            await self._publish(events)
            self.cursor = int(events[-1]["seq"])
            self._save()
            sent += len(events)
            self.published += len(events)

    async def _publish(self, events: Sequence[dict[str, Any]]) -> None:
        js, names = self._link.js, self._link.names
        acks = []
        for event in events:
            body = {**event, "node": self._node, "journal_id": self.journal_id}
            acks.append(
                await js.publish_async(
                    names.event_subject(event["kind"], event.get("run_id"), event.get("agent_id")),
                    json.dumps(body, separators=(",", ":")).encode(),
                    headers={"Nats-Msg-Id": self.message_id(int(event["seq"]))},
                )
            )
        await asyncio.wait_for(asyncio.gather(*acks), timeout=10)

    async def run_forever(self) -> None:
        """Follow the journal until cancelled; NATS being away only delays publishing."""
        backoff = 0.1
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECS)
            await asyncio.sleep(GATHER_SECS)
            self._wake.clear()
            try:
                await self.flush()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a partition, a reconnect: wait and send again
                log.info("outbox: publishing paused (%s); retrying", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                self._wake.set()
