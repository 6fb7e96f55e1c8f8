"""The two sides of an event bus as protocols: what emits events and what reads them.

The in-process `bus.EventBus` and its `bus.Subscription` satisfy them; code that only
publishes or only reads (the cluster's outbox, a front end's stream) depends on these, so a
bus that reaches further (`core.distributed`) can stand in without changing it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from axo_tui.core.events.catalog import Event

E = TypeVar("E", bound=Event)


@runtime_checkable
class Publisher(Protocol):
    """Stamps events with a sequence number and time, and hands them to every reader."""

    @property
    def last_seq(self) -> int: ...

    def emit(self, event_type: type[E], **fields: Any) -> E: ...

    def publish(self, event: Event) -> None: ...

    def add_sink(self, sink: Callable[[Event], None], *, journaled_only: bool = False) -> None: ...

    def remove_sink(self, sink: Callable[[Event], None]) -> None: ...


@runtime_checkable
class Subscription(Protocol):
    """One reader's queue of events: `async for event in sub`, or `get()`."""

    def wants(self, event: Event) -> bool: ...

    def get_nowait(self) -> Event | None: ...

    async def get(self) -> Event: ...

    def close(self, reason: str = "closed") -> None: ...

    async def wait_closed(self) -> str: ...

    def __aiter__(self) -> AsyncIterator[Event]: ...
