"""The event bus: one publisher side, many subscribers, each with its own bounded queue.

Publishing never blocks the runtime. A subscriber that falls behind loses only *status*
events, and those are coalesced (the newest status per kind and agent is kept). Transcript
events are never dropped; a subscriber whose backlog of them passes `hard_limit` is
disconnected with a reason instead of letting memory grow without bound, so the loss is
loud, never silent.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, TypeVar

from axo_tui.core.base.errors import AxoError
from axo_tui.core.events.catalog import Event

E = TypeVar("E", bound=Event)

Sink = Callable[[Event], None]


class SubscriberOverflow(AxoError):
    """Raised to a subscriber that fell so far behind it had to be disconnected."""


class Subscription:
    """A subscriber's queue. Iterate it (`async for event in sub`) or call `get()`."""

    def __init__(
        self,
        bus: EventBus,
        *,
        capacity: int,
        hard_limit: int,
        kinds: frozenset[str] | None,
        run_id: str | None,
        agents: frozenset[str] | None = None,
    ) -> None:
        self._bus = bus
        self.capacity = capacity
        self.hard_limit = hard_limit
        self.kinds = kinds
        self.run_id = run_id
        self.agents = agents
        self._queue: deque[Event] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self.coalesced = 0
        """Status events dropped because a newer one replaced them."""
        self.high_water = 0
        self.closed_reason: str | None = None
        self._closed: asyncio.Future[None] | None = None

    def wants(self, event: Event) -> bool:
        if self.kinds is not None and event.kind not in self.kinds:
            return False
        if self.agents is not None and event.agent_id not in self.agents:
            return False
        return self.run_id is None or event.run_id == self.run_id

    def _offer(self, event: Event) -> None:
        if self.closed_reason is not None:
            return
        queue = self._queue
        if len(queue) >= self.capacity and not event.transcript:
            self._coalesce(event)
        else:
            queue.append(event)
        if len(queue) > self.high_water:
            self.high_water = len(queue)
        if len(queue) > self.hard_limit:
            self.close(f"subscriber fell behind by more than {self.hard_limit} events")
        self._wake()

    def _coalesce(self, event: Event) -> None:
        # Replace the oldest queued status event of the same kind and agent; if there is
        # none, this event is the one that gives way.
        for index, queued in enumerate(self._queue):
            if (
                not queued.transcript
                and queued.kind == event.kind
                and queued.agent_id == event.agent_id
            ):
                del self._queue[index]
                self._queue.append(event)
                self.coalesced += 1
                return
        self.coalesced += 1

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def pending(self) -> int:
        return len(self._queue)

    def get_nowait(self) -> Event | None:
        return self._queue.popleft() if self._queue else None

    def drain(self) -> list[Event]:
        events = list(self._queue)
        self._queue.clear()
        return events

    async def get(self) -> Event:
        while not self._queue:
            if self.closed_reason is not None:
                raise SubscriberOverflow(self.closed_reason)
            loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._queue.popleft()

    def close(self, reason: str = "closed") -> None:
        if self.closed_reason is None:
            self.closed_reason = reason
            self._bus._remove(self)
            self._wake()
            if self._closed is not None and not self._closed.done():
                self._closed.set_result(None)

    async def wait_closed(self) -> str:
        """Wait until this subscription is closed, by `close()` or because it fell behind
        (while its reader is busy elsewhere, e.g. blocked on a slow network peer); returns
        the reason."""
        if self.closed_reason is None:
            if self._closed is None:
                self._closed = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._closed)  # one waiter's cancellation is not the others'
        assert self.closed_reason is not None
        return self.closed_reason

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            try:
                yield await self.get()
            except SubscriberOverflow:
                if self.closed_reason == "closed":
                    return
                raise


class EventBus:
    """Stamps events with a sequence number and time and fans them out."""

    def __init__(self, *, clock: Callable[[], float] = time.time, start_seq: int = 1) -> None:
        # A restarted runtime continues the journal's numbering so `seq` stays monotonic
        # across restarts.
        self._seq = itertools.count(start_seq)
        self._clock = clock
        self._subscribers: list[Subscription] = []
        self._sinks: list[Sink] = []
        self._journal_sinks: list[Sink] = []
        """Sinks that take only `journaled` events (the journal)."""
        self._kind_sinks: dict[str, list[Sink]] = {}
        """Sinks that declared the kinds they read (a tracer): no other event is built for
        them (`wanted`)."""
        self._last_seq = 0

    @property
    def last_seq(self) -> int:
        return self._last_seq

    def emit(self, event_type: type[E], **fields: Any) -> E:
        seq = next(self._seq)
        self._last_seq = seq
        event = event_type(seq=seq, ts=self._clock(), **fields)
        self.publish(event)
        return event

    def wanted(self, event_type: type[Event]) -> bool:
        """Whether an event of this type would reach anyone now. Callers may skip building
        events nobody receives (token deltas, lattice deposits with no viewer attached)."""
        if self._sinks or (event_type.journaled and self._journal_sinks):
            return True
        if event_type.kind in self._kind_sinks:
            return True
        if not self._subscribers:
            return False
        kind = event_type.kind
        return any(s.kinds is None or kind in s.kinds for s in self._subscribers)

    def publish(self, event: Event) -> None:
        for sink in self._sinks:
            sink(event)
        for sink in self._kind_sinks.get(event.kind, ()):
            sink(event)
        if event.journaled:
            for sink in self._journal_sinks:
                sink(event)
        for subscriber in self._subscribers:
            if subscriber.wants(event):
                subscriber._offer(event)

    def add_sink(self, sink: Sink, *, journaled_only: bool = False) -> None:
        """A synchronous consumer called inline on publish (the journal). Keep it fast.
        `journaled_only`: it is given only the event types that are `journaled`. A sink
        with a `kinds` attribute (a set of event kinds) is given only those."""
        kinds: Iterable[str] | None = getattr(sink, "kinds", None)
        if kinds is not None and not journaled_only:
            for kind in kinds:
                self._kind_sinks.setdefault(kind, []).append(sink)
            return
        (self._journal_sinks if journaled_only else self._sinks).append(sink)

    def remove_sink(self, sink: Sink) -> None:
        for sinks in (self._sinks, self._journal_sinks, *self._kind_sinks.values()):
            if sink in sinks:
                sinks.remove(sink)
        self._kind_sinks = {kind: sinks for kind, sinks in self._kind_sinks.items() if sinks}

    def subscribe(
        self,
        *,
        capacity: int = 10_000,
        hard_limit: int = 1_000_000,
        kinds: Iterable[str] | None = None,
        run_id: str | None = None,
        agents: Iterable[str] | None = None,
    ) -> Subscription:
        """A queue of the events from now on that match every filter given: their `kind`
        in `kinds`, their `run_id`, their `agent_id` in `agents`."""
        subscription = Subscription(
            self,
            capacity=capacity,
            hard_limit=hard_limit,
            kinds=frozenset(kinds) if kinds is not None else None,
            run_id=run_id,
            agents=frozenset(agents) if agents is not None else None,
        )
        self._subscribers.append(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def queue_depths(self) -> tuple[int, ...]:
        """How many events wait in each subscriber's queue now."""
        return tuple(s.pending() for s in self._subscribers)

    def coalesced_total(self) -> int:
        """Status events the current subscribers lost to coalescing so far."""
        return sum(s.coalesced for s in self._subscribers)
