"""Team memory between two agents: shared core blocks and the shared recall collection,
asserted on what each agent's model was actually sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axo_tui.core.config.schema import AgentConfig, CoreBlockSpec, MemorySettings, RecallSettings
from axo_tui.core.runtime.build import build_runtime
from tests.support.fake_llm import (
    FakeLLM,
    Reply,
    answered_tool,
    fake_config,
    last_user,
    system_of,
)

TEAM = CoreBlockSpec("team", limit=300, description="Team agreements.", shared=True)
BLOCKS = (CoreBlockSpec("human"), TEAM)


def lead_and_dev(body: dict[str, Any]) -> Reply:
    said = last_user(body)
    if said.startswith("Decide") and not answered_tool(body):
        return Reply(calls=(("core_memory_append", {"block": "team", "text": "Ship on Friday."}),))
    if said.startswith("Move it") and not answered_tool(body):
        edit = {"block": "team", "old": "Friday", "new": "Monday"}
        return Reply(calls=(("core_memory_replace", edit),))
    if said.startswith("When do we ship"):
        system = system_of(body)
        return Reply(
            "Monday" if "Ship on Monday." in system else "Friday" if "Friday" in system else "?"
        )
    return Reply("ok")


async def test_a_shared_block_edit_is_in_the_other_agents_next_prompt(tmp_path: Path) -> None:
    llm = FakeLLM(lead_and_dev)
    memory = MemorySettings(core_blocks=BLOCKS)
    lead = AgentConfig("lead", provider="fake", memory=memory)
    dev = AgentConfig("dev", provider="fake", memory=memory)
    async with build_runtime(fake_config(tmp_path, lead, dev), transport=llm.transport()) as rt:
        await rt.run_agent("lead", "Decide the ship day.", session_id="l1")
        first = await rt.run_agent("dev", "When do we ship?", session_id="d1")
        await rt.run_agent("dev", "Move it to Monday.", session_id="d1")
        second = await rt.run_agent("lead", "When do we ship?", session_id="l1")
    assert (first.output, second.output) == ("Friday", "Monday")
    dev_system = system_of(llm.requests[2])
    assert '<block label="team" chars="15/300" shared>' in dev_system
    assert "Ship on Friday." in dev_system
    # Stored once for the team; neither agent's own file holds it.
    shared = (tmp_path / ".axo" / "memory" / "core" / "shared.json").read_text()
    assert "Ship on Monday." in shared
    own = tmp_path / ".axo" / "memory" / "core" / "lead.json"
    assert not own.exists() or "Ship on" not in own.read_text()
    # A restart changes nothing: the next process's prompt has the edit too.
    async with build_runtime(fake_config(tmp_path, lead, dev), transport=llm.transport()) as rt:
        again = await rt.run_agent("dev", "When do we ship?", session_id="d2")
    assert again.output == "Monday"


def scout_and_writer(body: dict[str, Any]) -> Reply:
    said = last_user(body)
    if said.startswith("Look it up") and not answered_tool(body):
        return Reply(calls=(("recall_search", {"query": "launch code name", "k": 3}),))
    if answered_tool(body):
        return Reply(body["messages"][-1]["content"])
    return Reply("Noted.")


async def test_a_sharing_agents_exchanges_are_recalled_by_the_team(tmp_path: Path) -> None:
    llm = FakeLLM(scout_and_writer)
    scout = AgentConfig(
        "scout", provider="fake", memory=MemorySettings(recall=RecallSettings(share=True))
    )
    writer = AgentConfig("writer", provider="fake")
    async with build_runtime(fake_config(tmp_path, scout, writer), transport=llm.transport()) as rt:
        await rt.run_agent("scout", "The launch code name is Bluebird.", session_id="trip")
        await rt.run_agent("writer", "I like tea.", session_id="trip")
        await rt.memory.flush()
        # Same session name as the scout's, but another agent: the scout's memory is news.
        await rt.run_agent("writer", "What is the launch code name?", session_id="trip")
        passive = system_of(llm.requests[-1])
        searched = await rt.run_agent("writer", "Look it up, please.", session_id="w2")
        # The scout does not get its own current session back, but does in a new one.
        await rt.run_agent("scout", "What was the launch code name?", session_id="trip")
        scout_same = system_of(llm.requests[-1])
        await rt.run_agent("scout", "What was the launch code name?", session_id="later")
        scout_later = system_of(llm.requests[-1])
        await rt.memory.flush()
        counts = (
            rt.memory.semantic.count("scout"),
            rt.memory.semantic.count("writer"),
            rt.memory.semantic.count("", shared=True),
        )
    recalled = passive.split("<recalled_memories>", 1)[1]
    assert "shared score" in recalled and "user: The launch code name is Bluebird." in recalled
    assert "shared score" in searched.output and "Bluebird" in searched.output
    assert "Bluebird" not in scout_same.split("</core_memory>", 1)[1]
    assert "Bluebird" in scout_later.split("<recalled_memories>", 1)[1]
    # The scout's exchanges went to the team's collection only; the writer's to its own.
    assert counts == (0, 3, 3)


async def test_a_shared_exchange_spooled_at_exit_reaches_the_team_after_a_restart(
    tmp_path: Path,
) -> None:
    llm = FakeLLM(scout_and_writer)
    scout = AgentConfig(
        "scout", provider="fake", memory=MemorySettings(recall=RecallSettings(share=True))
    )
    writer = AgentConfig("writer", provider="fake")
    config = fake_config(tmp_path, scout, writer)
    async with build_runtime(config, transport=llm.transport()) as rt:
        # Closed at once: the exchange is still waiting in the spool, not yet embedded.
        await rt.run_agent("scout", "The launch code name is Bluebird.", session_id="trip")
    async with build_runtime(config, transport=llm.transport()) as rt:
        await rt.run_agent("writer", "What is the launch code name?", session_id="w1")
        shared = rt.memory.semantic.count("", shared=True)
        own = rt.memory.semantic.count("scout")
    assert "Bluebird" in system_of(llm.requests[-1]).split("<recalled_memories>", 1)[1]
    assert (shared, own) == (1, 0)
