"""The feeds behind the event streams (`GET /ws`, `GET /api/events/stream`): no FastAPI here.

A feed is one client's view of the runtime's events: those its filter keeps, first the
journal's after the sequence number it resumes from, then live ones. It subscribes *before*
it reads the journal and reads the journal only up to the newest event recorded at that
moment, so every event is in one of the two; live events at or below the last one sent are
dropped, so none is sent twice. Events go out as the CLI's `axo events --json` lines
(`to_dict()` through `json.dumps`), each encoded once for all the feeds that send it.

The live part is the bus's subscription, with the bus's guarantees: transcript events are
never dropped, status events coalesce past `capacity`. A feed whose client reads too slowly
to keep its queue under `hard_limit` is closed with a reason (`wait_closed`), so a stalled
client costs a bounded amount of memory and learns to resume from its last sequence number.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from axo_tui.core.events.catalog import EVENT_TYPES, Event
from axo_tui.serve.http.errors import ApiError, not_found

if TYPE_CHECKING:
    from axo_tui.core.runtime.runtime import Runtime

REPLAY_PAGE = 500
"""Journal rows read at a time while catching a client up."""
MAX_BATCH = 256
"""Events sent in one WebSocket message or SSE write: a busy stream sends fewer, larger
writes, which is what lets one process feed hundreds of clients."""
ENCODED_KEPT = 8192
"""Live events whose JSON is kept for the other feeds that will send them."""


@dataclass(frozen=True)
class StreamLimits:
    """How far a client may fall behind before it is disconnected, and for how long the
    server tries to tell it why."""

    capacity: int = 1_000
    """Queued events past which status events coalesce."""
    hard_limit: int = 10_000
    """Queued events past which the client is disconnected (its memory is freed)."""
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


def parse_filter(
    runtime: Runtime, run: str | None, agents: Iterable[str], kinds: Iterable[str]
) -> StreamFilter:
    """A filter from a client's words: `run` an id or unique prefix of a recorded run;
    `agents` and `kinds` repeated or comma-separated, a kind also `family.*` (`agent.*`).
    Raises ApiError naming what is wrong."""
    run_id = None
    if run is not None and run.strip():
        record = runtime.state.find_run(run.strip())
        if record is None:
            raise not_found("run", run)
        run_id = record.id
    agent_ids = _words(agents)
    return StreamFilter(run_id, frozenset(agent_ids) or None, _kinds(_words(kinds)) or None)


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
            known = ", ".join(sorted(EVENT_TYPES))
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


class EncodedEvents:
    """Each live event's JSON, made once however many feeds send it."""

    def __init__(self, kept: int = ENCODED_KEPT) -> None:
        self._kept = kept
        self._texts: dict[int, str] = {}

    def text(self, event: Event) -> str:
        text = self._texts.get(event.seq)
        if text is None:
            text = json.dumps(event.to_dict())
            self._texts[event.seq] = text
            if len(self._texts) > self._kept:
                del self._texts[next(iter(self._texts))]  # the oldest: dicts keep order
        return text


class EventFeed:
    """One client's events: the journal's after `after` (None: live only), then live."""

    def __init__(
        self,
        hub: StreamHub,
        runtime: Runtime,
        wanted: StreamFilter,
        after: int | None,
    ) -> None:
        limits = hub.limits
        self.filter = wanted
        self.after = after
        self._hub = hub
        self._state = runtime.state
        self._subscription = runtime.subscribe(
            capacity=limits.capacity,
            hard_limit=limits.hard_limit,
            kinds=wanted.kinds,
            run_id=wanted.run_id,
            agents=wanted.agents,
        )
        # Read right after subscribing, with no await between: every event up to here is
        # in the journal, every later one in the subscription.
        self._replay_to = self._state.last_event_seq() if after is not None else 0
        self._cursor = after or 0
        self.last_seq = after or 0
        """The newest sequence number handed out."""
        self.end: EndReason | None = None

    @property
    def high_water(self) -> int:
        """The most events its queue ever held."""
        return self._subscription.high_water

    def pending(self) -> int:
        return self._subscription.pending()

    async def next_batch(self) -> list[tuple[int, str]]:
        """The next events to send, as (seq, JSON), oldest first; can be empty (all were
        sent already). Raises SubscriberOverflow once the feed is closed."""
        while self._cursor < self._replay_to:
            batch = self._replay_page()
            if batch:
                return batch
        subscription = self._subscription
        first = await subscription.get()
        events = [first]
        while len(events) < MAX_BATCH and (event := subscription.get_nowait()) is not None:
            events.append(event)
        encode = self._hub.encoded.text
        batch = [(e.seq, encode(e)) for e in events if e.seq > self.last_seq]
        if batch:
            self.last_seq = batch[-1][0]
        return batch

    def _replay_page(self) -> list[tuple[int, str]]:
        wanted = self.filter
        records = self._state.events(
            after_seq=self._cursor,
            run_id=wanted.run_id,
            agents=sorted(wanted.agents) if wanted.agents is not None else None,
            limit=REPLAY_PAGE,
        )
        if not records:
            self._cursor = self._replay_to
            return []
        self._cursor = min(records[-1].seq, self._replay_to)
        batch = [
            (r.seq, json.dumps(r.to_dict()))
            for r in records
            if r.seq <= self._replay_to and (wanted.kinds is None or r.kind in wanted.kinds)
        ]
        if batch:
            self.last_seq = batch[-1][0]
        return batch

    async def wait_closed(self) -> EndReason | None:
        """Wait until the feed ends; why, or None when it was closed on purpose."""
        reason = await self._subscription.wait_closed()
        if self.end is None and reason != "closed":
            self.end = EndReason.SLOW_CONSUMER
        self._forget()
        return self.end

    def close(self, end: EndReason | None = None) -> None:
        if self.end is None:
            self.end = end
        self._subscription.close(end.value if end is not None else "closed")
        self._forget()

    def _forget(self) -> None:
        self._subscription.drain()  # its memory goes now, not when the connection ends
        self._hub.forget(self)


class StreamHub:
    """The feeds an app serves: made here, counted here, all ended at shutdown."""

    def __init__(self, limits: StreamLimits | None = None) -> None:
        self.limits = limits or StreamLimits()
        self.encoded = EncodedEvents()
        self._feeds: set[EventFeed] = set()

    def open(self, runtime: Runtime, wanted: StreamFilter, after: int | None) -> EventFeed:
        feed = EventFeed(self, runtime, wanted, after)
        self._feeds.add(feed)
        return feed

    def forget(self, feed: EventFeed) -> None:
        self._feeds.discard(feed)

    @property
    def feeds(self) -> list[EventFeed]:
        return list(self._feeds)

    def shutdown(self) -> None:
        """End every stream (WS close 1001, SSE `event: error` shutting_down): call it as
        the server starts to stop, or open streams would hold its shutdown up."""
        for feed in list(self._feeds):
            feed.close(EndReason.SHUTTING_DOWN)
