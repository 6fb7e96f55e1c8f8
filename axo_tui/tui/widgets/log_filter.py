"""Pick which agent and which run the log shows (`f` on the main screen).

A panel on the main screen's overlay layer, not a screen of its own. Pushing a modal screen
and popping it costs two whole-screen frames (the dialog over a dimmed copy of the
workbench, then the workbench again), and while the dialog is up every change of the
workbench beneath is drawn again through the dimming; under a flood those frames were most
of what a keypress waited for. Shown and hidden in place, the panel costs the frames of its
own region. It is built once and filled again each time it opens.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from axo_tui.tui.model import LogFilter, WorkbenchModel

ALL = "*"
RECENT_RUNS = 50
WIDTH = 80
LIST_ROWS = 10
"""Options a list shows before it scrolls."""


class LogFilterDialog(Vertical):
    """Hidden until `open`; posts `Chosen` with the filter, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel", show=False),
        Binding("a", "apply", "apply", show=False),
        # The two lists are the dialog's whole focus chain while it is open.
        Binding("tab,shift+tab,left,right", "switch_list", "switch list", show=False),
    ]

    class Chosen(Message):
        def __init__(self, log_filter: LogFilter | None) -> None:
            super().__init__()
            self.log_filter = log_filter

    def __init__(self, model: WorkbenchModel, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.current = LogFilter()
        self.display = False
        self._return_to: Widget | None = None

    @property
    def is_open(self) -> bool:
        return self.display

    def compose(self) -> ComposeResult:
        yield Label("Filter the log", id="filter-title")
        with Horizontal(id="filter-lists"):
            yield OptionList(id="filter-agents")
            yield OptionList(id="filter-runs")
        yield Label("tab switch list · enter apply · esc cancel", id="filter-help")

    def open(self, current: LogFilter, *, return_to: Widget | None = None) -> None:
        """Show the agents and runs as they are now, the log's `current` filter highlighted,
        the agent list focused; `return_to` gets the focus back when the dialog closes."""
        self.current = current
        self._return_to = return_to
        agents = self._agent_options()
        runs = self._run_options()
        for selector, options in (("#filter-agents", agents), ("#filter-runs", runs)):
            option_list = self.query_one(selector, OptionList)
            option_list.clear_options()
            option_list.add_options(options)
        self._place(rows=min(LIST_ROWS, max(len(agents), len(runs))))
        self.display = True
        self._highlight("#filter-agents", current.agent_id)
        self._highlight("#filter-runs", current.run_id)
        self.query_one("#filter-agents", OptionList).focus()

    def close(self, log_filter: LogFilter | None) -> None:
        if not self.display:
            return
        focused = self.screen.focused
        target = self._return_to
        if focused is not None and self in focused.ancestors:
            if target is not None and target.is_attached and target.focusable:
                target.focus()
            else:
                self.screen.set_focus(None)
        self.display = False
        self.post_message(self.Chosen(log_filter))

    def _place(self, rows: int) -> None:
        """Centre the panel over the screen (it is positioned absolutely, on the overlay)."""
        screen = self.screen.size
        height = rows + 8  # borders, title, the lists' borders, help line
        self.styles.offset = (
            max(0, (screen.width - WIDTH) // 2),
            max(1, (screen.height - height) // 2),
        )

    def _agent_options(self) -> list[Option]:
        agents = [Option("all agents", id=ALL)]
        agents += [Option(view.name, id=agent_id) for agent_id, view in self.model.agents.items()]
        return agents

    def _run_options(self) -> list[Option]:
        runs = [Option("all runs", id=ALL)]
        for run in list(self.model.runs.values())[-RECENT_RUNS:][::-1]:
            runs.append(
                Option(f"{run.label} {run.kind} {run.target} ({run.status})", id=run.run_id)
            )
        return runs

    def _highlight(self, selector: str, option_id: str | None) -> None:
        options = self.query_one(selector, OptionList)
        try:
            options.highlighted = options.get_option_index(option_id or ALL)
        except OptionDoesNotExist:  # the run or agent is gone (config reload): fall back to "all"
            options.highlighted = 0

    def _chosen(self, selector: str) -> str | None:
        options = self.query_one(selector, OptionList)
        index = options.highlighted
        if index is None:
            return None
        option_id = options.get_option_at_index(index).id
        return None if option_id in (None, ALL) else option_id

    def action_apply(self) -> None:
        self.close(LogFilter(self._chosen("#filter-agents"), self._chosen("#filter-runs")))

    def action_cancel(self) -> None:
        self.close(None)

    def action_switch_list(self) -> None:
        agents = self.query_one("#filter-agents", OptionList)
        other = self.query_one("#filter-runs", OptionList) if agents.has_focus else agents
        other.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_apply()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        # Focus left the dialog (a click elsewhere): it closes, as a modal would not let
        # happen; the filter stays as it was.
        self.call_after_refresh(self._close_if_left)

    def _close_if_left(self) -> None:
        focused = self.screen.focused
        if self.display and (focused is None or self not in focused.ancestors):
            self.close(None)
