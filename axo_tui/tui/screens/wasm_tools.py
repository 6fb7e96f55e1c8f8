"""The WASM tools view: each `tools:` entry with `wasm:`, what it is granted and whether its
module is the approved one (the same data as `axo tools list`), read again on every visit."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static

from axo_tui.core.wasm.tool_status import WasmToolStatus
from axo_tui.tui.bridge import RuntimeBridge
from axo_tui.tui.widgets.footer import QuietFocus, WorkbenchFooter

STATUS_STYLES = {
    "approved": "green",
    "unapproved": "yellow",
    "changed": "bold red",
    "missing": "red",
}
"""`changed` and `unapproved` modules are refused until `axo tools approve NAME`."""
COLUMNS = ("tool", "pin", "sha256", "module", "grants")
NONE_DECLARED = "No WASM tools: declare them under `tools:` with `wasm:` in axo.yaml."
APPROVE_HINT = "A tool that is not approved is refused: `axo tools approve NAME` records it."


def status_cell(tool: WasmToolStatus) -> Text:
    return Text(tool.status, style=STATUS_STYLES.get(tool.status, ""))


class WasmToolsScreen(QuietFocus, Screen[None]):
    DEFAULT_CSS = """
    #wasm-tools { height: 1fr; border: round $primary; }
    #wasm-tools-note { padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "back"),
        Binding("r", "reload", "refresh"),
    ]

    def __init__(self, bridge: RuntimeBridge) -> None:
        super().__init__(id="wasm-tools-screen")
        self.bridge = bridge
        self.tools: list[WasmToolStatus] = []

    def compose(self) -> ComposeResult:
        yield DataTable(id="wasm-tools", cursor_type="row", zebra_stripes=True)
        yield Static(id="wasm-tools-note")
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.border_title = "WASM tools: grants and pins"
        for column in COLUMNS:
            table.add_column(column, key=column)
        self.action_reload()
        table.focus()

    def on_screen_resume(self) -> None:
        self.action_reload()  # an `axo tools approve` meanwhile shows on the next visit

    def action_reload(self) -> None:
        runtime = self.bridge.runtime
        config = runtime.config
        self.tools = runtime.state.wasm_tools(config.tools, config.project_dir)
        table = self.query_one(DataTable)
        table.clear()
        for tool in self.tools:
            digest = (tool.sha256 or "-")[:12]
            table.add_row(
                tool.name, status_cell(tool), digest, tool.module, tool.grants_line(), key=tool.name
            )
        note = NONE_DECLARED if not self.tools else APPROVE_HINT
        self.query_one("#wasm-tools-note", Static).update(note)
