"""write_file, edit_file and shell: confined to the project, bounded, no secrets."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.tools import ToolContext, ToolError, ToolRegistry
from axo_tui.core.tools import shell as shell_module
from axo_tui.core.tools.builtins import BUILTIN_TOOLS

ALL = [tool.name for tool in BUILTIN_TOOLS]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / ".env").write_text("FROM_DOTENV=sk-dotenv\n")
    (root / "notes.txt").write_text("alpha beta\nbeta gamma\n")
    (root / "state").mkdir()
    return root


async def call(project: Path, tool: str, arguments: dict[str, Any], **agent: Any) -> str:
    extras = {"agent": AgentConfig("a", **agent)}
    ctx = ToolContext("a", None, project, private_dirs=(project / "state",), extras=extras)
    registry = ToolRegistry(BUILTIN_TOOLS)
    try:
        return await registry.call(tool, arguments, ctx, allow_list=ALL)
    finally:
        registry.close()


async def refused(project: Path, tool: str, arguments: dict[str, Any], **agent: Any) -> str:
    with pytest.raises(ToolError) as caught:
        await call(project, tool, arguments, **agent)
    return str(caught.value)


def test_the_tools_that_act_need_approval_and_others_do_not() -> None:
    asking = {tool.name for tool in BUILTIN_TOOLS if tool.needs_approval}
    assert asking == {"write_file", "edit_file", "shell"}
    assert all(not tool.idempotent for tool in BUILTIN_TOOLS if tool.needs_approval)


async def test_write_file_writes_and_appends_inside_the_project(project: Path) -> None:
    assert await call(project, "write_file", {"path": "out/a.txt", "content": "one\n"}) == (
        "wrote 4 bytes to out/a.txt"
    )
    await call(project, "write_file", {"path": "out/a.txt", "content": "two\n", "append": True})
    assert (project / "out" / "a.txt").read_text() == "one\ntwo\n"


@pytest.mark.parametrize(
    "path", [".env", ".env.local", "../escape.txt", "state/axo.db", ".git/config", "/etc/x"]
)
async def test_write_file_refuses_secrets_state_and_the_outside(project: Path, path: str) -> None:
    message = await refused(project, "write_file", {"path": path, "content": "x"})
    assert "outside the project" in message or "refused" in message
    assert (project / ".env").read_text() == "FROM_DOTENV=sk-dotenv\n"
    assert not (project.parent / "escape.txt").exists()


async def test_write_file_does_not_follow_a_symlink_out(project: Path) -> None:
    (project / "link.txt").symlink_to(project.parent / "outside.txt")
    message = await refused(project, "write_file", {"path": "link.txt", "content": "x"})
    assert "outside the project" in message
    assert not (project.parent / "outside.txt").exists()


async def test_the_writes_list_narrows_where_an_agent_writes(project: Path) -> None:
    await call(project, "write_file", {"path": "drafts/a.md", "content": "x"}, writes=("drafts",))
    message = await refused(
        project, "write_file", {"path": "notes.txt", "content": "x"}, writes=("drafts",)
    )
    assert "not in the agent's `writes:` list (drafts)" in message
    assert "nothing" in await refused(
        project, "write_file", {"path": "a.txt", "content": "x"}, writes=()
    )


async def test_edit_file_replaces_exactly_one_occurrence(project: Path) -> None:
    result = await call(project, "edit_file", {"path": "notes.txt", "old": "alpha", "new": "A"})
    assert result == "edited notes.txt: 1 replacement"
    assert (project / "notes.txt").read_text() == "A beta\nbeta gamma\n"
    twice = await refused(project, "edit_file", {"path": "notes.txt", "old": "beta", "new": "B"})
    assert "occurs 2 times" in twice
    missing = await refused(project, "edit_file", {"path": "notes.txt", "old": "zeta", "new": ""})
    assert "does not occur" in missing
    every = {"path": "notes.txt", "old": "beta", "new": "B", "replace_all": True}
    assert await call(project, "edit_file", every) == "edited notes.txt: 2 replacements"
    assert (project / "notes.txt").read_text() == "A B\nB gamma\n"
    secret = await refused(project, "edit_file", {"path": ".env", "old": "sk", "new": "x"})
    assert "refused" in secret


async def test_shell_checks_the_disk_in_the_project_directory(project: Path) -> None:
    result = await call(project, "shell", {"command": "df -h . && pwd"})
    assert result.startswith("exit code 0\n") and "Filesystem" in result
    assert result.rstrip().endswith(os.path.realpath(project))
    argv = await call(project, "shell", {"argv": ["ls", "-a"]})
    assert "notes.txt" in argv


async def test_shell_gives_no_secrets_and_no_stdin(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPENAI_API_KEY", "GH_TOKEN", "DB_PASSWORD", "MY_SECRET", "FROM_DOTENV"):
        monkeypatch.setenv(name, "sk-leak")
    monkeypatch.setenv("HARMLESS", "visible")
    result = await call(project, "shell", {"command": "env; cat; echo stdin-closed"})
    assert "sk-leak" not in result and "HARMLESS=visible" in result
    assert result.rstrip().endswith("stdin-closed")


async def test_shell_reports_the_exit_code_and_caps_the_output(project: Path) -> None:
    failed = await call(project, "shell", {"command": "echo oops >&2; exit 3"})
    assert failed == "exit code 3\noops\n"
    big = await call(project, "shell", {"command": "head -c 200000 /dev/zero | tr '\\0' x"})
    kept = big.split("\n", 1)[1]
    assert kept.endswith(f"[output cut: showed {shell_module.MAX_OUTPUT_BYTES} of 200000 bytes]")


async def test_a_shell_command_past_its_timeout_is_killed_with_its_children(
    project: Path,
) -> None:
    quick = dataclasses.replace(shell_module.SHELL_TOOL, timeout_secs=0.5)
    ctx = ToolContext("a", None, project, extras={"agent": AgentConfig("a")})
    registry = ToolRegistry([quick])
    with pytest.raises(ToolError) as caught:
        await registry.call(
            "shell", {"command": "sleep 60 & echo $! > child.pid; wait"}, ctx, allow_list=["shell"]
        )
    registry.close()
    assert "timed out after 0.5s" in str(caught.value)
    child = int((project / "child.pid").read_text())
    # The whole group was killed, the backgrounded child too (it is reaped, or a zombie).
    for _ in range(500):
        if not _alive(child):
            break
        await asyncio.sleep(0.01)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


async def test_shell_arguments_are_checked(project: Path) -> None:
    assert "either 'command'" in await refused(project, "shell", {})
    assert "either 'command'" in await refused(project, "shell", {"command": "x", "argv": ["x"]})
    assert "non-empty list" in await refused(project, "shell", {"argv": []})
