"""Each subscriber has its own bounded queue; transcript events are never dropped."""

from __future__ import annotations

import asyncio

import pytest

from axo_tui.core.events.bus import EventBus, SubscriberOverflow
from axo_tui.core.events.catalog import LatticeSignal, TokenStreamed


def signal(bus: EventBus, agent: str, intensity: float) -> None:
    bus.emit(
        LatticeSignal,
        agent_id=agent,
        signal="TaskCompleted",
        weight=0.5,
        intensity=intensity,
        threshold=1.0,
        fired=False,
    )


def token(bus: EventBus, text: str) -> None:
    bus.emit(TokenStreamed, agent_id="a", activation_id="x", text=text)


def test_seq_is_monotonic_and_stamped_by_the_bus() -> None:
    bus = EventBus(start_seq=41)
    sub = bus.subscribe()
    token(bus, "a")
    token(bus, "b")
    assert [e.seq for e in sub.drain()] == [41, 42]
    assert bus.last_seq == 42


def test_a_slow_subscriber_keeps_every_transcript_event() -> None:
    bus = EventBus()
    slow = bus.subscribe(capacity=10)
    for i in range(1000):
        token(bus, str(i))
    texts = [e.text for e in slow.drain() if isinstance(e, TokenStreamed)]
    assert texts == [str(i) for i in range(1000)]


def test_status_events_coalesce_to_the_newest_per_agent() -> None:
    bus = EventBus()
    sub = bus.subscribe(capacity=3)
    token(bus, "t")
    for i in range(50):
        signal(bus, "a", float(i))
        signal(bus, "b", float(i))
    events = sub.drain()
    assert events[0].kind == "token.streamed"
    latest = {e.agent_id: e.intensity for e in events if isinstance(e, LatticeSignal)}
    assert latest == {"a": 49.0, "b": 49.0}
    assert len(events) <= 4
    assert sub.coalesced > 0


def test_subscribers_are_independent_and_filters_apply() -> None:
    bus = EventBus()
    everything = bus.subscribe()
    tokens_only = bus.subscribe(kinds=["token.streamed"])
    one_run = bus.subscribe(run_id="r1")
    token(bus, "x")
    signal(bus, "a", 1.0)
    bus.emit(TokenStreamed, run_id="r1", agent_id="a", activation_id="y", text="in run")
    assert len(everything.drain()) == 3
    assert [e.kind for e in tokens_only.drain()] == ["token.streamed", "token.streamed"]
    assert [e.run_id for e in one_run.drain()] == ["r1"]


def test_a_hopelessly_behind_subscriber_is_disconnected_loudly() -> None:
    bus = EventBus()
    sub = bus.subscribe(capacity=5, hard_limit=20)
    for i in range(30):
        token(bus, str(i))
    assert sub.closed_reason is not None and "fell behind" in sub.closed_reason
    assert bus.subscriber_count == 0
    with pytest.raises(SubscriberOverflow):
        asyncio.run(_drain_then_get(sub))


async def _drain_then_get(sub) -> None:  # type: ignore[no-untyped-def]
    sub.drain()
    await sub.get()


async def test_async_iteration_wakes_on_publish() -> None:
    bus = EventBus()
    sub = bus.subscribe()

    async def consume() -> list[str]:
        out = []
        async for event in sub:
            assert isinstance(event, TokenStreamed)
            out.append(event.text)
            if len(out) == 3:
                sub.close()
        return out

    task = asyncio.create_task(consume())
    for text in "abc":
        await asyncio.sleep(0)
        token(bus, text)
    assert await asyncio.wait_for(task, 1) == ["a", "b", "c"]


def test_wanted_says_whether_anyone_would_receive_an_event_type() -> None:
    from axo_tui.core.events.catalog import AgentCompleted

    bus = EventBus()
    journaled: list[str] = []
    bus.add_sink(lambda event: journaled.append(event.kind), journaled_only=True)
    assert bus.wanted(AgentCompleted) and not bus.wanted(LatticeSignal)
    bus.emit(TokenStreamed, run_id=None, agent_id="a", activation_id="x", text="t")
    assert journaled == []  # a journal-only sink is not given what is not journaled
    status = bus.subscribe(kinds=["lattice.signal"])
    assert bus.wanted(LatticeSignal) and not bus.wanted(TokenStreamed)
    status.close()
    everything: list[object] = []
    bus.add_sink(everything.append)
    assert bus.wanted(TokenStreamed)
