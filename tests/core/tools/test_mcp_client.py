"""axo's MCP client against real servers: npm server-everything and server-filesystem,
PyPI mcp-server-time (all over stdio), and an SDK server over streamable HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.config.schema import ProviderConfig, ProviderKind
from axo_tui.core.events.catalog import (
    ApprovalRequested,
    Event,
    RuntimeNotice,
    ToolCalled,
    ToolResult,
)
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.tools import ToolError
from axo_tui.core.tools.mcp import ServerState
from tests.core.tools.mcp_setup import (
    NO_APPROVALS,
    everything,
    filesystem,
    fixture_http,
    fixture_stdio,
    http_server,
    time_server,
)
from tests.support.builders import agent, make_config, until
from tests.support.fake_llm import FakeLLM, Reply, answered_tool, tool_names

pytestmark = pytest.mark.asyncio


def fake_provider(window: int) -> ProviderConfig:
    return ProviderConfig(
        name="fake",
        kind=ProviderKind.OPENAI,
        base_url="http://127.0.0.1:9/v1",
        api_key="test",
        model="fake-model",
        max_retries=0,
        context_window=window,
    )


async def test_an_agent_calls_tools_of_three_real_servers(tmp_path: Path) -> None:
    files = tmp_path / "shared"
    files.mkdir()
    (files / "note.txt").write_text("the note's text", encoding="utf-8")
    calls = [
        ("mcp__everything__echo", {"message": "hi there"}),
        ("mcp__files__read_text_file", {"path": str(files / "note.txt")}),
        ("mcp__time__get_current_time", {"timezone": "UTC"}),
    ]

    def brain(body: dict[str, Any]) -> Reply:
        return Reply("done") if answered_tool(body) else Reply(calls=tuple(calls))

    llm = FakeLLM(brain)
    events: list[Event] = []
    config = make_config(
        tmp_path,
        [
            agent(
                "a",
                provider="fake",
                tools=("mcp__everything__echo", "mcp__files__*", "mcp__time__*"),
            )
        ],
        providers=[fake_provider(1_000_000)],
        mcp_servers=(everything(), filesystem(files), time_server()),
        approvals=NO_APPROVALS,
    )
    async with build_runtime(
        config, transport=llm.transport(), subscribers=[events.append]
    ) as runtime:
        result = await runtime.run_agent("a", "go")
    assert result.output == "done"
    offered = tool_names(llm.requests[0])
    assert "mcp__everything__echo" in offered and "mcp__files__read_text_file" in offered
    assert "mcp__time__get_current_time" in offered
    assert "mcp__everything__get-sum" not in offered  # not in the agent's allow-list
    results = {e.tool: e for e in events if isinstance(e, ToolResult)}
    assert results["mcp__everything__echo"].result == "Echo: hi there"
    assert results["mcp__files__read_text_file"].result == "the note's text"
    assert json.loads(results["mcp__time__get_current_time"].result)["timezone"] == "UTC"
    assert all(e.ok for e in results.values())
    assert [e.tool for e in events if isinstance(e, ToolCalled)] == [name for name, _ in calls]


async def test_images_are_named_and_error_results_are_tool_errors(tmp_path: Path) -> None:
    config = make_config(tmp_path, [agent("a")], mcp_servers=(everything(),))
    async with build_runtime(config) as runtime:
        await runtime.mcp_ready()
        text = await runtime.call_mcp_tool("everything", "get-tiny-image", {})
        assert "[image (image/png" in text and "from MCP server 'everything' not shown]" in text
        with pytest.raises(ToolError, match="MCP server 'everything': tool 'nope' failed"):
            await runtime.call_mcp_tool("everything", "nope", {})


async def test_the_model_sees_an_mcp_error_result_as_a_tool_error(tmp_path: Path) -> None:
    llm = FakeLLM(
        lambda body: (
            Reply("ok") if answered_tool(body) else Reply(calls=(("mcp__fixture__fail", {}),))
        )
    )
    config = make_config(
        tmp_path,
        [agent("a", provider="fake", tools=("mcp__fixture__fail",))],
        providers=[fake_provider(1_000_000)],
        mcp_servers=(fixture_stdio(),),
        approvals=NO_APPROVALS,
    )
    async with build_runtime(config, transport=llm.transport()) as runtime:
        await runtime.run_agent("a", "go")
    tool_message = llm.requests[1]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert tool_message["content"].startswith("error: MCP server 'fixture': tool 'fail' failed")
    assert "fixture failure: on purpose" in tool_message["content"]


async def test_streamable_http_sends_the_configured_headers(tmp_path: Path) -> None:
    with fixture_http() as url:
        server = http_server(url, headers=(("Authorization", "Bearer t0k"), ("X-Team", "blue")))
        config = make_config(tmp_path, [agent("a")], mcp_servers=(server,))
        async with build_runtime(config) as runtime:
            await runtime.mcp_ready()
            (status,) = runtime.mcp_servers()
            assert (status.state, status.transport) == (ServerState.READY, "http")
            seen = json.loads(await runtime.call_mcp_tool("web", "headers", {}))
            assert await runtime.call_mcp_tool("web", "echo", {"text": "over http"}) == "over http"
    assert (seen["authorization"], seen["x-team"]) == ("Bearer t0k", "blue")


async def test_a_tools_filter_and_list_changed(tmp_path: Path) -> None:
    server = fixture_stdio()
    config = make_config(tmp_path, [agent("a")], mcp_servers=(server,))
    async with build_runtime(config) as runtime:
        await runtime.mcp_ready()
        names = {tool.name for tool in runtime.mcp_tools()}
        assert "mcp__fixture__grown" not in names and "mcp__fixture__grow" in names
        assert await runtime.call_mcp_tool("fixture", "grow", {}) == "added"
        await until(lambda: "mcp__fixture__grown" in runtime.tools, timeout=10)
        assert await runtime.call_mcp_tool("fixture", "grown", {}) == "grown"


async def test_the_tools_filter_keeps_only_the_named_tools(tmp_path: Path) -> None:
    import dataclasses

    server = dataclasses.replace(everything(), tools=("echo", "get-s*"))
    config = make_config(tmp_path, [agent("a")], mcp_servers=(server,))
    async with build_runtime(config) as runtime:
        await runtime.mcp_ready()
        names = sorted(tool.tool for tool in runtime.mcp_tools())
    assert names == ["echo", "get-structured-content", "get-sum"]


async def test_an_agent_naming_a_tool_its_server_lacks_is_warned(tmp_path: Path) -> None:
    events: list[Event] = []
    config = make_config(
        tmp_path,
        [agent("a", tools=("mcp__fixture__ecko",))],
        mcp_servers=(fixture_stdio(),),
    )
    async with build_runtime(config, subscribers=[events.append]) as runtime:
        await runtime.mcp_ready()
        await until(lambda: any(isinstance(e, RuntimeNotice) for e in events))
    (notice,) = [e for e in events if isinstance(e, RuntimeNotice)]
    assert "agent 'a' lists 'mcp__fixture__ecko', which MCP server 'fixture' does not have" in (
        notice.message
    )
    assert "mcp__fixture__echo" in notice.message


async def test_seven_servers_take_under_5_percent_of_the_window(tmp_path: Path) -> None:
    window = 32_768

    use = {"name": "mcp__s6__echo", "arguments": {"message": "lazy"}}
    script = [Reply(calls=(("mcp_search_tools", {"query": "echo"}),))]
    script += [Reply(calls=(("mcp_use_tool", use),)), Reply("done")]

    def brain(body: dict[str, Any]) -> Reply:
        return script[sum(m["role"] == "tool" for m in body["messages"])]

    llm = FakeLLM(brain)
    events: list[Event] = []
    servers = tuple(everything(f"s{i}") for i in range(7))
    config = make_config(
        tmp_path,
        [agent("a", provider="fake", tools=("mcp__*",))],
        providers=[fake_provider(window)],
        mcp_servers=servers,
        approvals=NO_APPROVALS,
    )
    async with build_runtime(
        config, transport=llm.transport(), subscribers=[events.append]
    ) as runtime:
        await runtime.mcp_ready()
        all_definitions = [
            {"name": t.name, "description": t.description, "parameters": t.parameters}
            for t in runtime.mcp_tools()
        ]
        result = await runtime.run_agent("a", "go")
    assert len(all_definitions) == 7 * 13
    # Offered eagerly, the definitions alone would take more than 5% of the window...
    assert len(json.dumps(all_definitions)) / 4 > 0.05 * window
    # ...offered lazily, what is sent takes less.
    sent = [t for t in llm.requests[0]["tools"] if t["function"]["name"].startswith("mcp")]
    assert [t["function"]["name"] for t in sent] == ["mcp_search_tools", "mcp_use_tool"]
    assert len(json.dumps(sent)) / 4 < 0.05 * window
    found = json.loads(llm.requests[1]["messages"][-1]["content"])
    assert "mcp__s0__echo" in [tool["name"] for tool in found]
    # A use is the real call: its events name the real tool, and it answered.
    (called,) = [e for e in events if isinstance(e, ToolCalled)]
    assert (called.tool, called.arguments) == ("mcp__s6__echo", {"message": "lazy"})
    (answer,) = [e for e in events if isinstance(e, ToolResult)]
    assert answer.result == "Echo: lazy"
    assert result.output == "done"


async def test_approvals_apply_per_server_and_per_tool(tmp_path: Path) -> None:
    from axo_tui.core.config.schema import ApprovalMode, ApprovalSettings

    calls = (("mcp__fixture__echo", {"text": "asks"}), ("mcp__fixture__headers", {}))
    llm = FakeLLM(lambda body: Reply("ok") if answered_tool(body) else Reply(calls=calls))
    events: list[Event] = []
    approvals = ApprovalSettings(
        timeout_secs=0.3,  # nobody answers: the call that asks is denied (fails closed)
        tools=(
            ("mcp__fixture__echo", ApprovalMode.ALWAYS),
            ("mcp__fixture__*", ApprovalMode.NEVER),
        ),
    )
    config = make_config(
        tmp_path,
        [agent("a", provider="fake", tools=("mcp__fixture__*",))],
        providers=[fake_provider(1_000_000)],
        mcp_servers=(fixture_stdio(),),
        approvals=approvals,
    )
    async with build_runtime(
        config, transport=llm.transport(), subscribers=[events.append]
    ) as runtime:
        await runtime.run_agent("a", "go")
    results = {e.tool: e for e in events if isinstance(e, ToolResult)}
    assert results["mcp__fixture__headers"].ok
    assert not results["mcp__fixture__echo"].ok
    assert "asks" not in results["mcp__fixture__echo"].result
    asked = [e.tool for e in events if isinstance(e, ApprovalRequested)]
    assert asked == ["mcp__fixture__echo"]  # per tool `always` over the server's `never`
