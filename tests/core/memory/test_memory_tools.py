"""The memory tools through the real turn loop: arguments, errors, the activity log."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from axo_tui.core.config.schema import (
    AgentConfig,
    CoreBlockSpec,
    MemorySettings,
    ScriptedStep,
    TokenBudget,
)
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runtime import Runtime
from tests.support.builders import agent, make_config, scripted, step


async def tool_results(
    tmp_path: Path, steps: list[str | ScriptedStep], **fields: Any
) -> tuple[list[dict[str, Any]], Runtime]:
    config = make_config(tmp_path, [agent("a", **fields)], providers=[scripted({"a": steps})])
    async with build_runtime(config) as rt:
        sub = rt.bus.subscribe(kinds=["tool.result"])
        await rt.run_agent("a", "remember things", session_id="s1")
        results = [e.to_dict() for e in sub.drain()]
    return results, rt


async def test_bad_arguments_come_back_to_the_model_as_clear_errors(tmp_path: Path) -> None:
    small = MemorySettings(core_blocks=(CoreBlockSpec("human", limit=20),))
    results, rt = await tool_results(
        tmp_path,
        [
            step(
                "",
                ("core_memory_append", {"block": "human"}),
                ("core_memory_append", {"block": 7, "text": "x"}),
                ("core_memory_append", {"block": "humans", "text": "x"}),
                ("core_memory_append", {"block": "human", "text": "a fact far too long for it"}),
                ("core_memory_replace", {"block": "human", "old": "absent", "new": "x"}),
                ("core_memory_set", {"block": "human", "value": "Ada"}),
                ("recall_timeframe", {"from": "2024-01-01", "to": "2024-03-01"}),
                ("recall_timeframe", {"date": "yesterday"}),
                ("recall_search", {"query": "x", "k": "many"}),
            ),
            "done",
        ],
        memory=small,
    )
    messages = [(r["ok"], r["result"]) for r in results]
    assert messages[0][0] is False and "missing argument(s) text" in messages[0][1]
    assert "'block' must be a string (got int)" in messages[1][1]
    assert "no core memory block 'humans'; the blocks are: human" in messages[2][1]
    assert "block 'human' would hold 26 of 20 characters" in messages[3][1]
    assert "not found in block 'human'" in messages[4][1]
    assert messages[5] == (True, "set 'human' (3/20 characters)")
    assert "covers 61 days; at most 31" in messages[6][1]
    assert "'date' must be a date as YYYY-MM-DD (got 'yesterday')" in messages[7][1]
    assert "'k' must be a whole number" in messages[8][1]
    assert rt.memory.core.block(agent("a", memory=small), "human").value == "Ada"


async def test_memory_tools_come_with_any_tools_list(tmp_path: Path) -> None:
    results, _ = await tool_results(
        tmp_path,
        [
            step("", ("core_memory_append", {"block": "project", "text": "Uses axo."})),
            step("", ("read_file", {"path": "x"})),
            "done",
        ],
        tools=("calculator",),
    )
    assert results[0]["ok"] is True
    assert results[1]["ok"] is False
    assert "its tools: calculator" in results[1]["result"]  # the allow-list still holds


async def test_every_turn_is_in_the_daily_activity_log(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("a", tools=("calculator",))],
        providers=[
            scripted(
                {
                    "a": [
                        step("Let me compute.", ("calculator", {"expression": "6*7"})),
                        "It is {last_tool_result}.",
                        step("", ("recall_timeframe", {"date": dt.date.today().isoformat()})),
                        "Today: {last_tool_result}",
                    ]
                }
            )
        ],
    )
    async with build_runtime(config) as rt:
        first = await rt.run_agent("a", "what is 6*7?", session_id="chat")
        second = await rt.run_agent("a", "what did we do today?", session_id="chat")
    path = tmp_path / ".axo" / "logs" / "daily" / "a" / f"{dt.date.today().isoformat()}.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    kinds = [e["kind"] for e in entries[:5]]
    assert kinds == ["user", "assistant", "tool_call", "tool_result", "assistant"]
    assert entries[0]["content"] == "what is 6*7?"
    assert entries[2]["tool"] == "calculator" and entries[2]["arguments"] == {"expression": "6*7"}
    assert entries[3]["ok"] is True and entries[3]["content"] == "42"
    assert entries[4]["content"] == first.output == "It is 42."
    assert all(e["session_id"] == "chat" and e["run_id"] and e["ts"] for e in entries)
    assert entries[0]["run_id"] == first.run_id
    # recall_timeframe reads that log back to the agent.
    assert "user: what is 6*7?" in second.output
    assert "tool_result: calculator (ok): 42" in second.output
    assert "assistant: It is 42." in second.output


async def test_a_failed_turn_is_logged_with_its_error(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("a", token_budget=TokenBudget(per_call=5))],
        providers=[scripted({"a": ["never"]})],
    )
    async with build_runtime(config) as rt:
        result = await rt.run_agent("a", "a long question " * 10)
    assert result.status == "failed"
    day = tmp_path / ".axo" / "logs" / "daily" / "a" / f"{dt.date.today().isoformat()}.jsonl"
    entries = [json.loads(line) for line in day.read_text().splitlines()]
    assert [e["kind"] for e in entries] == ["user", "error"]
    assert entries[1]["error"] == "BudgetExceededError"
    assert "per_call budget of 5 tokens" in entries[1]["content"]


async def test_recall_search_finds_earlier_exchanges_by_meaning(tmp_path: Path) -> None:
    steps: list[str | ScriptedStep] = [
        "Noted.",
        "Noted.",
        step("", ("recall_search", {"query": "what pet does the user have?", "k": 1})),
        "{last_tool_result}",
    ]
    config = make_config(tmp_path, [agent("a")], providers=[scripted({"a": steps})])
    async with build_runtime(config) as rt:
        await rt.run_agent("a", "I have a cat named Miso.", session_id="s1")
        await rt.run_agent("a", "The build server is in Berlin.", session_id="s1")
        found = await rt.run_agent("a", "search", session_id="s2")
    assert "user: I have a cat named Miso." in found.output
    assert "Berlin" not in found.output  # k=1: only the best match
    assert "score" in found.output


async def test_shared_blocks_reach_every_agent_that_declares_them(tmp_path: Path) -> None:
    team = CoreBlockSpec("team", limit=300, description="Team agreements.", shared=True)
    memory = MemorySettings(core_blocks=(CoreBlockSpec("human"), team))
    config = make_config(
        tmp_path,
        [AgentConfig("lead", provider="scripted", memory=memory), agent("dev", memory=memory)],
        providers=[
            scripted(
                {
                    "lead": [
                        step("", ("core_memory_append", {"block": "team", "text": "Ship Fri."})),
                        "ok",
                    ],
                    "dev": [
                        step(
                            "",
                            ("core_memory_replace", {"block": "team", "old": "Fri", "new": "Mon"}),
                        ),
                        "ok",
                    ],
                }
            )
        ],
    )
    async with build_runtime(config) as rt:
        await rt.run_agent("lead", "decide")
        await rt.run_agent("dev", "adjust")
        lead_blocks = rt.memory.core.blocks(config.agent("lead"))
    assert [b.value for b in lead_blocks] == ["", "Ship Mon."]
