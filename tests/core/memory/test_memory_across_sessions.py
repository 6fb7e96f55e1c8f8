"""A fact told in session 1 is known in session 3, after restarts: through core memory (the
agent stored it with core_memory_append) and through semantic recall (the exchange was
embedded and comes back by meaning). Asserted on what the model was actually sent."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from axo_tui.core.config.schema import AgentConfig, MemorySettings, RecallSettings
from axo_tui.core.memory.activity_log import ActivityLog, DayRange, render_entries
from axo_tui.core.runtime.build import build_runtime
from tests.support.fake_llm import (
    FakeLLM,
    Reply,
    answered_tool,
    fake_config,
    last_user,
    system_of,
    tool_names,
)


def brain(body: dict[str, Any]) -> Reply:
    """A tiny model: stores names in core memory, answers from what its prompt shows."""
    said = last_user(body)
    system = system_of(body)
    if "My name is Ada" in said and not answered_tool(body):
        return Reply(calls=(("core_memory_append", {"block": "human", "text": "Name: Ada"}),))
    if said.startswith("What is my name"):
        return Reply("Ada" if "Name: Ada" in system else "I don't know")
    if said.startswith("What is my dog called"):
        return Reply("Biscuit" if "Biscuit" in system else "I don't know")
    return Reply("Noted.")


async def turn(tmp_path: Path, llm: FakeLLM, agent: AgentConfig, text: str, session: str) -> str:
    """One turn in a fresh runtime: every call is a process restart as far as state goes."""
    config = fake_config(tmp_path, agent)
    async with build_runtime(config, transport=llm.transport()) as rt:
        result = await rt.run_agent(agent.id, text, session_id=session)
    assert result.status == "completed", result.errors
    return result.output


async def test_a_fact_from_session_one_is_known_in_session_three(tmp_path: Path) -> None:
    llm = FakeLLM(brain)
    agent = AgentConfig(id="pal", provider="fake")
    assert await turn(tmp_path, llm, agent, "Hello! My name is Ada.", "s1") == "Noted."
    assert await turn(tmp_path, llm, agent, "My dog is called Biscuit.", "s1") == "Noted."
    assert await turn(tmp_path, llm, agent, "Let's plan the week.", "s2") == "Noted."

    first = len(llm.requests)
    assert await turn(tmp_path, llm, agent, "What is my name?", "s3") == "Ada"
    assert await turn(tmp_path, llm, agent, "What is my dog called?", "s3") == "Biscuit"

    # Core memory: in the system prompt of session 3, without any tool call.
    name_request = llm.requests[first]
    system = system_of(name_request)
    assert '<block label="human" chars="9/2000">' in system
    assert "Name: Ada" in system
    assert [m["role"] for m in name_request["messages"]] == ["system", "user"]  # new session
    # Semantic recall: the dog came back by meaning, from session 1, through the prompt.
    dog_system = system_of(llm.requests[-1])
    recalled = dog_system.split("<recalled_memories>", 1)[1]
    assert "user: My dog is called Biscuit." in recalled
    # The memory tools were offered although the agent has no `tools:` list.
    assert {"core_memory_append", "recall_search", "recall_timeframe"} <= set(
        tool_names(name_request)
    )
    # Tier 2 logged what passive recall put into that prompt, for the agent's question; the
    # agent's own recall_timeframe leaves those copies out.
    log = ActivityLog(tmp_path / ".axo" / "logs" / "daily")
    today = DayRange(dt.date.today(), dt.date.today())
    entries = log.read("pal", today)
    passive = [e for e in entries if e["kind"] == "passive_recall"]
    dog = [e for e in passive if e["query"] == "What is my dog called?"]
    assert dog and "user: My dog is called Biscuit." in dog[0]["content"]
    assert "passive_recall" not in render_entries(entries, today)


async def test_passive_recall_can_be_switched_off(tmp_path: Path) -> None:
    llm = FakeLLM(brain)
    quiet = AgentConfig(
        id="pal",
        provider="fake",
        memory=MemorySettings(recall=RecallSettings(passive_inject=False)),
    )
    await turn(tmp_path, llm, quiet, "My dog is called Biscuit.", "s1")
    assert await turn(tmp_path, llm, quiet, "What is my dog called?", "s2") == "I don't know"
    assert "<recalled_memories>" not in system_of(llm.requests[-1])


async def test_a_session_resumes_after_a_restart(tmp_path: Path) -> None:
    llm = FakeLLM(lambda body: Reply(f"turn {len(body['messages']) // 2}"))
    agent = AgentConfig(id="pal", provider="fake")
    await turn(tmp_path, llm, agent, "first", "chat-1")
    await turn(tmp_path, llm, agent, "second", "chat-1")
    await turn(tmp_path, llm, agent, "elsewhere", "chat-2")
    config = fake_config(tmp_path, agent)
    async with build_runtime(config, transport=llm.transport()) as rt:
        await rt.run_agent("pal", "third", session_id="chat-1")
        sessions = {sid: count for sid, _agent, count, _ts in rt.journal.sessions("pal")}
    history = [(m["role"], m["content"]) for m in llm.requests[-1]["messages"][1:]]
    assert history == [
        ("user", "first"),
        ("assistant", "turn 1"),
        ("user", "second"),
        ("assistant", "turn 2"),
        ("user", "third"),
    ]
    assert sessions == {"chat-1": 6, "chat-2": 2}


async def test_memory_is_per_agent(tmp_path: Path) -> None:
    llm = FakeLLM(brain)
    pal = AgentConfig(id="pal", provider="fake")
    other = AgentConfig(id="other", provider="fake")
    config = fake_config(tmp_path, pal, other)
    async with build_runtime(config, transport=llm.transport()) as rt:
        await rt.run_agent("pal", "Hello! My name is Ada.", session_id="s1")
        await rt.run_agent("pal", "My dog is called Biscuit.", session_id="s1")
        await rt.memory.flush()
        answer = await rt.run_agent("other", "What is my dog called?", session_id="s9")
        name = await rt.run_agent("other", "What is my name?", session_id="s9")
    assert answer.output == "I don't know" and name.output == "I don't know"


async def test_memory_is_left_out_when_only_that_fits_the_budget(tmp_path: Path) -> None:
    from axo_tui.core.config.schema import TokenBudget

    llm = FakeLLM(brain)
    tight = AgentConfig(id="pal", provider="fake", token_budget=TokenBudget(per_call=120))
    config = fake_config(tmp_path, tight)
    async with build_runtime(config, transport=llm.transport()) as rt:
        sub = rt.bus.subscribe(kinds=["runtime.warning"])
        result = await rt.run_agent("pal", "hi", session_id="s1")
        notices = [e.to_dict()["message"] for e in sub.drain()]
    assert result.status == "completed"
    assert "<core_memory>" not in system_of(llm.requests[0])
    assert "tools" not in llm.requests[0] or not tool_names(llm.requests[0])
    assert any("memory left out of this call" in n for n in notices)
    roomy = dataclasses.replace(tight, token_budget=TokenBudget(per_call=4000))
    config = fake_config(tmp_path, roomy)
    async with build_runtime(config, transport=llm.transport()) as rt:
        await rt.run_agent("pal", "hi", session_id="s1")
    assert "<core_memory>" in system_of(llm.requests[-1])
