"""WASM tools: a WASI module built from C, run with nothing but its grants, pinned by sha256,
its output capped, its calls under the tool registry's allow-list and approval flags."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import wasmtime

from axo_tui.core.config import load_config_text
from axo_tui.core.config.schema import DirGrant, WasmToolConfig
from axo_tui.core.tools.registry import ToolContext, ToolError, ToolRegistry
from axo_tui.core.wasm.tool import WasmToolRunner
from tests.support.wasm_guests import GuestBuilds, session_builds


@pytest.fixture(scope="session")
def guest_builds(tmp_path_factory: pytest.TempPathFactory) -> GuestBuilds:
    return session_builds(tmp_path_factory)


@pytest.fixture
def project(tmp_path: Path, guest_builds: GuestBuilds) -> Path:
    project = tmp_path / "project"
    (project / "tools").mkdir(parents=True)
    shutil.copy(guest_builds.tool("probe_tool"), project / "tools" / "probe.wasm")
    (project / "notes").mkdir()
    (project / "notes" / "todo.txt").write_text("buy milk\n", encoding="utf-8")
    (project / "out").mkdir()
    (project / "secret.txt").write_text("do not read\n", encoding="utf-8")
    return project


@pytest.fixture
def runner(project: Path) -> WasmToolRunner:
    return WasmToolRunner(project / ".axo", project)


def spec(**changes: object) -> WasmToolConfig:
    base = WasmToolConfig(name="probe", module="tools/probe.wasm", timeout_ms=2_000)
    return WasmToolConfig(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def approve(runner: WasmToolRunner, tool: WasmToolConfig) -> None:
    runner.pins.approve(tool.name, runner.current_sha256(tool))


def call(
    runner: WasmToolRunner,
    tool: WasmToolConfig,
    env: dict[str, str] | None = None,
    **arguments: object,
) -> str:
    return runner.run(tool, dict(arguments), env or {})


def test_an_unapproved_module_is_refused_until_approved(runner: WasmToolRunner) -> None:
    tool = spec()
    with pytest.raises(ToolError, match=r"not approved yet .*`axo tools approve probe`"):
        call(runner, tool, op="env", name="HOME")
    approve(runner, tool)
    assert call(runner, tool, op="env", name="HOME") == "(unset)"


def test_a_changed_module_is_refused_until_approved_again(
    runner: WasmToolRunner, project: Path
) -> None:
    tool = spec()
    approve(runner, tool)
    module = project / "tools" / "probe.wasm"
    # A custom section changes the file, not what it does: still a different module.
    module.write_bytes(module.read_bytes() + b"\x00\x05\x04note")
    with pytest.raises(ToolError, match=r"changed since it was approved .* refused"):
        call(runner, tool, op="env", name="X")
    approve(runner, tool)
    assert call(runner, tool, op="env", name="X") == "(unset)"
    fresh = WasmToolRunner(project / ".axo", project)  # the pin is on disk
    assert call(fresh, tool, op="env", name="X") == "(unset)"


def test_a_sha256_in_the_config_pins_the_module(runner: WasmToolRunner) -> None:
    digest = runner.current_sha256(spec())
    assert call(runner, spec(sha256=digest), op="env", name="X") == "(unset)"
    with pytest.raises(ToolError, match=r"update `sha256:` in axo\.yaml"):
        call(runner, spec(sha256="0" * 64), op="env", name="X")


def test_nothing_is_granted_by_default(runner: WasmToolRunner, project: Path) -> None:
    tool = spec()
    approve(runner, tool)
    for path in ("/notes/todo.txt", str(project / "secret.txt"), "secret.txt", "/etc/passwd"):
        with pytest.raises(ToolError, match="exited with status 2: cannot open"):
            call(runner, tool, op="read", path=path)
    with pytest.raises(ToolError, match="exited with status 4: cannot list"):
        call(runner, tool, op="ls", path="/")
    assert call(runner, tool, {"SECRET": "s3cret"}, op="env", name="SECRET") == "(unset)"


def test_granted_dirs_and_env(runner: WasmToolRunner, project: Path) -> None:
    tool = spec(
        dirs=(DirGrant("notes", "/notes"), DirGrant("out", "/out", writable=True)),
        env=("LANG",),
    )
    approve(runner, tool)
    assert call(runner, tool, op="read", path="/notes/todo.txt") == "buy milk\n"
    assert call(runner, tool, op="ls", path="/notes") == "todo.txt\n"
    with pytest.raises(ToolError, match="exited with status 3: cannot write /notes/x"):
        call(runner, tool, op="write", path="/notes/x", text="no")  # read-only
    assert not (project / "notes" / "x").exists()
    assert call(runner, tool, op="write", path="/out/x", text="yes") == "wrote /out/x"
    assert (project / "out" / "x").read_text(encoding="utf-8") == "yes"
    with pytest.raises(ToolError, match="cannot open"):  # no way out of a preopened dir
        call(runner, tool, op="read", path="/notes/../secret.txt")
    env = {"LANG": "C.UTF-8", "SECRET": "s3cret"}
    assert call(runner, tool, env, op="env", name="LANG") == "C.UTF-8"
    assert call(runner, tool, env, op="env", name="SECRET") == "(unset)"


def test_output_is_capped_and_the_cut_is_stated(runner: WasmToolRunner) -> None:
    tool = spec(max_output_chars=1000)
    approve(runner, tool)
    result = call(runner, tool, op="spam", count="50000")
    assert result.startswith("x" * 1000 + "\n[output cut:")
    assert result.endswith(
        "[output cut: the tool wrote 50000 bytes; only the first 1000 characters are shown]"
    )
    assert call(runner, tool, op="spam", count="1000") == "x" * 1000


def test_a_runaway_tool_ends_at_its_deadline_or_fuel(runner: WasmToolRunner) -> None:
    tool = spec(timeout_ms=200, fuel=10**15)
    approve(runner, tool)
    with pytest.raises(ToolError, match="deadline of 200 ms missed"):
        call(runner, tool, op="loop")
    fuel_bound = spec(fuel=1_000_000)
    with pytest.raises(ToolError, match=r"out of fuel \(limit 1000000\)"):
        call(runner, fuel_bound, op="loop")
    assert call(runner, tool, op="env", name="X") == "(unset)"  # the runner carries on


def test_a_tool_may_import_only_wasi(runner: WasmToolRunner, project: Path) -> None:
    wat = '(module (import "axo" "send" (func (param i32 i32) (result i32))) (func (export "_start")))'
    (project / "tools" / "probe.wasm").write_bytes(wasmtime.wat2wasm(wat))
    tool = spec()
    approve(runner, tool)
    with pytest.raises(ToolError, match=r"imports axo\.send: a tool may import only WASI"):
        call(runner, tool)


def test_the_registry_runs_it_off_the_loop_under_its_allow_list(
    runner: WasmToolRunner, project: Path
) -> None:
    reader = spec(dirs=(DirGrant("notes", "/notes"),))
    writer = spec(name="scribe", dirs=(DirGrant("out", "/out", writable=True),))
    for tool in (reader, writer):
        approve(runner, tool)
    assert runner.tool(reader).needs_approval is False  # reads only
    assert runner.tool(writer).needs_approval is True  # acts on the world: approvals apply
    registry = ToolRegistry([runner.tool(reader)])
    context = ToolContext(agent_id="a", run_id=None, project_dir=project)

    async def go() -> None:
        got = await registry.call(
            "probe", {"op": "read", "path": "/notes/todo.txt"}, context, allow_list=["probe"]
        )
        assert got == "buy milk\n"
        with pytest.raises(ToolError, match="not allowed for agent 'a'"):
            await registry.call("probe", {"op": "ls"}, context, allow_list=[])

    try:
        asyncio.run(go())
    finally:
        registry.close()


def test_the_config_declares_tools_with_grants(tmp_path: Path) -> None:
    text = """
tools:
  - name: probe
    wasm: tools/probe.wasm
    description: Reads notes.
    parameters: {type: object, properties: {path: {type: string}}, required: [path]}
    grants:
      dirs:
        - {path: notes}
        - {path: build/out, as: /out, mode: rw}
      env: [LANG]
    limits: {fuel: 5000, timeout_ms: 300}
    max_output_chars: 100
agents:
  - id: a
    provider: scripted
    tools: [probe]
"""
    config = load_config_text(text, tmp_path / "axo.yaml", environ={})
    (tool,) = config.tools
    assert tool.dirs == (DirGrant("notes", "/notes"), DirGrant("build/out", "/out", True))
    assert (tool.env, tool.fuel, tool.timeout_ms, tool.max_output_chars) == (
        ("LANG",),
        5000,
        300,
        100,
    )
    assert tool.parameters["required"] == ["path"]
    assert config.agents[0].tools == ("probe",)


def test_bad_tool_entries_are_reported_with_their_place(tmp_path: Path) -> None:
    from axo_tui.core.config import ConfigError

    text = """tools:
  - name: probe
    wasm: tools/probe.wasm
    sha256: abc
    grants:
      dirs:
        - {path: notes, mode: write}
  - name: shell
    wasm: x.wasm
"""
    with pytest.raises(ConfigError) as raised:
        load_config_text(text, tmp_path / "axo.yaml", environ={})
    report = str(raised.value)
    assert "axo.yaml:4:" in report and "`sha256` of tool `probe` must be 64" in report
    assert "axo.yaml:7:" in report and "must be `ro` or `rw`, found `write`" in report
    assert "axo.yaml:8:" in report and "would hide axo's own tool" in report
