"""The workbench's WASM tools view (`w`): each WASM tool with its grants and its pin status,
the same as `axo tools list`, read again when asked (`r`) or on the next visit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import wasmtime
from textual.widgets import DataTable

from axo_tui.core.wasm.module_cache import sha256
from axo_tui.core.wasm.tool_pins import ToolPins
from axo_tui.tui.app import AxoApp
from axo_tui.tui.screens.wasm_tools import WasmToolsScreen

PROJECT = """\
tools:
  - name: reader
    wasm: tools/reader.wasm
    grants:
      dirs:
        - {path: notes}
        - {path: build/out, as: /out, mode: rw}
      env: [LANG]
  - name: writer
    wasm: tools/writer.wasm
agents:
  - id: a
    provider: team
    tools: [reader, writer]
providers:
  team:
    kind: scripted
    replies:
      a: ["ok"]
"""


def rows(screen: WasmToolsScreen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_view_lists_each_tool_with_its_grants_and_pin(
    make_app: Callable[..., AxoApp], tmp_path: Path
) -> None:
    project = tmp_path / "tools"
    (project / "tools").mkdir(parents=True)
    reader = project / "tools" / "reader.wasm"
    reader.write_bytes(bytes(wasmtime.wat2wasm('(module (func (export "_start")))')))
    (project / "tools" / "writer.wasm").write_bytes(bytes(wasmtime.wat2wasm("(module)")))
    (project / "axo.yaml").write_text(PROJECT, encoding="utf-8")
    ToolPins(project / ".axo" / "wasm" / "tool_pins.json").approve(
        "reader", sha256(reader.read_bytes())
    )
    app = make_app(project / "axo.yaml")
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WasmToolsScreen)
        digest = sha256(reader.read_bytes())[:12]
        assert rows(screen) == [
            [
                "reader",
                "approved",
                digest,
                "tools/reader.wasm",
                "notes→/notes ro, build/out→/out rw; env LANG",
            ],
            ["writer", "unapproved", rows(screen)[1][2], "tools/writer.wasm", "nothing"],
        ]

        reader.write_bytes(bytes(wasmtime.wat2wasm("(module (memory 1))")))  # swapped
        await pilot.press("r")
        await pilot.pause()
        assert rows(screen)[0][:3] == ["reader", "changed", sha256(reader.read_bytes())[:12]]

        (project / "tools" / "writer.wasm").unlink()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, WasmToolsScreen)
        await pilot.press("w")  # a new visit reads the files again
        await pilot.pause()
        assert rows(screen)[1][:3] == ["writer", "missing", "-"]
