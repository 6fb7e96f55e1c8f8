"""Pick which agent and which run the log shows (`f` on the main screen)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from axo_tui.tui.model import LogFilter, WorkbenchModel

ALL = "*"
RECENT_RUNS = 50


class LogFilterScreen(ModalScreen[LogFilter | None]):
    """Made once per workbench and opened again with `reopen`: composing a dialog (two
    option lists, their styles, a layout) is most of what opening it costs, and under load
    that was a keypress waiting 100 ms and more for the dialog to show."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "cancel"),
        Binding("a", "apply", "apply"),
    ]

    def __init__(self, model: WorkbenchModel, current: LogFilter) -> None:
        super().__init__()
        self.model = model
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-dialog"):
            yield Label("Filter the log", id="filter-title")
            with Horizontal(id="filter-lists"):
                yield OptionList(*self._agent_options(), id="filter-agents")
                yield OptionList(*self._run_options(), id="filter-runs")
            yield Label("tab switch list · enter apply · esc cancel", id="filter-help")

    def on_mount(self) -> None:
        self._select()

    def reopen(self, current: LogFilter) -> None:
        """Ready the dialog to be shown again: the agents and runs as they are now, the
        log's current filter highlighted, the agent list focused."""
        self.current = current
        if not self.is_mounted:
            return  # not shown yet: compose and on_mount do it
        for selector, options in (
            ("#filter-agents", self._agent_options()),
            ("#filter-runs", self._run_options()),
        ):
            option_list = self.query_one(selector, OptionList)
            option_list.clear_options()
            option_list.add_options(options)
        self._select()

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

    def _select(self) -> None:
        self._highlight("#filter-agents", self.current.agent_id)
        self._highlight("#filter-runs", self.current.run_id)
        self.query_one("#filter-agents", OptionList).focus()

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
        self.dismiss(LogFilter(self._chosen("#filter-agents"), self._chosen("#filter-runs")))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_apply()
