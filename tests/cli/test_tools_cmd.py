"""`axo tools list|approve`, and a scripted agent calling a WASM tool in `axo run`: refused
before approval, its result in the run after, refused again once the module changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.cli import Invoke
from tests.support.wasm_guests import GuestBuilds, session_builds

PROJECT = """
agents:
  - id: reader
    provider: scripted
    tools: [notes]
tools:
  - name: notes
    wasm: tools/probe.wasm
    description: Reads the notes folder.
    grants:
      dirs: [{path: notes}, {path: out, as: /out, mode: rw}]
      env: [LANG]
approvals:
  tools: {notes: never}  # it may write to out/: without this, each call waits for a human
providers:
  scripted:
    replies:
      reader:
        - tool_calls: [{name: notes, arguments: {op: read, path: /notes/todo.txt}}]
        - done
"""


@pytest.fixture(scope="session")
def guest_builds(tmp_path_factory: pytest.TempPathFactory) -> GuestBuilds:
    return session_builds(tmp_path_factory)


@pytest.fixture
def project(in_tmp: Path, guest_builds: GuestBuilds) -> Path:
    (in_tmp / "axo.yaml").write_text(PROJECT, encoding="utf-8")
    (in_tmp / "tools").mkdir()
    shutil.copy(guest_builds.tool("probe_tool"), in_tmp / "tools" / "probe.wasm")
    (in_tmp / "notes").mkdir()
    (in_tmp / "notes" / "todo.txt").write_text("buy milk", encoding="utf-8")
    (in_tmp / "out").mkdir()
    return in_tmp


def listed(invoke: Invoke) -> dict[str, object]:
    result = invoke("tools", "list", "--json")
    assert result.exit_code == 0, result.output
    (tool,) = json.loads(result.stdout)["tools"]
    return tool  # type: ignore[no-any-return]


def tool_result(invoke: Invoke) -> str:
    """Run the reader once; the result its WASM tool call gave (from the journal's events)."""
    ran = invoke("run", "reader", "-i", "go", "--json")
    assert ran.exit_code == 0, ran.output
    run_id = json.loads(ran.stdout)["run_id"]
    events = [json.loads(line) for line in invoke("events", "--json").stdout.splitlines()]
    (result,) = [e for e in events if e["kind"] == "tool.result" and e["run_id"] == run_id]
    return str(result["result"])


def test_list_shows_grants_and_approve_pins_the_module(invoke: Invoke, project: Path) -> None:
    tool = listed(invoke)
    assert tool["status"] == "unapproved"
    assert tool["grants"] == {
        "dirs": [
            {"path": "notes", "as": "/notes", "mode": "ro"},
            {"path": "out", "as": "/out", "mode": "rw"},
        ],
        "env": ["LANG"],
    }
    plain = invoke("tools", "list").stdout
    assert "notes  tools/probe.wasm  unapproved" in plain
    assert "grants: notes→/notes ro, out→/out rw; env LANG" in plain

    approved = invoke("tools", "approve", "notes")
    assert approved.exit_code == 0, approved.output
    assert listed(invoke)["status"] == "approved"
    module = project / "tools" / "probe.wasm"
    module.write_bytes(module.read_bytes() + b"\x00\x05\x04note")
    assert listed(invoke)["status"] == "changed"

    unknown = invoke("tools", "approve", "nope")
    assert unknown.exit_code == 1
    assert "no WASM tool `nope` in axo.yaml" in unknown.stderr


def test_an_agent_calls_the_tool_once_it_is_approved(invoke: Invoke, project: Path) -> None:
    assert "not approved yet" in tool_result(invoke)
    assert invoke("tools", "approve", "notes").exit_code == 0
    assert tool_result(invoke) == "buy milk"
    module = project / "tools" / "probe.wasm"
    module.write_bytes(module.read_bytes() + b"\x00\x05\x04note")
    assert "changed since it was approved" in tool_result(invoke)
