"""The turn loop: sessions per caller, tool allow-list, bounded rounds, loop guards."""

from __future__ import annotations

from pathlib import Path

from axo_tui.core.config.schema import MemorySettings, RecallSettings
from axo_tui.core.events.catalog import TokenStreamed
from axo_tui.core.runtime.build import build_runtime
from tests.support.builders import agent, make_config, scripted, step


async def test_tokens_stream_as_events_that_join_into_the_output(tmp_path: Path) -> None:
    config = make_config(
        tmp_path, [agent("a")], providers=[scripted({"a": ["one two three four"]})]
    )
    async with build_runtime(config) as rt:
        sub = rt.bus.subscribe(kinds=[TokenStreamed.kind])
        result = await rt.run_agent("a", "x")
        deltas = [e.text for e in sub.drain() if isinstance(e, TokenStreamed)]
    assert len(deltas) == 4
    assert "".join(deltas) == result.output == "one two three four"


async def test_a_tool_outside_the_allow_list_is_refused_to_the_model(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("a", tools=("calculator",))],
        providers=[scripted({"a": [step("", ("read_file", {"path": "secret.txt"})), "gave up"]})],
    )
    (tmp_path / "secret.txt").write_text("top secret")
    async with build_runtime(config) as rt:
        sub = rt.bus.subscribe(kinds=["tool.result"])
        result = await rt.run_agent("a", "x")
        (tool_result,) = [e.to_dict() for e in sub.drain()]
    assert result.output == "gave up"
    assert tool_result["ok"] is False
    assert "not allowed for agent 'a'" in tool_result["result"]
    assert "top secret" not in tool_result["result"]


async def test_no_tools_key_means_no_tools_are_offered(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("a")],
        providers=[scripted({"a": [step("", ("calculator", {"expression": "1+1"})), "ok"]})],
    )
    async with build_runtime(config) as rt:
        sub = rt.bus.subscribe(kinds=["tool.result"])
        await rt.run_agent("a", "x")
        (tool_result,) = [e.to_dict() for e in sub.drain()]
    assert tool_result["ok"] is False and "its tools: none" in tool_result["result"]


async def test_the_same_call_repeated_ends_the_turn_with_a_clear_error(tmp_path: Path) -> None:
    same = step("", ("calculator", {"expression": "1+1"}))
    config = make_config(
        tmp_path,
        [agent("a", tools=("calculator",))],
        providers=[scripted({"a": [same, same, same, "never reached"]})],
    )
    async with build_runtime(config) as rt:
        result = await rt.run_agent("a", "x")
        calls = rt.journal.usage_report()[0].calls
    assert result.status == "failed"
    assert "same arguments 3 times in a row" in result.errors["a"]
    assert calls == 3


async def test_an_alternating_cycle_of_calls_ends_the_turn(tmp_path: Path) -> None:
    a = step("", ("calculator", {"expression": "1+1"}))
    b = step("", ("current_time", {}))
    config = make_config(
        tmp_path,
        [agent("a", tools=("calculator", "current_time"), max_tool_rounds=20)],
        providers=[scripted({"a": [a, b] * 10})],
    )
    async with build_runtime(config) as rt:
        sub = rt.bus.subscribe(kinds=["tool.called"])
        result = await rt.run_agent("a", "x")
        ran = len(sub.drain())
    assert result.status == "failed"
    assert "repeated the same 2 tool calls (calculator, current_time) 3 times" in result.errors["a"]
    assert ran == 5  # the call that would complete the third cycle never runs


async def test_a_cycle_inside_one_reply_is_caught_too(tmp_path: Path) -> None:
    calls = [("calculator", {"expression": "1+1"}), ("calculator", {"expression": "2+2"})] * 3
    config = make_config(
        tmp_path,
        [agent("a", tools=("calculator",))],
        providers=[scripted({"a": [step("", *calls), "never reached"]})],
    )
    async with build_runtime(config) as rt:
        result = await rt.run_agent("a", "x")
    assert result.status == "failed" and "3 times in a row" in result.errors["a"]


async def test_thousands_of_calls_in_one_reply_run_none_and_end_the_turn(tmp_path: Path) -> None:
    calls = [("calculator", {"expression": f"{i}+1"}) for i in range(5000)]
    config = make_config(
        tmp_path,
        [agent("a", tools=("calculator",))],
        providers=[scripted({"a": [step("", *calls), "never reached"]})],
    )
    async with build_runtime(config) as rt:
        sub = rt.bus.subscribe(kinds=["tool.called"])
        result = await rt.run_agent("a", "x")
        ran = len(sub.drain())
    assert result.status == "failed"
    assert "asked for 5000 tool calls in one reply (at most 32)" in result.errors["a"]
    assert ran == 0


async def test_varied_calls_are_not_mistaken_for_a_loop(tmp_path: Path) -> None:
    # The same call four times, but never as a repeating cycle.
    expressions = ["1+1", "2+2", "1+1", "3+3", "1+1", "4+4", "1+1"]
    rounds = [step("", ("calculator", {"expression": e})) for e in expressions]
    config = make_config(
        tmp_path,
        [agent("a", tools=("calculator",), max_tool_rounds=12)],
        providers=[scripted({"a": [*rounds, "done"]})],
    )
    async with build_runtime(config) as rt:
        result = await rt.run_agent("a", "x")
    assert result.status == "completed" and result.output == "done"


async def test_tools_never_read_the_data_directory_wherever_it_is(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-from-dotenv\n")
    reads = [step("", ("read_file", {"path": p})) for p in (".env", "state/axo.db", "notes")]
    config = make_config(
        tmp_path,
        [agent("a", tools=("read_file",))],
        providers=[scripted({"a": [*reads, "done"]})],
    )
    (tmp_path / "notes").write_text("hello")
    async with build_runtime(config, data_dir=tmp_path / "state") as rt:
        sub = rt.bus.subscribe(kinds=["tool.result"])
        await rt.run_agent("a", "x")
        results = [e.to_dict() for e in sub.drain()]
    assert [r["ok"] for r in results] == [False, False, True]
    assert all("refused" in r["result"] for r in results[:2])
    assert results[2]["result"] == "hello"
    stored = b"".join(f.read_bytes() for f in (tmp_path / "state").rglob("*") if f.is_file())
    assert b"sk-from-dotenv" not in stored


async def test_tool_rounds_are_bounded(tmp_path: Path) -> None:
    rounds = [step("", ("calculator", {"expression": f"{i}*2"})) for i in range(10)]
    config = make_config(
        tmp_path,
        [agent("a", tools=("calculator",), max_tool_rounds=2)],
        providers=[scripted({"a": rounds})],
    )
    async with build_runtime(config) as rt:
        result = await rt.run_agent("a", "x")
        calls = rt.journal.usage_report()[0].calls
    assert result.status == "failed"
    assert "after 2 rounds" in result.errors["a"]
    assert calls == 3


async def test_chat_sessions_are_per_caller_and_persist(tmp_path: Path) -> None:
    config = make_config(tmp_path, [agent("a")])
    async with build_runtime(config) as rt:
        await rt.run_agent("a", "alice says hi", session_id="alice")
        await rt.run_agent("a", "bob says hi", session_id="bob")
        await rt.run_agent("a", "alice again", session_id="alice")
    async with build_runtime(config) as rt:
        alice = rt.journal.load_session("alice")
        bob = rt.journal.load_session("bob")
    assert [m.content for m in alice if m.role == "user"] == ["alice says hi", "alice again"]
    assert [m.content for m in bob if m.role == "user"] == ["bob says hi"]
    assert all("bob" not in m.content for m in alice)


async def test_a_turn_sees_its_session_history(tmp_path: Path) -> None:
    # No passive recall: it would bring session "s" into the fresh session's prompt.
    no_recall = MemorySettings(recall=RecallSettings(passive_inject=False))
    config = make_config(
        tmp_path,
        [agent("a", memory=no_recall)],
        providers=[scripted({"a": ["noted", "you said: {input}"]})],
    )
    async with build_runtime(config) as rt:
        await rt.run_agent("a", "my name is Ada", session_id="s")
        sub = rt.bus.subscribe(kinds=["usage.recorded"])
        await rt.run_agent("a", "what is my name?", session_id="s")
        second_prompt = sub.drain()[0].to_dict()["prompt_tokens"]
        fresh = await rt.run_agent("a", "what is my name?", session_id="other")
    # The continued session sends more prompt tokens than a fresh one with the same input.
    assert second_prompt > fresh.usage.prompt_tokens


async def test_a_provider_failure_fails_the_activation_not_the_runtime(tmp_path: Path) -> None:
    config = make_config(tmp_path, [agent("bad", provider="nowhere"), agent("good")])
    async with build_runtime(config) as rt:
        bad = await rt.run_agent("bad", "x")
        good = await rt.run_agent("good", "x")
        statuses = {s.agent_id: s.state for s in rt.statuses()}
    assert bad.status == "failed" and "not configured" in bad.errors["bad"]
    assert good.status == "completed"
    assert statuses == {"bad": "failed", "good": "idle"}
