"""Compaction summarised by the agent's own model: through the scripted provider, within the
window and the budget, rolling, kept across restarts, and the fallback when it cannot be."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from axo_tui.core.config.schema import (
    AgentConfig,
    MemorySettings,
    OverflowPolicy,
    RecallSettings,
    TokenBudget,
)
from axo_tui.core.memory.summary import MAX_CALLS, Fit, SummaryStore, compact_with_summary
from axo_tui.core.providers.base import ChatRequest, Message, StreamChunk
from axo_tui.core.providers.scripted import ScriptedProvider
from axo_tui.core.providers.tokens import estimate_prompt_tokens
from axo_tui.core.runtime.budget import ExecutionBudget
from axo_tui.core.runtime.build import build_runtime
from tests.support.builders import make_config, scripted
from tests.support.fake_llm import FakeLLM, Reply, fake_config, system_of

WINDOW = 2000
SUMMARIES = [f"Summary {n}: the user went through topics 0 to 6 in detail." for n in range(1, 200)]


def said(turn: int) -> str:
    return f"Turn {turn}: here is a longer message about topic {turn % 7}. " + "Details. " * 30


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[ChatRequest]:
    """Every request the scripted provider receives."""
    requests: list[ChatRequest] = []
    original = ScriptedProvider.stream

    def recording(self: ScriptedProvider, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        requests.append(request)
        return original(self, request)

    monkeypatch.setattr(ScriptedProvider, "stream", recording)
    return requests


async def test_a_200_turn_chat_is_summarised_by_the_model_within_the_window(
    tmp_path: Path, sent: list[ChatRequest]
) -> None:
    # The scripted provider scripts the summary requests as `<agent>#compaction`.
    provider = dataclasses.replace(scripted({"a#compaction": SUMMARIES}), context_window=WINDOW)
    quiet = MemorySettings(recall=RecallSettings(passive_inject=False))
    config = make_config(
        tmp_path, [AgentConfig("a", provider="scripted", memory=quiet)], providers=[provider]
    )
    async with build_runtime(config) as rt:
        ledger = rt.bus.subscribe(kinds=["usage.recorded"])
        for turn in range(200):
            result = await rt.run_agent("a", said(turn), session_id="long")
            assert result.status == "completed", result.errors
        recorded = len(ledger.drain())
        stored = rt.journal.session_length("long")

    summaries = [r for r in sent if r.agent_id == "a#compaction"]
    turns = [r for r in sent if r.agent_id == "a"]
    assert len(turns) == 200
    assert 5 <= len(summaries) <= 70  # folded in steps, not once a turn
    assert recorded == len(sent)  # every call, summaries included, is in the usage ledger
    # No request, summary or turn, asks for more than the window holds.
    for request in sent:
        prompt = estimate_prompt_tokens(request.messages, request.tools)
        assert prompt + (request.max_tokens or 0) <= WINDOW, request.agent_id
    # The summary the model wrote is what the agent sees of its early turns.
    latest = SUMMARIES[len(summaries) - 1]
    system = turns[-1].messages[0].content
    assert "summarised below" in system and latest in system
    assert "- user: Turn" not in system  # not the first-lines note
    # Rolling: each summary request starts from the previous summary, not the whole history.
    assert SUMMARIES[0] in summaries[1].messages[-1].content
    assert "Turn 0:" not in summaries[-1].messages[-1].content
    assert stored == 400  # the transcript itself is never cut
    # Kept on disk: a restarted process starts from it.
    files = list((tmp_path / ".axo" / "memory" / "summaries").glob("*.json"))
    assert [json.loads(f.read_text())["text"] for f in files] == [latest]


async def test_a_failing_summary_falls_back_to_first_lines_and_says_so(tmp_path: Path) -> None:
    llm = FakeLLM(lambda body: Reply("Understood. " * 20))

    def handle(request: httpx.Request) -> httpx.Response:
        if b"summary_so_far" in request.content:
            return httpx.Response(500, json={"error": {"message": "model overloaded"}})
        return llm.transport().handle_request(request)

    agent = AgentConfig("pal", provider="fake")
    config = fake_config(tmp_path, agent)
    config = dataclasses.replace(
        config, providers=(dataclasses.replace(config.providers[0], context_window=WINDOW),)
    )
    async with build_runtime(config, transport=httpx.MockTransport(handle)) as rt:
        notices = rt.bus.subscribe(kinds=["runtime.warning"])
        for turn in range(30):
            result = await rt.run_agent("pal", said(turn), session_id="s")
            assert result.status == "completed", result.errors
        warnings = [e.to_dict()["message"] for e in notices.drain()]
    system = system_of(llm.requests[-1])
    assert "condensed below (first lines only)" in system
    assert "No model summary this time" in system and "500" in system
    assert "- user: Turn " in system
    fallbacks = [w for w in warnings if "used first lines, not a model summary" in w]
    assert len(fallbacks) == 1  # once per session and reason, not once a turn


async def test_a_summary_never_costs_the_turn_its_budget(
    tmp_path: Path, sent: list[ChatRequest]
) -> None:
    # per_execution holds the turn's own call but not a summary on top of it: the summary is
    # refused (first lines instead) rather than the turn failing for want of budget.
    provider = dataclasses.replace(scripted({"a#compaction": SUMMARIES}), context_window=WINDOW)
    tight = AgentConfig(
        "a",
        provider="scripted",
        memory=MemorySettings(recall=RecallSettings(passive_inject=False)),
        token_budget=TokenBudget(per_execution=2000, overflow_policy=OverflowPolicy.ABORT),
    )
    config = make_config(tmp_path, [tight], providers=[provider])
    async with build_runtime(config) as rt:
        for turn in range(30):
            result = await rt.run_agent("a", said(turn), session_id="s")
            assert result.status == "completed", result.errors
    assert not [r for r in sent if r.agent_id == "a#compaction"]
    system = sent[-1].messages[0].content
    assert "No model summary this time (agent 'a': per_execution budget" in system
    assert "- user: Turn " in system


# --------------------------------------------------------------------- unit level
def conversation(turns: int, words: int = 30) -> list[Message]:
    messages = [Message("system", "You are a test.")]
    for turn in range(turns):
        messages.append(Message("user", f"question {turn}: " + "word " * words))
        messages.append(Message("assistant", f"answer {turn}: " + "word " * words))
    messages.append(Message("user", "the current question"))
    return messages


def fit_for(tmp_path: Path, ask: Any, *, window: int = 1000) -> Fit:
    store = SummaryStore(tmp_path / "summaries")
    return Fit(window, 200, estimate_prompt_tokens, ask, store, "s", "pal", "hint.")


async def test_an_over_budget_summary_is_not_sent_and_the_note_says_why(tmp_path: Path) -> None:
    budget = ExecutionBudget("pal", TokenBudget(per_call=300, overflow_policy=OverflowPolicy.ABORT))
    asked: list[int] = []

    async def ask(prompt: tuple[Message, ...], reply_tokens: int, keep: int) -> str:
        budget.check(estimate_prompt_tokens(prompt), reply_tokens)  # raises: over per_call
        asked.append(reply_tokens)
        return "never"

    result = await compact_with_summary(conversation(20), (), fit_for(tmp_path, ask))
    assert not asked and not result.summarised
    assert "per_call budget of 300 tokens" in result.summary_problem
    assert "No model summary this time (agent 'pal': per_call budget" in result.messages[0].content
    assert estimate_prompt_tokens(result.messages) <= 800


async def test_a_cached_summary_is_reused_and_a_changed_history_is_not(tmp_path: Path) -> None:
    calls: list[str] = []

    async def ask(prompt: tuple[Message, ...], reply_tokens: int, keep: int) -> str:
        calls.append(prompt[-1].content)
        return f"summary {len(calls)}"

    fit = fit_for(tmp_path, ask)
    first = await compact_with_summary(conversation(20), (), fit)
    made = len(calls)
    latest = f"summary {made}"
    assert first.summarised and latest in first.messages[0].content
    # Chunks roll: each request starts from the summary of the chunk before.
    assert all(f"<summary_so_far>\nsummary {n}\n" in calls[n] for n in range(1, made))
    longer = conversation(21)
    again = await compact_with_summary(longer, (), fit)
    assert len(calls) == made and latest in again.messages[0].content  # no new call
    # A fresh store (a restart) reads it back from disk.
    fresh = dataclasses.replace(fit, store=SummaryStore(tmp_path / "summaries"))
    await compact_with_summary(longer, (), fresh)
    assert len(calls) == made
    # An edited early message: that summary is of another history and is not reused.
    edited = [longer[0], Message("user", "something else entirely"), *longer[2:]]
    await compact_with_summary(edited, (), fresh)
    assert len(calls) > made and "<summary_so_far>\n(none yet)" in calls[made]


async def test_a_backlog_larger_than_the_window_is_summarised_in_chunks(tmp_path: Path) -> None:
    prompts: list[int] = []

    async def ask(prompt: tuple[Message, ...], reply_tokens: int, keep: int) -> str:
        prompts.append(estimate_prompt_tokens(prompt) + reply_tokens)
        return f"part {len(prompts)}"

    result = await compact_with_summary(conversation(400), (), fit_for(tmp_path, ask))
    assert len(prompts) == MAX_CALLS and max(prompts) <= 1000
    note = result.messages[0].content
    assert "older messages were too many to summarise; recall has them" in note
    assert f"part {MAX_CALLS}" in note
    assert estimate_prompt_tokens(result.messages) <= 800


async def test_a_damaged_summary_file_is_ignored(tmp_path: Path) -> None:
    store = SummaryStore(tmp_path / "summaries")
    store.root.mkdir(parents=True)
    store.path("s").write_text("{not json")

    async def ask(prompt: tuple[Message, ...], reply_tokens: int, keep: int) -> str:
        return "a fresh summary"

    fit = dataclasses.replace(fit_for(tmp_path, ask), store=store)
    result = await compact_with_summary(conversation(20), (), fit)
    assert result.summarised and "a fresh summary" in result.messages[0].content
