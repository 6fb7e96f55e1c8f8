"""A remote A2A agent (`provider: a2a`) takes part in skills and in coordinator auctions like
any agent: a skill's prompt and the emitter's output reach it, its output feeds the skills
that react to it, and as a `role: worker` it bids, wins its subtask and does it. The peer is
an a2a-sdk server on 127.0.0.1 (tests/support/a2a_peers.py); the config is read from YAML."""

from __future__ import annotations

import json
from pathlib import Path

from axo_tui.core.config import load_config
from axo_tui.core.runtime.build import build_runtime
from tests.support.a2a_peers import sdk_peers

REMOTE = "    provider: a2a\n    url: {url}\n    a2a: {{max_retries: 0, timeout_secs: 10}}\n"
METHODS = """\
- task_pattern: "research {topic}"
  subtasks:
    - {name: "read up on {topic}", parameters: {tools: [read_file]}, task_type: Primitive}
    - {name: "tally {topic}", parameters: {tools: [calculator]}, task_type: Primitive}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "axo.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_a_remote_agent_in_a_skill_cascade(tmp_path: Path) -> None:
    async with sdk_peers() as peers:
        path = write(
            tmp_path,
            "agents:\n"
            "  - {id: dev, provider: scripted}\n"
            "  - id: reviewer\n" + REMOTE.format(url=peers.url("echo")) + ""
            "  - {id: writer, provider: scripted}\n"
            "skills:\n"
            "  - {id: code, emits: [CodeReady], agents: [dev]}\n"
            "  - id: review\n"
            "    reacts_to: [CodeReady]\n"
            "    emits: [ReviewComplete]\n"
            "    agents: [reviewer]\n"
            "    prompt: Review this code.\n"
            "  - {id: notes, reacts_to: [ReviewComplete], agents: [writer]}\n"
            "providers:\n"
            "  scripted:\n"
            "    kind: scripted\n"
            "    replies:\n"
            "      dev: ['def f(): pass']\n"
            "      writer: ['Notes on: {input}']\n",
        )
        async with build_runtime(load_config(path), data_dir=tmp_path / "data") as runtime:
            result = await runtime.fire_skill("code", "add f")
            activated = [
                (e.agent_id, e.fields.get("trigger"))
                for e in runtime.state.events(run_id=result.run_id, limit=1000)
                if e.kind == "agent.activated"
            ]
    assert result.status == "completed", result.errors
    assert activated == [
        ("dev", "skill:code"),
        ("reviewer", "skill:review"),
        ("writer", "skill:notes"),
    ]
    ((sent, _, _),) = peers.executor.seen  # the skill's prompt and dev's output, in one message
    assert "Review this code." in sent and "def f(): pass" in sent
    assert result.outputs["reviewer"] == f"echo: {sent}"
    assert result.outputs["writer"].startswith("Notes on: echo: ")  # its output went on


async def test_a_remote_worker_bids_wins_and_does_its_subtask(tmp_path: Path) -> None:
    (tmp_path / "methods.yaml").write_text(METHODS, encoding="utf-8")
    async with sdk_peers() as peers:
        path = write(
            tmp_path,
            "agents:\n"
            "  - {id: lead, provider: scripted, role: coordinator}\n"
            "  - id: reader\n"
            "    role: worker\n"
            "    tools: [read_file]\n" + REMOTE.format(url=peers.url("echo")) + ""
            "  - {id: counter, provider: scripted, role: worker, tools: [calculator]}\n"
            "workflows:\n"
            "  - id: team\n"
            "    agents: [lead, reader, counter]\n"
            "    entry_point: lead\n"
            "    htn_methods_file: methods.yaml\n"
            "providers:\n"
            "  scripted:\n"
            "    kind: scripted\n"
            "    replies:\n"
            "      lead: ['The tides report.']\n"
            "      counter: ['42 tides']\n",
        )
        async with build_runtime(load_config(path), data_dir=tmp_path / "data") as runtime:
            result = await runtime.run_workflow("team", "research tides")
            auctions = [
                json.loads(str(e.fields["outcome"]))
                for e in runtime.state.events(run_id=result.run_id, limit=10_000)
                if e.kind == "coordinator.auction"
            ]
    assert result.kind == "coordinator" and result.status == "completed", result.errors
    assert [a["winner"] for a in auctions] == ["reader", "counter"]
    assert {b["bidder"] for b in auctions[0]["bids"]} == {"reader"}
    assert auctions[0]["refusals"] == [
        {"bidder": "counter", "reason": "lacks the tools: read_file"}
    ]
    ((sent, _, _),) = peers.executor.seen
    assert "read up on tides" in sent
    assert result.outputs["s1"] == f"echo: {sent}"
    assert result.outputs["s2"] == "42 tides"
    assert result.output == "The tides report."
