"""`memory.tools` narrows or removes the memory tools; the prompt never names a missing one."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from axo_tui.core.config.schema import MEMORY_TOOL_NAMES, AgentConfig, MemorySettings, ProviderKind
from axo_tui.core.memory.tools import memory_tools
from axo_tui.core.runtime.build import build_runtime
from tests.support.fake_llm import (
    FakeLLM,
    Reply,
    answered_tool,
    fake_config,
    system_of,
    tool_names,
)


def test_the_config_knows_every_memory_tool() -> None:
    assert tuple(tool.name for tool in memory_tools(None)) == MEMORY_TOOL_NAMES  # type: ignore[arg-type]


async def first_request(tmp_path: Path, memory: MemorySettings) -> dict[str, Any]:
    llm = FakeLLM(lambda body: Reply("ok"))
    agent = AgentConfig("pal", provider="fake", memory=memory)
    async with build_runtime(fake_config(tmp_path, agent), transport=llm.transport()) as rt:
        await rt.run_agent("pal", "hello", session_id="s1")
    return llm.requests[0]


async def test_tools_false_offers_no_memory_tool_and_no_editing_instructions(
    tmp_path: Path,
) -> None:
    request = await first_request(tmp_path, MemorySettings(tools=()))
    system = system_of(request)
    assert not [name for name in tool_names(request) if name in MEMORY_TOOL_NAMES]
    assert "<core_memory>" in system  # still shown: it is memory, only not editable
    assert "core_memory_append" not in system
    assert "recall_search" not in system and "recall_timeframe" not in system


async def test_a_tool_list_offers_those_and_the_prompt_names_only_those(tmp_path: Path) -> None:
    request = await first_request(tmp_path, MemorySettings(tools=("recall_search",)))
    system = system_of(request)
    assert tool_names(request) == ["recall_search"]
    assert "recall_search {query, k}" in system
    assert "recall_timeframe" not in system
    assert "core_memory_append" not in system


async def test_a_switched_off_tool_called_anyway_is_a_tool_error(tmp_path: Path) -> None:
    def stubborn(body: dict[str, Any]) -> Reply:
        if answered_tool(body):
            return Reply("gave up")
        return Reply(calls=(("core_memory_set", {"block": "human", "value": "x"}),))

    llm = FakeLLM(stubborn)
    agent = AgentConfig("pal", provider="fake", memory=MemorySettings(tools=("recall_search",)))
    async with build_runtime(fake_config(tmp_path, agent), transport=llm.transport()) as rt:
        sub = rt.bus.subscribe(kinds=["tool.result"])
        result = await rt.run_agent("pal", "hello", session_id="s1")
        results = [e.to_dict() for e in sub.drain()]
        value = rt.memory.core.block(agent, "human").value
    assert result.status == "completed"
    assert results[0]["ok"] is False and "core_memory_set" in results[0]["result"]
    assert value == ""  # nothing was written


async def test_an_explicit_list_also_holds_on_the_embedded_model(tmp_path: Path) -> None:
    # On `local`, memory tools are normally only those listed in `tools:`; an explicit
    # `memory.tools` says what the user wants, so it is honoured as it is.
    from axo_tui.core.runtime.agent_turn import AgentRunner, ResolvedProvider

    agent = AgentConfig("pal", provider="local", memory=MemorySettings(tools=("recall_search",)))
    config = fake_config(tmp_path, agent)
    async with build_runtime(config) as rt:
        local = dataclasses.replace(config.providers[0], kind=ProviderKind.LOCAL)
        runner: AgentRunner = rt._backends["llm"]  # type: ignore[assignment]
        offered = runner._memory_tools(agent, ResolvedProvider(None, local, "m"))  # type: ignore[arg-type]
        default = runner._memory_tools(
            dataclasses.replace(agent, memory=MemorySettings()),
            ResolvedProvider(None, local, "m"),  # type: ignore[arg-type]
        )
    assert list(offered) == ["recall_search"]
    assert list(default) == []
