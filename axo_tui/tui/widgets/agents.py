"""The agents panel: status, tokens of the current activation against its budget, spend."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from axo_tui.core.events.catalog import Event
from axo_tui.tui.model import HISTORY, AgentView, WorkbenchModel, format_tokens
from axo_tui.tui.widgets.style_memo import StyleMemo
from axo_tui.tui.widgets.throttle import Throttle

SPARK = "▁▂▃▄▅▆▇█"
BUDGET_WARN = 0.8
"""Tokens past this fraction of `per_execution` are shown as a warning."""
# Fixed column widths: with widths measured from the cells, every "running" -> "done" or
# "980" -> "1.2k/2.0k" resized the table, toggled its scrollbars and laid the whole screen
# out again (about once a second under load), and the columns jumped about as they changed.
STATUS_WIDTH = len("cancelled")
TOKENS_WIDTH = len("1.2k/2.0k")
SPEND_WIDTH = HISTORY
CELL_PADDING = 1


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
        "agents--cancelled",
        "agents--over",
        "agents--spark",
    }
    COLUMNS = ("agent", "status", "tokens", "spend")

    def __init__(self, model: WorkbenchModel, *, id: str | None = None) -> None:
        super().__init__(
            id=id,
            cursor_type="row",
            zebra_stripes=False,
            show_cursor=True,
            cell_padding=CELL_PADDING,
        )
        self.model = model
        self._style = StyleMemo(self)
        self._throttle = Throttle(self, self.update_rows)
        self._shown: dict[str, tuple[object, ...]] = {}
        """Per agent, what its row was last drawn from (see `_state`)."""
        self.narrow = False
        """Without the spend column: an 80-column terminal leaves the lattice room."""

    @property
    def columns_shown(self) -> tuple[str, ...]:
        return self.COLUMNS[:3] if self.narrow else self.COLUMNS

    def set_narrow(self, narrow: bool) -> None:
        if narrow != self.narrow:
            self.narrow = narrow
            self.rebuild()

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
        self._style.watch_theme(self._restyle)
        self.rebuild()

    def column_widths(self) -> tuple[int, ...]:
        names = [view.name for view in self.model.agents.values()]
        name = max((len(n) for n in names), default=0)
        widths = (max(len("agent"), name), STATUS_WIDTH, TOKENS_WIDTH, SPEND_WIDTH)
        return widths[: len(self.columns_shown)]

    @property
    def needed_width(self) -> int:
        """Cells wide the table is, padding included."""
        widths = self.column_widths()
        return sum(widths) + 2 * CELL_PADDING * len(widths)

    def rebuild(self) -> None:
        """Rows for exactly the configured agents (after a reload some come, some go)."""
        self.clear(columns=True)
        for column, width in zip(self.columns_shown, self.column_widths(), strict=True):
            self.add_column(column, key=column, width=width)
        self._shown.clear()
        for agent_id, view in self.model.agents.items():
            self.add_row(*self._cells(view)[: len(self.columns_shown)], key=agent_id)
            self._shown[agent_id] = self._state(view)

    def on_events(self, events: list[Event]) -> None:
        self._throttle.request()

    def update_rows(self) -> None:
        """Redraw the rows whose agent changed since they were drawn.

        Any cell update makes the table drop its rendered rows and draw itself again, and
        most batches of a flood are tokens, which change nothing here: compare first. All
        agents are compared (a handful of tuples), so no event kind can be forgotten."""
        for agent_id, view in self.model.agents.items():
            state = self._state(view)
            if self._shown.get(agent_id) == state or agent_id not in self.rows:
                continue
            self._shown[agent_id] = state
            for column, value in zip(self.columns_shown, self._cells(view), strict=False):
                self.update_cell(agent_id, column, value)

    @staticmethod
    def _state(view: AgentView) -> tuple[object, ...]:
        """Everything `_cells` reads."""
        return (
            view.name,
            view.phase,
            view.running,
            view.exec_tokens,
            view.budget,
            tuple(view.history),
        )

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style.clear()
        # The cells hold text styled with the old colours. The component styles are not
        # re-applied yet at this point (Textual does it right after), so redraw later.
        self._shown.clear()
        if self.is_mounted:
            self.call_later(self.update_rows)

    def _restyle(self) -> None:
        self._style.clear()
        self._shown.clear()
        self.update_rows()

    def _cells(self, view: AgentView) -> tuple[Text | str, ...]:
        style = self._style
        status = Text(view.phase, style=style(f"agents--{view.phase}"))
        if view.running > 1:
            status.append(f"×{view.running}")
        used = format_tokens(view.exec_tokens)
        if view.budget:
            tokens = Text(f"{used}/{format_tokens(view.budget)}")
            if view.exec_tokens > BUDGET_WARN * view.budget:
                tokens.stylize(style("agents--over"))
        else:
            tokens = Text(used)
        spark = Text(sparkline(list(view.history)), style=style("agents--spark"))
        return (view.name, status, tokens, spark)
