"""The agents panel: status, tokens of the current activation against its budget, spend."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from axo_tui.core.events import Event
from axo_tui.tui.model import AgentView, WorkbenchModel, format_tokens

SPARK = "▁▂▃▄▅▆▇█"
BUDGET_WARN = 0.8
"""Tokens past this fraction of `per_execution` are shown as a warning."""


def sparkline(values: list[int]) -> str:
    """One block character per value, scaled to the largest value."""
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, round(v / top * (len(SPARK) - 1)))] for v in values)


class AgentsTable(DataTable[Text | str]):
    """One row per agent, keyed by agent id, updated in place.

    `tokens` is the current (or last) activation against its `per_execution` budget, the
    budget that activation is held to; `spend` is tokens per activation, newest right.
    Enter on a row narrows the log to that agent (again: all agents); `c` chats with it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "chat", "chat with agent"),
    ]

    class AgentChosen(Message):
        def __init__(self, agent_id: str, *, chat: bool) -> None:
            super().__init__()
            self.agent_id = agent_id
            self.chat = chat

    COMPONENT_CLASSES: ClassVar[set[str]] = DataTable.COMPONENT_CLASSES | {
        "agents--idle",
        "agents--waiting",
        "agents--running",
        "agents--done",
        "agents--failed",
        "agents--skipped",
        "agents--over",
        "agents--spark",
    }
    COLUMNS = ("agent", "status", "tokens", "spend")

    def __init__(self, model: WorkbenchModel, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, show_cursor=True)
        self.model = model

    @property
    def highlighted_agent(self) -> str | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return key.value

    def action_chat(self) -> None:
        agent_id = self.highlighted_agent
        if agent_id is not None:
            self.post_message(self.AgentChosen(agent_id, chat=True))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.AgentChosen(event.row_key.value, chat=False))

    def on_mount(self) -> None:
        for column in self.COLUMNS:
            self.add_column(column, key=column)
        self.rebuild()

    def rebuild(self) -> None:
        """Rows for exactly the configured agents (after a reload some come, some go)."""
        self.clear()
        for agent_id, view in self.model.agents.items():
            self.add_row(*self._cells(view), key=agent_id)

    def on_events(self, events: list[Event]) -> None:
        touched = {event.agent_id for event in events if event.agent_id is not None}
        if any(event.kind == "run.started" or event.kind == "run.completed" for event in events):
            touched |= set(self.model.agents)  # phases of whole workflows change
        for agent_id in touched:
            view = self.model.agents.get(agent_id)
            if view is None or agent_id not in self.rows:
                continue
            for column, value in zip(self.COLUMNS, self._cells(view), strict=True):
                self.update_cell(agent_id, column, value, update_width=True)

    def _cells(self, view: AgentView) -> tuple[Text | str, ...]:
        style = self.get_component_rich_style
        status = Text(view.phase, style=style(f"agents--{view.phase}"))
        if view.running > 1:
            status.append(f" ×{view.running}")
        used = format_tokens(view.exec_tokens)
        if view.budget:
            tokens = Text(f"{used}/{format_tokens(view.budget)}")
            if view.exec_tokens > BUDGET_WARN * view.budget:
                tokens.stylize(style("agents--over"))
        else:
            tokens = Text(used)
        spark = Text(sparkline(list(view.history)), style=style("agents--spark"))
        return (view.name, status, tokens, spark)
