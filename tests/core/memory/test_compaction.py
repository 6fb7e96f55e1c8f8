"""Context compaction: a long chat never sends a request over the model's window."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from axo_tui.core.config.schema import (
    AgentConfig,
    CompactionSettings,
    MemorySettings,
    RecallSettings,
)
from axo_tui.core.memory.compaction import compact
from axo_tui.core.providers.base import Message, ToolCall
from axo_tui.core.providers.tokens import estimate_prompt_tokens
from axo_tui.core.runtime.build import build_runtime
from tests.support.builders import make_config, scripted
from tests.support.fake_llm import FakeLLM, Reply, fake_config, system_of

WINDOW = 2000


def said(turn: int) -> str:
    return f"Turn {turn}: here is a longer message about topic {turn % 7}. " + "Details. " * 30


async def test_a_200_turn_chat_never_overflows_the_window(tmp_path: Path) -> None:
    provider = dataclasses.replace(scripted(), context_window=WINDOW)
    quiet = MemorySettings(recall=RecallSettings(passive_inject=False))
    config = make_config(
        tmp_path, [AgentConfig("a", provider="scripted", memory=quiet)], providers=[provider]
    )
    async with build_runtime(config) as rt:
        sub = rt.bus.subscribe(kinds=["usage.recorded"])
        for turn in range(200):
            result = await rt.run_agent("a", said(turn), session_id="long")
            assert result.status == "completed", result.errors
        prompts = [e.to_dict()["prompt_tokens"] for e in sub.drain()]
        stored = rt.journal.session_length("long")
    assert len(prompts) > 200  # every turn, plus the summaries of what was folded
    # The scripted provider counts exactly what it was sent.
    assert max(prompts) <= WINDOW - 16
    assert max(prompts) > WINDOW // 2  # the window was actually used, not avoided
    assert stored == 400  # the transcript itself is never cut


async def test_what_the_model_sees_after_extractive_compaction(tmp_path: Path) -> None:
    sent: list[tuple[int, int | None]] = []

    def brain(body: dict[str, Any]) -> Reply:
        messages = tuple(
            Message(m["role"], m.get("content") or "", (), m.get("tool_call_id"))
            for m in body["messages"]
        )
        sent.append((estimate_prompt_tokens(messages), body.get("max_tokens")))
        return Reply("Understood. " * 20)

    llm = FakeLLM(brain)
    extractive = MemorySettings(compaction=CompactionSettings(summarise=False))
    agent = AgentConfig(id="pal", provider="fake", memory=extractive)
    config = fake_config(tmp_path, agent)
    config = dataclasses.replace(
        config, providers=(dataclasses.replace(config.providers[0], context_window=WINDOW),)
    )
    async with build_runtime(config, transport=llm.transport()) as rt:
        for turn in range(40):
            await rt.run_agent("pal", said(turn), session_id="s")
    last = llm.requests[-1]
    system = system_of(last)
    assert "[Context compacted: the" in system
    assert "recall_search" in system and "recall_timeframe" in system
    assert "- user: Turn " in system  # condensed first lines of the oldest turns
    assert last["messages"][-1]["content"] == said(39)  # the current turn is whole
    # The estimate the runtime counts with, plus the reply it allows, fits the window. (The
    # tool definitions add to the prompt; estimate them the same way.)
    for prompt, max_tokens in sent[-5:]:
        assert max_tokens is None or prompt + max_tokens <= WINDOW


def test_turns_are_cut_at_user_messages_and_old_tool_results_shortened() -> None:
    big = "x" * 5000
    messages = [
        Message("system", "You are a test."),
        Message("user", "first question"),
        Message("assistant", "", (ToolCall("c1", "read_file", {"path": "a"}),)),
        Message("tool", big, (), "c1", "read_file"),
        Message("assistant", "first answer"),
        Message("user", "second question"),
        Message("assistant", "second answer"),
        Message("user", "third question"),
    ]
    shortened = compact(messages, (), window=600, reserve=100, count=estimate_prompt_tokens)
    assert shortened.truncated == 1 and shortened.condensed == 0
    assert "more characters cut to fit the context window" in shortened.messages[3].content

    condensed = compact(messages, (), window=140, reserve=20, count=estimate_prompt_tokens)
    roles = [m.role for m in condensed.messages]
    assert roles[0] == "system" and roles[1] == "user"  # never an orphaned tool result
    assert "tool" not in roles
    assert condensed.messages[-1].content == "third question"
    assert "- user: first question" in condensed.messages[0].content
    assert estimate_prompt_tokens(condensed.messages) <= 120


def test_a_short_conversation_is_left_alone() -> None:
    messages = (Message("system", "s"), Message("user", "hi"))
    result = compact(messages, (), window=4096, reserve=512, count=estimate_prompt_tokens)
    assert result.messages == messages and not result.changed
