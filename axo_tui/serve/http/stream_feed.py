"""The feeds behind the event streams (`GET /ws`, `GET /api/events/stream`): no FastAPI here.

A feed is one client's view of the runtime's events: those its filter keeps, first the
journal's after the sequence number it resumes from, then live ones. It joins the live
events *before* it reads the journal, and reads the journal only up to the newest event
recorded at that moment, so every event is in one of the two; live events at or below the
last one sent are dropped, so none is sent twice.

Live events come from a channel: one bus subscription per distinct filter, shared by all
the feeds with that filter (hundreds of dashboards watching everything cost one
subscription). The channel relays them in batches, each encoded once (the CLI's
`axo events --json` objects, `to_dict()` through `json.dumps`) with its WebSocket message
and SSE text made once for every feed. The bus's guarantees hold: transcript events are
never dropped, status events may coalesce. A feed never drops anything either: one whose
client reads too slowly to keep its backlog under `hard_limit` events is closed with a
reason (`wait_closed`), so a stalled client costs bounded memory and learns to resume from
its last sequence number.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from axo_tui.core.events.bus import SubscriberOverflow
from axo_tui.core.events.catalog import EVENT_TYPES
from axo_tui.serve.http.errors import ApiError, not_found

if TYPE_CHECKING:
    from axo_tui.core.runtime.runtime import Runtime

REPLAY_PAGE = 500
"""Journal rows read at a time while catching a client up."""
MAX_BATCH = 256
"""Events relayed together: a busy stream sends fewer, larger writes."""
CHANNEL_LIMIT = 1_000_000
"""A channel's own queue bound: reached only if the server itself stops relaying."""


@dataclass(frozen=True)
class StreamLimits:
    """How far a client may fall behind before it is disconnected, and for how long the
    server tries to tell it why."""

    capacity: int = 1_000
    """Events queued in a channel past which its status events coalesce."""
    hard_limit: int = 10_000
    """Events waiting for one client past which it is disconnected (its memory freed)."""
    close_grace: float = 10.0
    """Seconds allowed to deliver the closing message to a client that does not read."""
    heartbeat: float = 15.0
    """Seconds of silence after which an SSE stream sends a comment (keeps proxies open)."""


class EndReason(StrEnum):
    """Why the server ended a feed, and what the client is told (error code, WS close code)."""

    SLOW_CONSUMER = "slow_consumer"
    SHUTTING_DOWN = "shutting_down"

    @property
    def close_code(self) -> int:
        # 1013 Try Again Later: reconnect with ?after=; 1001 Going Away: the server stops.
        return 1013 if self is EndReason.SLOW_CONSUMER else 1001


@dataclass(frozen=True)
class StreamFilter:
    """Which events a client wants: all when every field is None."""

    run_id: str | None = None
    agents: frozenset[str] | None = None
    kinds: frozenset[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "agents": None if self.agents is None else sorted(self.agents),
            "kinds": None if self.kinds is None else sorted(self.kinds),
        }


KIND_WORDS = sorted(EVENT_TYPES) + sorted({f"{kind.split('.')[0]}.*" for kind in EVENT_TYPES})
"""What a `kind` filter may say: an event kind, or a family of them."""


def parse_filter(
    runtime: Runtime, run: str | None, agents: Iterable[str], kinds: Iterable[str]
) -> StreamFilter:
    """A filter from a client's words: `run` an id or unique prefix of a recorded run;
    `agents` repeated or comma-separated; `kinds` repeated, each a kind or a family
    (`agent.*`: see KIND_WORDS). Raises ApiError naming what is wrong."""
    run_id = None
    if run is not None and run.strip():
        record = runtime.state.find_run(run.strip())
        if record is None:
            raise not_found("run", run)
        run_id = record.id
    agent_ids = _words(agents)
    words = [k.strip() for k in kinds if k.strip()]
    return StreamFilter(run_id, frozenset(agent_ids) or None, _kinds(words) or None)


def _words(values: Iterable[str]) -> list[str]:
    return [w.strip() for value in values for w in value.split(",") if w.strip()]


def _kinds(words: list[str]) -> frozenset[str]:
    kinds: set[str] = set()
    for word in words:
        if word.endswith(".*"):
            family = [k for k in EVENT_TYPES if k.startswith(word[:-1])]
            if not family:
                raise ApiError(422, "invalid_request", f"kind: no event kind matches '{word}'")
            kinds.update(family)
        elif word in EVENT_TYPES:
            kinds.add(word)
        else:
            known = ", ".join(KIND_WORDS)
            raise ApiError(422, "invalid_request", f"kind: unknown event kind '{word}' ({known})")
    return frozenset(kinds)


def parse_after(value: str | None, where: str) -> int | None:
    """A resume point (a sequence number, 0 for the whole journal); None when not given."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not text.isdigit():
        raise ApiError(422, "invalid_request", f"{where}: expected a sequence number, got '{text}'")
    return int(text)


class FeedClosed(Exception):
    """The feed has ended (`EventFeed.end` says why)."""


class Batch:
    """Events sent together, as (seq, JSON), oldest first. The WebSocket message and the
    SSE text are made once, for every feed that sends them."""

    __slots__ = ("_sse", "_ws", "items")

    def __init__(self, items: list[tuple[int, str]]) -> None:
        self.items = items
        self._ws: str | None = None
        self._sse: str | None = None

    def __len__(self) -> int:
        return len(self.items)

    @property
    def last_seq(self) -> int:
        return self.items[-1][0]

    def ws_message(self) -> str:
        if self._ws is None:
            events = ", ".join(text for _seq, text in self.items)
            self._ws = f'{{"type": "events", "events": [{events}]}}'
        return self._ws

    def sse_text(self) -> str:
        if self._sse is None:
            self._sse = "".join(f"id: {seq}\ndata: {text}\n\n" for seq, text in self.items)
        return self._sse

    def after(self, seq: int) -> Batch | None:
        """The events after `seq` (this batch when all are), None when none is."""
        if self.items[0][0] > seq:
            return self
        kept = [item for item in self.items if item[0] > seq]
        return Batch(kept) if kept else None

    @classmethod
    def merge(cls, batches: Iterable[Batch]) -> Batch:
        return cls([item for batch in batches for item in batch.items])


class Channel:
    """One bus subscription for every feed with the same filter; relays its events."""

    def __init__(self, runtime: Runtime, wanted: StreamFilter, limits: StreamLimits) -> None:
        self.feeds: set[EventFeed] = set()
        self._subscription = runtime.subscribe(
            capacity=limits.capacity,
            hard_limit=CHANNEL_LIMIT,
            kinds=wanted.kinds,
            run_id=wanted.run_id,
            agents=wanted.agents,
        )
        self._task = asyncio.get_running_loop().create_task(self._relay())

    async def _relay(self) -> None:
        subscription = self._subscription
        try:
            while True:
                events = [await subscription.get()]
                while len(events) < MAX_BATCH and (more := subscription.get_nowait()) is not None:
                    events.append(more)
                batch = Batch([(e.seq, json.dumps(e.to_dict(), default=str)) for e in events])
                for feed in list(self.feeds):
                    feed.push(batch)
        except SubscriberOverflow:  # the server itself stopped relaying: clients resume
            for feed in list(self.feeds):
                feed.close(EndReason.SLOW_CONSUMER)

    def close(self) -> None:
        self._task.cancel()
        self._subscription.close()


class EventFeed:
    """One client's events: the journal's after `after` (None: live only), then live."""

    def __init__(
        self, hub: StreamHub, runtime: Runtime, wanted: StreamFilter, after: int | None
    ) -> None:
        self.filter = wanted
        self.after = after
        self._hub = hub
        self._state = runtime.state
        # Read once the channel relays to this feed, with no await between: every event up
        # to here is in the journal, every later one reaches the feed.
        self._replay_to = self._state.last_event_seq() if after is not None else 0
        self._cursor = after or 0
        self.last_seq = after or 0
        """The newest sequence number handed out."""
        self._outbox: deque[Batch] = deque()
        self._backlog = 0
        self.high_water = 0
        """The most events that ever waited for this client."""
        self.end: EndReason | None = None
        self._closed = False
        self._waiter: asyncio.Future[None] | None = None
        self._ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def pending(self) -> int:
        return self._backlog

    def push(self, batch: Batch) -> None:
        """Live events for this client (the channel calls it), or its end if it is too
        far behind to take them."""
        if self._closed:
            return
        if self._backlog + len(batch) > self._hub.limits.hard_limit:
            self.close(EndReason.SLOW_CONSUMER)
            return
        self._outbox.append(batch)
        self._backlog += len(batch)
        self.high_water = max(self.high_water, self._backlog)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def next_batch(self) -> Batch | None:
        """The next events to send, oldest first; None when all were sent already. Raises
        FeedClosed once the feed has ended."""
        while self._cursor < self._replay_to:
            replayed = self._replay_page()
            if replayed is not None:
                return replayed
        while not self._outbox:
            if self._closed:
                raise FeedClosed(self.end)
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self._closed:
            raise FeedClosed(self.end)
        waiting = self._outbox
        merged = waiting[0] if len(waiting) == 1 else Batch.merge(waiting)
        waiting.clear()
        self._backlog = 0
        batch = merged.after(self.last_seq)
        if batch is not None:
            self.last_seq = batch.last_seq
        return batch

    def _replay_page(self) -> Batch | None:
        wanted = self.filter
        records = self._state.events(
            after_seq=self._cursor,
            run_id=wanted.run_id,
            agents=sorted(wanted.agents) if wanted.agents is not None else None,
            limit=REPLAY_PAGE,
        )
        if not records:
            self._cursor = self._replay_to
            return None
        self._cursor = min(records[-1].seq, self._replay_to)
        items = [
            (r.seq, json.dumps(r.to_dict(), default=str))
            for r in records
            if r.seq <= self._replay_to and (wanted.kinds is None or r.kind in wanted.kinds)
        ]
        if not items:
            return None
        self.last_seq = items[-1][0]
        return Batch(items)

    async def wait_closed(self) -> EndReason | None:
        """Wait until the feed ends; why, or None when it was closed on purpose."""
        await asyncio.shield(self._ended)
        return self.end

    def close(self, end: EndReason | None = None) -> None:
        if self._closed:
            return
        self._closed = True
        self.end = end
        self._outbox.clear()  # its memory goes now, not when the connection ends
        self._backlog = 0
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        if not self._ended.done():
            self._ended.set_result(None)
        self._hub.forget(self)


class StreamHub:
    """The feeds an app serves and their channels: made here, all ended at shutdown."""

    def __init__(self, limits: StreamLimits | None = None) -> None:
        self.limits = limits or StreamLimits()
        self._feeds: dict[EventFeed, Channel] = {}
        self._channels: dict[tuple[int, StreamFilter], Channel] = {}

    def open(self, runtime: Runtime, wanted: StreamFilter, after: int | None) -> EventFeed:
        key = (id(runtime), wanted)
        channel = self._channels.get(key)
        if channel is None:
            channel = self._channels[key] = Channel(runtime, wanted, self.limits)
        feed = EventFeed(self, runtime, wanted, after)
        channel.feeds.add(feed)
        self._feeds[feed] = channel
        return feed

    def forget(self, feed: EventFeed) -> None:
        channel = self._feeds.pop(feed, None)
        if channel is None:
            return
        channel.feeds.discard(feed)
        if not channel.feeds:
            channel.close()
            self._channels = {k: c for k, c in self._channels.items() if c is not channel}

    @property
    def feeds(self) -> list[EventFeed]:
        return list(self._feeds)

    def shutdown(self) -> None:
        """End every stream (WS close 1001, SSE `event: error` shutting_down): call it as
        the server starts to stop, or open streams would hold its shutdown up."""
        for feed in list(self._feeds):
            feed.close(EndReason.SHUTTING_DOWN)
