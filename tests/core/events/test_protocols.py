"""The in-process bus is one `Publisher`, its queues `Subscription`s (events/protocols.py)."""

from __future__ import annotations

from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import Event, RuntimeNotice
from axo_tui.core.events.protocols import Publisher, Subscription


async def test_the_bus_satisfies_both_protocols_and_works_through_them() -> None:
    bus = EventBus()
    assert isinstance(bus, Publisher)
    publisher: Publisher = bus
    queue = bus.subscribe(kinds=[RuntimeNotice.kind])
    assert isinstance(queue, Subscription)
    reader: Subscription = queue
    seen: list[Event] = []
    publisher.add_sink(seen.append, journaled_only=True)
    event = publisher.emit(RuntimeNotice, message="hello")
    assert publisher.last_seq == event.seq
    assert await reader.get() is event
    assert seen == [event]
    reader.close()
    assert await reader.wait_closed() == "closed"
