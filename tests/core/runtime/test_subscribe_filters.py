"""`Runtime.subscribe` filters by run, agent and kind, and a subscription that falls behind
says so to whoever waits on it (`wait_closed`), even while nobody reads it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import SignalEmitted, TokenStreamed
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runs import RunError
from tests.support.builders import agent, make_config


def emit(bus: EventBus, run: str | None, who: str, text: str = "x") -> None:
    bus.emit(TokenStreamed, run_id=run, agent_id=who, activation_id="act", text=text)


def test_a_subscription_keeps_only_the_runs_agents_and_kinds_it_names() -> None:
    bus = EventBus()
    both = bus.subscribe(run_id="r1", agents=["a", "b"])
    kinds = bus.subscribe(kinds=["signal.emitted"], agents=["a"])
    emit(bus, "r1", "a")
    emit(bus, "r1", "c")
    emit(bus, "r2", "b")
    emit(bus, "r1", "b")
    bus.emit(SignalEmitted, agent_id="a", name="ping", source="cli")
    bus.emit(SignalEmitted, agent_id="z", name="ping", source="cli")
    assert [(e.run_id, e.agent_id) for e in both.drain()] == [("r1", "a"), ("r1", "b")]
    assert [(e.kind, e.agent_id) for e in kinds.drain()] == [("signal.emitted", "a")]


async def test_wait_closed_reports_a_subscriber_that_fell_behind() -> None:
    bus = EventBus()
    slow = bus.subscribe(capacity=2, hard_limit=5)
    waiting = asyncio.ensure_future(slow.wait_closed())
    await asyncio.sleep(0)
    for i in range(6):
        emit(bus, None, "a", str(i))
    reason = await asyncio.wait_for(waiting, 5)
    assert "fell behind by more than 5 events" in reason
    assert bus.subscriber_count == 0
    assert await slow.wait_closed() == reason  # a later waiter gets it at once


async def test_the_runtime_subscribes_with_filters(tmp_path: Path) -> None:
    config = make_config(tmp_path, [agent("a"), agent("b")])
    async with build_runtime(config, data_dir=tmp_path / "data") as runtime:
        sub = runtime.subscribe(agents=["b"], kinds=["agent.completed"], hard_limit=3)
        await runtime.run_agent("a", "hi")
        done = await runtime.run_agent("b", "hi")
        events = sub.drain()
        assert [(e.kind, e.agent_id, e.run_id) for e in events] == [
            ("agent.completed", "b", done.run_id)
        ]
        sub.close()
        assert await sub.wait_closed() == "closed"


async def test_an_agent_run_with_an_id_chosen_first_is_followed_from_its_start(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path, [agent("a")])
    async with build_runtime(config, data_dir=tmp_path / "data") as runtime:
        sub = runtime.subscribe(run_id="chosen-1")
        done = await runtime.run_agent("a", "hi", run_id="chosen-1")
        assert done.run_id == "chosen-1"
        kinds = [e.kind for e in sub.drain()]
        assert kinds[0] == "run.started" and kinds[-1] == "run.completed"
        assert "agent.activated" in kinds and "agent.completed" in kinds
        with pytest.raises(RunError, match="exists already"):
            await runtime.run_agent("a", "again", run_id="chosen-1")
