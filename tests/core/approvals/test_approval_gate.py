"""Tool approvals in one process: a call that needs approval pauses its activation until a
human answers, fails closed on a timeout, is bound to its exact arguments, and a decision
can be remembered and revoked."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.config.schema import ApprovalMode, ApprovalSettings
from axo_tui.core.runtime.approvals import ApprovalError
from axo_tui.core.runtime.build import build_runtime, open_state
from axo_tui.core.runtime.runs import RunResult
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.core.store.approvals import ApprovalRecord
from axo_tui.core.tools.approval_policy import args_hash
from tests.support.builders import agent, make_config, scripted, step, until

APPEND = {"command": "echo ran >> out.txt"}


def shell_config(tmp_path: Path, *steps: Any, **agent_fields: Any) -> Any:
    extra = {k: agent_fields.pop(k) for k in ("approvals_project",) if k in agent_fields}
    agent_fields.setdefault("tools", ("shell", "calculator"))
    return make_config(
        tmp_path,
        [agent("ops", **agent_fields)],
        providers=[scripted({"ops": list(steps) or [step("", ("shell", APPEND)), "done"]})],
        **({"approvals": extra["approvals_project"]} if extra else {}),
    )


async def pending(runtime: Runtime, count: int = 1) -> list[ApprovalRecord]:
    await until(lambda: len(runtime.state.pending_approvals()) >= count, timeout=10)
    return runtime.state.pending_approvals()


def ran(tmp_path: Path) -> list[str]:
    out = tmp_path / "out.txt"
    return out.read_text().splitlines() if out.exists() else []


def tool_results(result_events: list[dict[str, Any]]) -> list[str]:
    return [e["result"] for e in result_events if e["kind"] == "tool.result"]


async def test_a_call_waits_for_approval_then_runs_once(tmp_path: Path) -> None:
    async with build_runtime(shell_config(tmp_path)) as runtime:
        sub = runtime.subscribe(kinds=["approval.requested", "approval.decided", "tool.result"])
        task = asyncio.ensure_future(runtime.run_agent("ops", "check"))
        (approval,) = await pending(runtime)
        await asyncio.sleep(0.05)  # the loop is free meanwhile, and the tool has not run
        assert not task.done() and ran(tmp_path) == []
        assert approval.tool == "shell" and approval.arguments == APPEND
        assert approval.args_hash == args_hash(APPEND)
        decided = await runtime.decide_approval(approval.id, "approve")
        result: RunResult = await task
        events = [e.to_dict() for e in sub.drain()]
    assert decided.status == "approved" and decided.decided_by == "user"
    assert result.ok and result.output == "done"
    assert ran(tmp_path) == ["ran"]
    kinds = [e["kind"] for e in events]
    assert kinds == ["approval.requested", "approval.decided", "tool.result"]
    assert events[0]["approval_id"] == approval.id and events[1]["decision"] == "approve"
    assert tool_results(events) == ["exit code 0"]


async def test_a_denied_call_does_not_run_and_the_model_is_told(tmp_path: Path) -> None:
    async with build_runtime(shell_config(tmp_path)) as runtime:
        sub = runtime.subscribe(kinds=["tool.result"])
        task = asyncio.ensure_future(runtime.run_agent("ops", "check"))
        (approval,) = await pending(runtime)
        await runtime.decide_approval(approval.id, "deny")
        await task
        (result,) = tool_results([e.to_dict() for e in sub.drain()])
    assert ran(tmp_path) == []
    assert result.startswith("denied: the call of 'shell' was not run: a human denied it")


async def test_no_answer_is_a_denial_when_the_timeout_ends(tmp_path: Path) -> None:
    config = shell_config(tmp_path, approvals_project=ApprovalSettings(timeout_secs=0.2))
    async with build_runtime(config) as runtime:
        sub = runtime.subscribe(kinds=["tool.result", "approval.decided"])
        result = await runtime.run_agent("ops", "check")
        events = [e.to_dict() for e in sub.drain()]
        (record,) = runtime.state.recent_approvals()
        assert runtime.state.pending_approvals() == []
        with pytest.raises(ApprovalError) as late:
            await runtime.decide_approval(record.id, "approve")
    assert result.ok and ran(tmp_path) == []
    assert record.status == "denied" and record.decided_by == "timeout"
    assert events[0]["decided_by"] == "timeout"
    assert "no one approved it within 0.2s (approvals fail closed)" in tool_results(events)[0]
    assert late.value.code == "conflict"


async def test_an_approval_is_bound_to_its_exact_arguments(tmp_path: Path) -> None:
    other = {"command": "echo other >> out.txt"}
    config = shell_config(tmp_path, step("", ("shell", APPEND), ("shell", other)), "done")
    async with build_runtime(config) as runtime:
        task = asyncio.ensure_future(runtime.run_agent("ops", "check"))
        (first,) = await pending(runtime)
        with pytest.raises(ApprovalError) as wrong:
            await runtime.decide_approval(first.id, "approve", args_hash=args_hash(other))
        await runtime.decide_approval(first.id, "approve", args_hash=args_hash(APPEND))
        # The same agent and tool with other arguments: a new approval, still pending.
        (second,) = await pending(runtime)
        assert second.id != first.id and second.arguments == other
        assert ran(tmp_path) == ["ran"]
        await runtime.decide_approval(second.id, "deny")
        await task
    assert wrong.value.code == "conflict" and "other arguments" in str(wrong.value)
    assert ran(tmp_path) == ["ran"]


async def test_always_is_remembered_for_the_agent_and_tool_until_revoked(tmp_path: Path) -> None:
    config = shell_config(
        tmp_path, step("", ("shell", APPEND)), "done", step("", ("shell", APPEND)), "done"
    )
    async with build_runtime(config) as runtime:
        task = asyncio.ensure_future(runtime.run_agent("ops", "check"))
        (approval,) = await pending(runtime)
        await runtime.decide_approval(approval.id, "approve", "always")
        await task
        (rule,) = runtime.state.approval_rules()
        assert (rule.agent_id, rule.tool, rule.decision) == ("ops", "shell", "approve")
        await runtime.run_agent("ops", "again")  # no one asked: the rule covers it
        assert runtime.state.recent_approvals()[0].decided_by == "rule"
        assert ran(tmp_path) == ["ran", "ran"]
        revoked = await runtime.revoke_approval_rule("ops", "shell")
        assert revoked.tool == "shell" and runtime.state.approval_rules() == []
        task = asyncio.ensure_future(runtime.run_agent("ops", "and again"))
        (asked,) = await pending(runtime)
        await runtime.decide_approval(asked.id, "deny")
        await task
        with pytest.raises(ApprovalError) as gone:
            await runtime.revoke_approval_rule("ops", "shell")
    assert gone.value.code == "not_found"
    assert ran(tmp_path) == ["ran", "ran"]


async def test_the_config_says_which_tools_need_approval(tmp_path: Path) -> None:
    settings = ApprovalSettings(tools=(("calc*", ApprovalMode.ALWAYS),))
    mine = ApprovalSettings(tools=(("shell", ApprovalMode.NEVER),))
    config = shell_config(
        tmp_path,
        step("", ("shell", APPEND), ("calculator", {"expression": "1+1"})),
        "done",
        approvals=mine,
        approvals_project=settings,
    )
    async with build_runtime(config) as runtime:
        task = asyncio.ensure_future(runtime.run_agent("ops", "check"))
        (approval,) = await pending(runtime)
        assert approval.tool == "calculator"  # shell ran without asking: `never` for ops
        assert ran(tmp_path) == ["ran"]
        await runtime.decide_approval(approval.id, "approve")
        assert (await task).ok


async def test_only_issued_ids_are_answered(tmp_path: Path) -> None:
    async with build_runtime(shell_config(tmp_path)) as runtime:
        task = asyncio.ensure_future(runtime.run_agent("ops", "check"))
        (approval,) = await pending(runtime)
        for wrong in ("nope", approval.id[:8], approval.id + "0"):
            with pytest.raises(ApprovalError) as unknown:
                await runtime.decide_approval(wrong, "approve")
            assert unknown.value.code == "not_found"
        with pytest.raises(ApprovalError) as bad:
            await runtime.decide_approval(approval.id, "yes")
        assert bad.value.code == "invalid"
        assert ran(tmp_path) == [] and not task.done()
        await runtime.decide_approval(approval.id, "deny")
        await task


async def test_an_answer_from_another_process_reaches_the_waiting_call(tmp_path: Path) -> None:
    async with build_runtime(shell_config(tmp_path)) as runtime:
        task = asyncio.ensure_future(runtime.run_agent("ops", "check"))
        (approval,) = await pending(runtime)
        state = open_state(runtime.state_dir)  # as `axo approvals approve` opens it
        try:
            state.decide_approval(approval.id[:10], "approve", exact=False)
        finally:
            state.close()
        assert (await asyncio.wait_for(task, 10)).ok
    assert ran(tmp_path) == ["ran"]


async def test_a_cancelled_run_leaves_no_approval_to_answer(tmp_path: Path) -> None:
    async with build_runtime(shell_config(tmp_path)) as runtime:
        task = asyncio.ensure_future(runtime.run_agent("ops", "check"))
        (approval,) = await pending(runtime)
        await runtime.cancel_run(approval.run_id or "")
        assert task.done()
        assert runtime.state.pending_approvals() == []
        with pytest.raises(ApprovalError) as gone:
            await runtime.decide_approval(approval.id, "approve")
    assert gone.value.code == "gone" and ran(tmp_path) == []
