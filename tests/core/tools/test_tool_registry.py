"""The registry: blocking tools run off the loop with a real timeout; results are bounded."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.tools import Tool, ToolContext, ToolError, ToolRegistry
from axo_tui.core.tools.registry import MAX_RESULT_CHARS, off_loop

SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


def context(tmp_path: Path) -> ToolContext:
    return ToolContext("a", None, tmp_path)


async def test_a_blocking_tool_leaves_the_event_loop_free(tmp_path: Path) -> None:
    released = threading.Event()

    def wait_for_the_loop(context: ToolContext, arguments: dict[str, Any]) -> str:
        # Only a coroutine on the loop can set the event: this deadlocks if the loop is held.
        return "released" if released.wait(timeout=60) else "the loop was blocked"

    registry = ToolRegistry([Tool("wait", "", SCHEMA, off_loop(wait_for_the_loop))])
    call = asyncio.ensure_future(registry.call("wait", {}, context(tmp_path), allow_list=["wait"]))
    await asyncio.sleep(0)
    released.set()
    assert await call == "released"


async def test_the_timeout_fires_while_blocking_work_goes_on(tmp_path: Path) -> None:
    never = threading.Event()

    def stuck(context: ToolContext, arguments: dict[str, Any]) -> str:
        never.wait(timeout=60)
        return "finished"

    registry = ToolRegistry([Tool("stuck", "", SCHEMA, off_loop(stuck), timeout_secs=0.05)])
    try:
        with pytest.raises(ToolError, match=r"timed out after 0\.05s"):
            await registry.call("stuck", {}, context(tmp_path), allow_list=["stuck"])
    finally:
        never.set()  # free the worker thread for the next test


async def test_a_huge_result_is_cut_with_a_note(tmp_path: Path) -> None:
    async def flood(context: ToolContext, arguments: dict[str, Any]) -> str:
        return "x" * (MAX_RESULT_CHARS * 3)

    registry = ToolRegistry([Tool("flood", "", SCHEMA, flood)])
    result = await registry.call("flood", {}, context(tmp_path), allow_list=["flood"])
    body, note = result.rsplit("\n", 1)
    assert body == "x" * MAX_RESULT_CHARS
    assert note == (
        f"[result cut: the tool returned {MAX_RESULT_CHARS * 3} characters; "
        f"only the first {MAX_RESULT_CHARS} are shown]"
    )


async def test_arguments_that_are_not_an_object_are_refused(tmp_path: Path) -> None:
    async def echo(context: ToolContext, arguments: dict[str, Any]) -> str:
        return str(arguments)

    registry = ToolRegistry([Tool("echo", "", {**SCHEMA, "required": ["path"]}, echo)])
    with pytest.raises(ToolError, match="must be a JSON object"):
        await registry.call("echo", "path", context(tmp_path), allow_list=["echo"])  # type: ignore[arg-type]
