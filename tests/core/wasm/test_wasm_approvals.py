"""Approvals apply to WASM tools like any other tool: a call of a WASM tool that needs approval
(a read-write grant, or an `approvals:` rule naming it) waits until a human decides. Approved,
the module runs once and the model reads its result; denied or timed out (fail closed), the
model reads a refusal and the module never runs. The same holds for a WASM agent calling it
through the ABI's `tool` import. The model is a fake OpenAI server on 127.0.0.1; the tool is
a C module (tests/support/wasm_tools/tally_tool.c) that appends a line to a file in its
granted directory, so the file counts the runs."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.base.enums import RunStatus
from axo_tui.core.config.schema import (
    AgentKind,
    ApprovalMode,
    ApprovalSettings,
    Config,
    DirGrant,
    ProviderConfig,
    ProviderKind,
    WasmSettings,
    WasmToolConfig,
    WorkflowConfig,
)
from axo_tui.core.runtime.approvals import ApprovalError
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.core.store.approvals import ApprovalRecord
from axo_tui.core.wasm.abi import Err
from axo_tui.core.wasm.module_cache import sha256
from tests.support.builders import agent, make_config, until
from tests.support.model_server import ModelServer
from tests.support.tool_model import OneToolModel
from tests.support.wasm_callers import ask_guest, tool_asker
from tests.support.wasm_guests import GuestBuilds, session_builds

LINE = {"line": "hello"}


@pytest.fixture(scope="session")
def guest_builds(tmp_path_factory: pytest.TempPathFactory) -> GuestBuilds:
    return session_builds(tmp_path_factory)


@pytest.fixture
async def server() -> AsyncIterator[ModelServer]:
    async with ModelServer() as fake:
        yield fake


@pytest.fixture
def project(tmp_path: Path, guest_builds: GuestBuilds) -> Path:
    (tmp_path / "tools").mkdir()
    shutil.copy(guest_builds.tool("tally_tool"), tmp_path / "tools" / "tally.wasm")
    (tmp_path / "out").mkdir()
    (tmp_path / "notes").mkdir()
    return tmp_path


def tally(project: Path, *, writable: bool = True, name: str = "tally") -> WasmToolConfig:
    """The tally tool, pinned; `writable: False` grants its directory read-only."""
    module = project / "tools" / "tally.wasm"
    return WasmToolConfig(
        name=name,
        module="tools/tally.wasm",
        description="Appends a line to the tally.",
        parameters={"type": "object", "properties": {"line": {"type": "string"}}},
        dirs=(DirGrant("out", "/out", writable=writable),),
        sha256=sha256(module.read_bytes()),
    )


def runs(project: Path) -> list[str]:
    """The lines the tool appended: one per run."""
    log = project / "out" / "tally.log"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def config(project: Path, server: ModelServer, tool: WasmToolConfig, **fields: Any) -> Config:
    approvals = fields.pop("approvals_project", ApprovalSettings())
    fake = ProviderConfig(
        name="fake", kind=ProviderKind.OPENAI, base_url=server.url, model="m-1", max_retries=0
    )
    fields.setdefault("provider", "fake")
    fields.setdefault("tools", (tool.name,))
    return make_config(
        project,
        [agent(fields.pop("agent_id", "ops"), **fields)],
        providers=[fake],
        tools=(tool,),
        approvals=approvals,
    )


async def pending(runtime: Runtime) -> ApprovalRecord:
    await until(lambda: bool(runtime.state.pending_approvals()), timeout=15)
    (record,) = runtime.state.pending_approvals()
    return record


# ---------------------------------------------------------------- an LLM agent's tool call


async def test_an_approved_call_runs_the_module_once_and_the_model_reads_its_result(
    project: Path, server: ModelServer
) -> None:
    model = OneToolModel(server, "tally", LINE)
    async with build_runtime(config(project, server, tally(project))) as runtime:
        events = runtime.subscribe(kinds=["approval.requested", "approval.decided", "tool.result"])
        task = asyncio.ensure_future(runtime.run_agent("ops", "count it"))
        approval = await pending(runtime)
        await asyncio.sleep(0.1)  # time to run, were it not waiting
        assert not task.done() and runs(project) == []
        assert (approval.agent_id, approval.tool, approval.arguments) == ("ops", "tally", LINE)
        await runtime.decide_approval(approval.id, "approve")
        result = await asyncio.wait_for(task, 30)
        kinds = [e.to_dict()["kind"] for e in events.drain()]
    assert result.ok, result.errors
    assert runs(project) == ["hello"]  # ran, and once
    assert model.tool_results() == ["tally: 1 line"]
    assert result.output == "saw: tally: 1 line"
    assert kinds == ["approval.requested", "approval.decided", "tool.result"]


async def test_a_denied_call_never_runs_the_module_and_the_model_is_told(
    project: Path, server: ModelServer
) -> None:
    model = OneToolModel(server, "tally", LINE)
    async with build_runtime(config(project, server, tally(project))) as runtime:
        task = asyncio.ensure_future(runtime.run_agent("ops", "count it"))
        approval = await pending(runtime)
        await runtime.decide_approval(approval.id, "deny")
        result = await asyncio.wait_for(task, 30)
    assert result.ok, result.errors
    assert runs(project) == []
    (told,) = model.tool_results()
    assert told.startswith("denied: the call of 'tally' was not run: a human denied it")


async def test_no_answer_before_the_timeout_is_a_denial(project: Path, server: ModelServer) -> None:
    model = OneToolModel(server, "tally", LINE)
    settings = ApprovalSettings(timeout_secs=0.3)
    async with build_runtime(
        config(project, server, tally(project), approvals_project=settings)
    ) as runtime:
        result = await asyncio.wait_for(runtime.run_agent("ops", "count it"), 30)
        (record,) = runtime.state.recent_approvals()
    assert result.ok, result.errors
    assert runs(project) == []
    assert (record.status, record.decided_by) == ("denied", "timeout")
    (told,) = model.tool_results()
    assert "no one approved it within 0.3s (approvals fail closed)" in told


async def test_an_always_rule_makes_a_read_only_wasm_tool_ask(
    project: Path, server: ModelServer
) -> None:
    # Read-only grants ask nobody by default; an `always` rule (a glob here) makes them ask.
    OneToolModel(server, "reader", LINE)
    reader = tally(project, writable=False, name="reader")
    rule = ApprovalSettings(tools=(("read*", ApprovalMode.ALWAYS),))
    async with build_runtime(config(project, server, reader, approvals=rule)) as runtime:
        task = asyncio.ensure_future(runtime.run_agent("ops", "count it"))
        approval = await pending(runtime)
        await asyncio.sleep(0.1)
        assert approval.tool == "reader" and not task.done()
        await runtime.decide_approval(approval.id, "approve")
        result = await asyncio.wait_for(task, 30)
    # It ran once approved: its read-only grant refused the write, and the model was told.
    assert result.ok, result.errors
    assert result.output.startswith(
        "saw: error: WASM tool 'reader' exited with status 2: cannot open /out/tally.log"
    )
    assert runs(project) == []


async def test_a_never_rule_lets_a_read_write_wasm_tool_run_at_once(
    project: Path, server: ModelServer
) -> None:
    model = OneToolModel(server, "tally", LINE)
    rule = ApprovalSettings(tools=(("tally", ApprovalMode.NEVER),))
    async with build_runtime(
        config(project, server, tally(project), approvals_project=rule)
    ) as runtime:
        result = await asyncio.wait_for(runtime.run_agent("ops", "count it"), 30)
        assert runtime.state.recent_approvals() == []
    assert result.ok, result.errors
    assert runs(project) == ["hello"]
    assert model.tool_results() == ["tally: 1 line"]


# ---------------------------------------------------------------- a WASM agent's `tool` import


def wasm_agent_config(
    project: Path, server: ModelServer, *, receiver: str = "user", **fields: Any
) -> Config:
    (project / "asker.wasm").write_bytes(tool_asker("tally", LINE, receiver=receiver))
    return config(
        project,
        server,
        tally(project),
        agent_id="asker",
        kind=AgentKind.WASM,
        wasm=WasmSettings(module="asker.wasm"),
        **fields,
    )


@pytest.mark.parametrize("decision", ["approve", "deny"])
async def test_a_wasm_agent_calling_the_tool_waits_for_the_decision(
    project: Path, server: ModelServer, decision: str
) -> None:
    async with build_runtime(wasm_agent_config(project, server)) as runtime:
        asking = asyncio.ensure_future(ask_guest(runtime, "asker"))
        approval = await pending(runtime)
        await asyncio.sleep(0.1)
        assert not asking.done() and runs(project) == []
        assert (approval.agent_id, approval.tool, approval.arguments) == ("asker", "tally", LINE)
        await runtime.decide_approval(approval.id, decision)
        got = await asyncio.wait_for(asking, 30)
    if decision == "approve":
        assert got == {"rc": len("tally: 1 line"), "out": "tally: 1 line", "err": None}
        assert runs(project) == ["hello"]
    else:
        assert got["rc"] == Err.DENIED and got["out"] is None
        assert got["err"].startswith("denied: the call of 'tally' was not run: a human denied it")
        assert runs(project) == []


async def test_a_wasm_agents_call_fails_closed_on_timeout(
    project: Path, server: ModelServer
) -> None:
    settings = ApprovalSettings(timeout_secs=0.3)
    async with build_runtime(wasm_agent_config(project, server, approvals=settings)) as runtime:
        got = await asyncio.wait_for(ask_guest(runtime, "asker"), 30)
    assert got["rc"] == Err.DENIED
    assert "no one approved it within 0.3s (approvals fail closed)" in got["err"]
    assert runs(project) == []


async def test_a_wasm_step_of_a_run_asks_within_its_run(project: Path, server: ModelServer) -> None:
    # As a workflow step, the guest's call is the run's: its approval names the run (so
    # cancelling the run withdraws it), and its events are in the run's journal.
    base = wasm_agent_config(project, server, receiver="workflow")
    flow = WorkflowConfig(id="flow", agents=("asker",))
    async with build_runtime(dataclasses.replace(base, workflows=(flow,))) as runtime:
        task = asyncio.ensure_future(runtime.run_workflow("flow", "go"))
        approval = await pending(runtime)
        assert approval.run_id is not None and approval.agent_id == "asker"
        await runtime.decide_approval(approval.id, "approve")
        result = await asyncio.wait_for(task, 30)
        kinds = [e.kind for e in runtime.state.events(run_id=result.run_id, limit=1000)]
    assert result.status is RunStatus.COMPLETED, result.errors
    assert approval.run_id == result.run_id
    assert result.output == "done" and runs(project) == ["hello"]
    for kind in ("approval.requested", "approval.decided", "tool.called", "tool.result"):
        assert kind in kinds


async def test_cancelling_the_run_withdraws_the_wasm_steps_approval(
    project: Path, server: ModelServer
) -> None:
    # The guest's call waits outside the run's task: the run's end must still end the wait
    # (denied, fail closed), or the agent would be stuck until the approval timed out.
    base = wasm_agent_config(project, server, receiver="workflow")
    flow = WorkflowConfig(id="flow", agents=("asker",))
    async with build_runtime(dataclasses.replace(base, workflows=(flow,))) as runtime:
        task = asyncio.ensure_future(runtime.run_workflow("flow", "go"))
        approval = await pending(runtime)
        await runtime.cancel_run(approval.run_id or "")
        assert task.done() and runtime.state.pending_approvals() == []
        with pytest.raises(ApprovalError) as gone:
            await runtime.decide_approval(approval.id, "approve")
        assert runtime.messaging is not None
        kv = runtime.messaging.host.kv
        await until(lambda: kv.get("asker", b"err") is not None, timeout=5)
        err = (kv.get("asker", b"err") or b"").decode()
        record = runtime.state.approval(approval.id)
    assert gone.value.code == "gone"
    assert record is not None and (record.status, record.decided_by) == ("denied", "run-ended")
    assert err.startswith("denied: the call of 'tally' was not run: its run ended")
    assert runs(project) == []
