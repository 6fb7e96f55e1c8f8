"""`provider: a2a`: axo's client calls peers built with the a2a-sdk over 127.0.0.1. A remote
agent streams when its card says so, feeds its dependents, reports usage to the ledger,
continues a task that asked for input, and fails clearly (and retries what is transient)."""

from __future__ import annotations

from pathlib import Path

from axo_tui.core.config.schema import (
    A2ASettings,
    UpstreamFailurePolicy,
    WorkflowConfig,
)
from axo_tui.core.events.catalog import TokenStreamed
from axo_tui.core.runtime.build import build_runtime
from tests.support.a2a_peers import sdk_peers
from tests.support.builders import agent, make_config

FAST = A2ASettings(max_retries=0, timeout_secs=10, deadline_secs=30)


def remote(agent_id: str, url: str, *deps: str, **fields: object) -> object:
    fields.setdefault("a2a", FAST)
    return agent(agent_id, *deps, provider="a2a", url=url, **fields)


async def test_a_remote_agent_streams_feeds_its_dependents_and_reports_usage(
    tmp_path: Path,
) -> None:
    async with sdk_peers() as peers:
        config = make_config(
            tmp_path,
            [
                remote("peer", peers.url("echo"), a2a=A2ASettings(headers=(("X-Team", "axo"),))),
                agent("writer", "peer"),
            ],
            workflows=[WorkflowConfig(id="flow", agents=("peer", "writer"))],
        )
        streamed: list[str] = []
        async with build_runtime(config, data_dir=tmp_path / "data") as runtime:
            stop = runtime.watch(
                lambda e: (
                    streamed.append(e.text)
                    if isinstance(e, TokenStreamed) and e.agent_id == "peer"
                    else None
                )
            )
            result = await runtime.run_workflow("flow", "hello world")
            stop()
            usage = runtime.state.usage(group_by="agent")
    assert result.ok, result.errors
    assert result.outputs["peer"] == "echo: hello world"
    assert streamed == ["echo:", " hello", " world"]  # chunk by chunk, as the peer sent them
    assert "[peer]\necho: hello world" in result.outputs["writer"]  # its output reached writer
    row = next(r for r in usage.rows if r.key == "peer")
    assert (row.prompt_tokens, row.completion_tokens) == (7, 3)
    assert peers.executor.headers[0]["x-team"] == "axo"


async def test_a_non_streaming_peer_and_an_input_required_task_continued(tmp_path: Path) -> None:
    async with sdk_peers() as peers:
        config = make_config(
            tmp_path, [remote("plain", peers.url("plain")), remote("echo", peers.url("echo"))]
        )
        async with build_runtime(config, data_dir=tmp_path / "data") as runtime:
            once = await runtime.run_agent("plain", "no stream")
            asked = await runtime.run_agent("echo", "ask", session_id="chat:echo:one")
            answered = await runtime.run_agent("echo", "the red one", session_id="chat:echo:one")
    assert once.ok and once.output == "echo: no stream"
    assert asked.ok and asked.output == "which one?"
    assert answered.ok and answered.output == "echo: the red one"
    (_, first_task, first_context), (_, second_task, second_context) = peers.executor.seen[1:]
    assert second_task == first_task and second_context == first_context


async def test_bad_peers_fail_clearly_and_dependents_follow_on_upstream_failure(
    tmp_path: Path,
) -> None:
    async with sdk_peers() as peers:
        config = make_config(
            tmp_path,
            [
                remote("broken", peers.url("broken")),
                remote("future", peers.url("future")),
                remote("cut", peers.url("cut")),
                remote("failing", peers.url("echo")),
                agent("skipped", "failing"),
                agent("runs_anyway", "failing", on_upstream_failure=UpstreamFailurePolicy.RUN),
            ],
            workflows=[WorkflowConfig(id="flow", agents=("failing", "skipped", "runs_anyway"))],
        )
        async with build_runtime(config, data_dir=tmp_path / "data") as runtime:
            broken = await runtime.run_agent("broken", "hi")
            future = await runtime.run_agent("future", "hi")
            cut = await runtime.run_agent("cut", "hi")
            flow = await runtime.run_workflow("flow", "fail")
    url = peers.url("broken")
    assert "remote agent 'broken' at " + url in broken.errors["broken"]
    assert "agent card" in broken.errors["broken"]
    assert "speaks no A2A version" in future.errors["future"] and "2.0" in future.errors["future"]
    assert "still working" in cut.errors["cut"] or "stream" in cut.errors["cut"]
    assert "failed: it broke" in flow.errors["failing"]
    assert flow.skipped == ("skipped",) and "runs_anyway" in flow.outputs


async def test_transient_failures_are_retried(tmp_path: Path) -> None:
    async with sdk_peers(failures=2) as peers:
        retrying = A2ASettings(max_retries=2, timeout_secs=10)
        config = make_config(tmp_path, [remote("flaky", peers.url("flaky"), a2a=retrying)])
        async with build_runtime(config, data_dir=tmp_path / "data") as runtime:
            result = await runtime.run_agent("flaky", "again")
    assert result.ok and result.output == "echo: again"
    assert peers.failures_left == 0
