"""The event inspector: recent events, the full payload of one, and token spend per agent."""

from __future__ import annotations

from typing import ClassVar

from rich.highlighter import JSONHighlighter
from rich.json import JSON
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from axo_tui.core.base.terminal_text import terminal_json
from axo_tui.core.events.catalog import Event
from axo_tui.tui.bridge import RuntimeBridge
from axo_tui.tui.model import format_tokens
from axo_tui.tui.widgets.footer import QuietFocus, WorkbenchFooter
from axo_tui.tui.widgets.header import format_cost

LIST_LIMIT = 1000
NOISY = frozenset({"token.streamed", "lattice.signal"})
"""Hidden unless asked for (`t`): one per token would bury everything else."""


def payload_view(event: Event) -> JSON:
    """The event as highlighted JSON. Rich would write DEL, C1 controls and bidi overrides
    from a reply as they are; `terminal_json` escapes them, the data stays the same."""
    view = JSON("{}")
    view.text = JSONHighlighter()(Text(terminal_json(event.to_dict(), indent=2)))
    view.text.no_wrap = True
    view.text.overflow = None
    return view


class EventsScreen(QuietFocus, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "back"),
        Binding("t", "toggle_noisy", "tokens on/off"),
        Binding("r", "refresh_spend", "refresh spend"),
    ]

    def __init__(self, bridge: RuntimeBridge) -> None:
        super().__init__(id="events")
        self.bridge = bridge
        self.show_noisy = False
        self._shown: list[Event] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="events-body"):
            yield OptionList(id="event-list")
            with Vertical(id="event-side"):
                with VerticalScroll(id="payload-panel"):
                    yield Static("select an event to see its payload", id="payload")
                yield DataTable(id="spend", cursor_type="row")
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self.query_one("#event-list").border_title = "Events"
        self.query_one("#payload-panel").border_title = "Payload"
        self.query_one("#spend").border_title = "Token spend per agent (all time)"
        spend = self.query_one("#spend", DataTable)
        for column in ("agent", "calls", "prompt", "completion", "total", "cost"):
            spend.add_column(column, key=column)
        self.rebuild()
        self.action_refresh_spend()
        self.bridge.events.subscribe(self, self._on_events)
        self.query_one("#event-list", OptionList).focus()

    def on_screen_resume(self) -> None:
        self.action_refresh_spend()

    # ------------------------------------------------------------------- events
    def _wanted(self, event: Event) -> bool:
        return self.show_noisy or event.kind not in NOISY

    def _option(self, event: Event) -> Option:
        label = self.bridge.model.run_label(event.run_id) if event.run_id else ""
        return Option(f"{event.seq:>6}  {event.kind:<16} {event.agent_id or '':<12} {label}")

    def rebuild(self) -> None:
        options = self.query_one("#event-list", OptionList)
        self._shown = [e for e in self.bridge.model.events if self._wanted(e)][-LIST_LIMIT:]
        options.clear_options()
        options.add_options([self._option(event) for event in self._shown])
        if self._shown:
            options.highlighted = len(self._shown) - 1

    def _on_events(self, events: list[Event]) -> None:
        new = [event for event in events if self._wanted(event)]
        if not new:
            return
        options = self.query_one("#event-list", OptionList)
        follow = options.highlighted is None or options.highlighted >= len(self._shown) - 1
        self._shown.extend(new)
        options.add_options([self._option(event) for event in new])
        overflow = len(self._shown) - LIST_LIMIT
        if overflow > 0:
            del self._shown[:overflow]
            for _ in range(overflow):
                options.remove_option_at_index(0)
        if follow:
            options.highlighted = len(self._shown) - 1
        if any(event.kind == "usage.recorded" for event in events):
            self.action_refresh_spend()

    def on_option_list_option_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        index = message.option_index
        if 0 <= index < len(self._shown):
            self.show_payload(self._shown[index])

    def show_payload(self, event: Event) -> None:
        payload = self.query_one("#payload", Static)
        payload.update(payload_view(event))
        self.query_one("#payload-panel").border_title = f"Payload · {event.kind} #{event.seq}"

    # -------------------------------------------------------------------- spend
    def action_refresh_spend(self) -> None:
        table = self.query_one("#spend", DataTable)
        table.clear()
        rows = self.bridge.runtime.state.usage(group_by="agent").rows
        calls = prompt = completion = 0
        cost: float | None = None
        for row in rows:
            table.add_row(
                row.key,
                str(row.calls),
                format_tokens(row.prompt_tokens),
                format_tokens(row.completion_tokens),
                format_tokens(row.total_tokens),
                format_cost(row.cost_usd),
            )
            calls += row.calls
            prompt += row.prompt_tokens
            completion += row.completion_tokens
            if row.cost_usd is not None:
                cost = (cost or 0.0) + row.cost_usd
        table.add_row(
            "total",
            str(calls),
            format_tokens(prompt),
            format_tokens(completion),
            format_tokens(prompt + completion),
            format_cost(cost),
            key="total",
        )

    def action_toggle_noisy(self) -> None:
        self.show_noisy = not self.show_noisy
        self.rebuild()
        self.notify("token and pulse events " + ("shown" if self.show_noisy else "hidden"))
