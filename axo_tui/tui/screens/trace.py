"""The trace view (`t`): a run drawn as a tree, as `axo trace RUN` draws it: agents, their
model calls and tools, with durations, tokens, cost, approvals and signals.

The runs of the session are listed on the left, newest first; the highlighted one's tree is
read from the journal (`runtime.state.trace`, the very function the CLI uses) and read again
shortly after each of its events, so a running run's tree grows as it goes. Model and tool
text in the tree was neutralised by `trace_tree`; it is shown as plain text, never markup.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from axo_tui.core.base.terminal_text import neutralise
from axo_tui.core.events.catalog import Event
from axo_tui.core.telemetry.trace_tree import render_lines
from axo_tui.tui.bridge import RuntimeBridge
from axo_tui.tui.widgets.footer import QuietFocus, WorkbenchFooter

RECENT_RUNS = 100
REFRESH_SECS = 0.3
"""After a run's event, wait this long (more events come in bursts, the journal commits
them in batches) before reading its tree again."""
EMPTY = "No run yet: start one with r on the workbench, then come back with t."


def trace_text(lines: list[tuple[str, bool]]) -> Text:
    """The tree's lines as plain text (never parsed as markup), failed ones in red."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, (line, failed) in enumerate(lines):
        if index:
            text.append("\n")
        text.append(line, style="red" if failed else "")
    return text


class TraceScreen(QuietFocus, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "back"),
        Binding("r", "refresh", "refresh"),
        Binding("tab", "switch_panel", "runs / tree"),
    ]

    def __init__(self, bridge: RuntimeBridge, run_id: str | None = None) -> None:
        super().__init__(id="trace")
        self.bridge = bridge
        self.run_id = run_id
        self._runs: list[str] = []
        self._listed: list[tuple[str, str]] = []
        """(run id, status) as the list shows them: redrawn only when they change."""
        self._pending: Timer | None = None
        self.lines: list[str] = []
        """The tree's lines as last drawn."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="trace-body"):
            yield OptionList(id="trace-runs")
            with VerticalScroll(id="trace-panel"):
                yield Static(EMPTY, id="trace-tree")
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self.query_one("#trace-runs").border_title = "Runs"
        self.query_one("#trace-panel").border_title = "Trace"
        self._list_runs()
        self.show_run(self.run_id)
        self.bridge.events.subscribe(self, self._on_events)
        self.query_one("#trace-runs", OptionList).focus()

    def on_screen_resume(self) -> None:
        self._list_runs()
        self.action_refresh()

    # --------------------------------------------------------------------- runs
    def _list_runs(self) -> None:
        runs = list(self.bridge.model.runs.values())[-RECENT_RUNS:][::-1]
        listed = [(run.run_id, run.status) for run in runs]
        if listed == self._listed:
            return
        self._listed = listed
        self._runs = [run_id for run_id, _ in listed]
        options = self.query_one("#trace-runs", OptionList)
        options.clear_options()
        options.add_options(
            [
                Option(
                    Text(f"{run.label} {run.kind} {neutralise(run.target)} ({run.status})"),
                    id=run.run_id,
                )
                for run in runs
            ]
        )
        self._highlight()

    def _highlight(self) -> None:
        options = self.query_one("#trace-runs", OptionList)
        try:
            options.highlighted = options.get_option_index(self.run_id or "")
        except OptionDoesNotExist:
            options.highlighted = 0 if self._runs else None

    def show_run(self, run_id: str | None) -> None:
        """Draw `run_id`'s tree (None: the newest run of the session)."""
        self._list_runs()
        self.run_id = run_id or (self._runs[0] if self._runs else None)
        self._highlight()
        self.action_refresh()

    def on_option_list_option_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        run_id = message.option.id
        if run_id is not None and run_id != self.run_id:
            self.run_id = run_id
            self.action_refresh()

    # ------------------------------------------------------------------ drawing
    def action_refresh(self) -> None:
        tree = self.bridge.runtime.state.trace(self.run_id) if self.run_id else None
        panel = self.query_one("#trace-panel")
        shown = self.query_one("#trace-tree", Static)
        if tree is None:
            self.lines = []
            shown.update(EMPTY if not self._runs else "This run has no recorded events yet.")
            panel.border_title = "Trace"
            return
        drawn = render_lines(tree)
        self.lines = [text for text, _node in drawn]
        shown.update(trace_text([(text, node.failed) for text, node in drawn]))
        panel.border_title = f"Trace · run {self.bridge.model.run_label(self.run_id)}"

    def _on_events(self, events: list[Event]) -> None:
        if any(event.kind == "run.started" for event in events):
            self._list_runs()
        if any(event.run_id == self.run_id for event in events) and self._pending is None:
            self._pending = self.set_timer(REFRESH_SECS, self._refresh_later)

    def _refresh_later(self) -> None:
        self._pending = None
        self._list_runs()  # a status changed
        self.action_refresh()

    def action_switch_panel(self) -> None:
        runs = self.query_one("#trace-runs", OptionList)
        (self.query_one("#trace-panel") if runs.has_focus else runs).focus()
