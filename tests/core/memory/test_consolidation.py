"""Sleep-time consolidation: idle agents promote durable facts into core memory."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

from axo_tui.core.config.schema import ConsolidationConfig
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.consolidation import Consolidator
from tests.support.builders import agent, make_config, scripted, step

LATER = 10_000.0
"""Seconds added to "now" so the agent counts as idle without the test sleeping."""


def project(tmp_path: Path, **consolidation: float | bool):  # type: ignore[no-untyped-def]
    promote = step("", ("core_memory_append", {"block": "human", "text": "Name: Ada; vegan."}))
    return make_config(
        tmp_path,
        [agent("pal"), agent("quiet")],
        providers=[
            scripted(
                {
                    "pal": ["Hello Ada!", "Noted, no meat.", promote, "kept: name and diet"],
                    "quiet": ["ok"],
                }
            )
        ],
        consolidation=ConsolidationConfig(**consolidation),  # type: ignore[arg-type]
    )


async def test_an_idle_agent_promotes_facts_and_reports_what_changed(tmp_path: Path) -> None:
    config = project(tmp_path)
    async with build_runtime(config) as rt:
        await rt.run_agent("pal", "Hi, I'm Ada.", session_id="chat")
        await rt.run_agent("pal", "I'm vegan, by the way.", session_id="chat")
        sub = rt.bus.subscribe(kinds=["runtime.warning"])
        consolidator = Consolidator(rt)
        # Mid-conversation (the user wrote just now): left alone.
        assert await consolidator.consolidate_idle() == []
        (report,) = await consolidator.consolidate_idle(now=time.time() + LATER)
        notices = [e.to_dict()["message"] for e in sub.drain()]
        human = rt.memory.core.block(config.agent("pal"), "human")
        # Nothing new since: the next pass does nothing, even much later.
        again = await consolidator.consolidate_idle(now=time.time() + 2 * LATER)
        sessions = {sid for sid, *_ in rt.journal.sessions("pal")}
    assert human.value == "Name: Ada; vegan."
    assert report.status == "consolidated" and report.summary == "kept: name and diet"
    assert [(c.label, c.before, c.after) for c in report.changes] == [("human", 0, 17)]
    assert "consolidated pal: human 0->17 chars" in notices
    assert again == []
    assert any(s.startswith("consolidation:pal:") for s in sessions)  # a session of its own
    # The review the agent was given held the conversation, not earlier consolidations.
    assert (tmp_path / ".axo" / "memory" / "consolidation.json").exists()


async def test_the_review_is_the_conversation_and_not_stored_for_recall(tmp_path: Path) -> None:
    config = project(tmp_path)
    async with build_runtime(config) as rt:
        await rt.run_agent("pal", "Hi, I'm Ada.", session_id="chat")
        await rt.run_agent("pal", "I'm vegan, by the way.", session_id="chat")
        await Consolidator(rt).consolidate_idle(now=time.time() + LATER)
        history = rt.journal.sessions("pal")
        review_session = next(sid for sid, *_ in history if sid.startswith("consolidation:"))
        review = rt.journal.load_session(review_session)[0].content
        await rt.memory.flush()
        stored = rt.memory.semantic.count("pal")
    assert review.startswith("Memory consolidation (sleep time).")
    assert "user: Hi, I'm Ada." in review and "user: I'm vegan, by the way." in review
    assert stored == 2  # the two chat exchanges; the consolidation turn is not a memory


async def test_busy_agents_and_disabled_consolidation_are_left_alone(tmp_path: Path) -> None:
    config = project(tmp_path, enabled=False)
    async with build_runtime(config) as rt:
        await rt.run_agent("pal", "Hi, I'm Ada.", session_id="chat")
        consolidator = Consolidator(rt)
        assert await consolidator.consolidate_idle(now=time.time() + LATER) == []
        rt.apply_config(dataclasses.replace(config, consolidation=ConsolidationConfig()))
        rt.status("pal").running += 1  # a turn in flight
        assert await consolidator.consolidate_idle(now=time.time() + LATER) == []
        rt.status("pal").running -= 1
        reports = await consolidator.consolidate_idle(now=time.time() + LATER)
    assert [r.agent_id for r in reports] == ["pal"]  # "quiet" never spoke: nothing to review


async def test_a_background_runtime_runs_the_loop_and_stops_it_on_close(tmp_path: Path) -> None:
    config = project(tmp_path)
    async with build_runtime(config, background=True) as rt:
        task = rt.memory._consolidation
        assert task is not None and not task.done()
        await asyncio.sleep(0)
    assert task.done()
