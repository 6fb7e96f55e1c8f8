"""The main screen of `axo dev`: header, lattice, agents, log, run bar."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.screen import Screen
from textual.widgets import Input, Select

from axo_tui.core.events.catalog import Event
from axo_tui.tui.bridge import RunKind, RunRequest, RuntimeBridge
from axo_tui.tui.model import ConfigStatus, LogFilter
from axo_tui.tui.settings import WorkbenchSettings
from axo_tui.tui.widgets.agents import AgentsTable
from axo_tui.tui.widgets.event_log import EventLog, StreamTail
from axo_tui.tui.widgets.footer import QuietFocus, WorkbenchFooter
from axo_tui.tui.widgets.header import HeaderLine
from axo_tui.tui.widgets.lattice import LatticeView
from axo_tui.tui.widgets.log_filter import LogFilterDialog
from axo_tui.tui.widgets.narrow import NARROW_WIDTH, is_narrow
from axo_tui.tui.widgets.problems import ProblemsPanel
from axo_tui.tui.widgets.run_bar import RunBar, Target

AGENTS_WIDTH = 44
NARROW_HIDDEN = frozenset({"focus_agents", "filter", "app.open_memory", "app.cancel_run"})
"""Keys the footer leaves out on a narrow terminal (`?` lists them, the run bar says `x`)."""


def empty_log_hint(target: Target | None, *, typing: bool) -> str:
    """What the log says before anything ran: how to run what the run bar has chosen."""
    if target is None:
        return "Nothing to run yet: add an agent or a workflow to axo.yaml (it reloads)."
    kind, target_id = target
    how = "Type" if typing else "Press r, type"
    return (
        f"Nothing has run yet. {how} a question below and press Enter to run "
        f"{kind} `{target_id}`.\n? or F1 lists every key; Ctrl+P every action."
    )


MCP_POLL_SECS = 1.0


class DevScreen(QuietFocus, Screen[None]):
    # `-narrow` (an 80×24 terminal) tightens the run bar in dev.tcss.
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012 (Textual reads it as a class variable)
        (0, "-narrow"),
        (NARROW_WIDTH, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "focus_run", "run", show=False),
        Binding("r", "focus_run", "run"),
        Binding("a", "focus_agents", "agents"),
        Binding("l", "focus_log", "log", show=False),
        Binding("f", "filter", "filter"),
        Binding("m", "app.open_memory", "memory"),
        Binding("b", "app.open_auctions", "auctions", show=False),
        Binding("t", "app.open_trace", "trace", show=False),
        Binding("w", "app.open_wasm_tools", "wasm tools", show=False),
        Binding("x", "app.cancel_run", "cancel"),
        Binding("question_mark", "app.help", "keys", key_display="?"),
        Binding("q", "app.quit", "quit"),
        Binding("escape", "leave_input", "leave input", show=False),
    ]

    def __init__(self, bridge: RuntimeBridge, settings: WorkbenchSettings) -> None:
        super().__init__(id="dev")
        self.bridge = bridge
        self.model = bridge.model
        self.settings = settings
        self._running_shown = 0
        self._topology_shown = self.model.topology

    def compose(self) -> ComposeResult:
        model, settings = self.model, self.settings
        yield HeaderLine(model, title="axo dev", show_times=settings.show_times)
        with Horizontal(id="top"):
            with ScrollableContainer(id="lattice-panel"):
                yield LatticeView(model, live=settings.animate, id="lattice")
            with Vertical(id="agents-panel"):
                yield AgentsTable(model, id="agents")
        yield ProblemsPanel(id="problems")
        with Vertical(id="log-panel"):
            log = EventLog(model, show_times=settings.show_times, id="log")
            yield log
            yield StreamTail(model, log, id="stream-tail")
        yield RunBar(model.config, blink=settings.animate)
        yield WorkbenchFooter(narrow_hidden=NARROW_HIDDEN)
        yield LogFilterDialog(model, id="filter-dialog")

    def on_mount(self) -> None:
        lattice_panel = self.query_one("#lattice-panel")
        lattice_panel.border_title = "Lattice"
        self.query_one("#agents-panel").border_title = "Agents"
        self.query_one("#problems", ProblemsPanel).show_status(self.model.config_status)
        self.query_one("#stream-tail", StreamTail).display = False
        self._update_log_title()
        self._balance_top()
        # Looked up once: the feed runs ~30 times a second under load.
        self._feed: tuple[LatticeView | AgentsTable | EventLog | StreamTail, ...] = (
            self.query_one(LatticeView),
            self.query_one(AgentsTable),
            self.query_one(EventLog),
            self.query_one(StreamTail),
        )
        self._header = self.query_one(HeaderLine)
        self._run_bar = self.query_one(RunBar)
        self.bridge.events.subscribe(self, self._on_events)
        self.bridge.config_changed.subscribe(self, self._on_config)
        # Runs resumed at start-up may have been announced before this screen subscribed.
        self._on_events([])
        # The log, not the run bar: the single-letter keys (the footer's, `?`) work at once,
        # and a stray Enter starts nothing.
        self.query_one(EventLog).focus()
        self._update_hint()
        # Always polled: a reload may add servers to a config that had none.
        self._poll_mcp()
        self.set_interval(MCP_POLL_SECS, self._poll_mcp)

    def _poll_mcp(self) -> None:
        """MCP servers start, fail and restart on their own: their state is polled (a
        public query), a change shows in the header and a log line."""
        statuses = [status.to_dict() for status in self.bridge.runtime.mcp_servers()]
        if self.model.note_mcp(statuses):
            self._on_events([])

    # ------------------------------------------------------------ runtime feed
    def _on_events(self, events: list[Event]) -> None:
        # Each widget compares what it shows with the model and redraws only on a change, so
        # a batch of tokens repaints the log and the tail, not the whole screen.
        for widget in self._feed:
            widget.on_events(events)
        if self.model.topology != self._topology_shown:  # WASM agents came or went
            self._topology_shown = self.model.topology
            self.query_one(AgentsTable).rebuild()
            self._balance_top()
        self._header.update_text()
        running = self.model.running_count
        if running != self._running_shown:
            self._running_shown = running
            self._run_bar.show_running(running)

    def _on_config(self, status: ConfigStatus) -> None:
        if status.ok:
            self.query_one(LatticeView).relayout()
            self.query_one(AgentsTable).rebuild()
            self.query_one(RunBar).set_config(self.model.config)
            self._balance_top()
            self._update_hint()
        self.query_one("#problems", ProblemsPanel).show_status(status)
        self.query_one(HeaderLine).update_text()

    def on_resize(self) -> None:
        self._balance_top()

    def _balance_top(self) -> None:
        """Size the top row to what the lattice or the agent list needs (both panels share
        it), at most 60% of the screen; each panel scrolls beyond that."""
        lattice_rows = self.query_one(LatticeView).content_rows + 2
        agent_rows = len(self.model.agents) + 3
        cap = max(8, int(self.size.height * 0.6))
        self.query_one("#top").styles.height = max(6, min(cap, max(lattice_rows, agent_rows)))
        # The agents panel is as wide as its table's fixed columns (and the border), at
        # least AGENTS_WIDTH, at most 45% of the screen (beyond, the table is cropped). On a
        # narrow terminal it drops the spend column and its minimum: the lattice comes first.
        narrow = is_narrow(self.app)
        agents = self.query_one(AgentsTable)
        agents.set_narrow(narrow)
        table = agents.needed_width + 2
        least = table if narrow else AGENTS_WIDTH
        width = max(least, min(table, int(self.size.width * 0.45) or table))
        self.query_one("#agents-panel").styles.width = width
        self.query_one("#lattice-panel").border_subtitle = (
            "" if narrow else "colour = status · ●●○○ = recent activity"
        )

    # ----------------------------------------------------------------- actions
    def on_run_bar_submitted(self, message: RunBar.Submitted) -> None:
        self.start_run(message.kind, message.target, message.text)

    def start_run(self, kind: RunKind, target: str, text: str) -> None:
        self.bridge.start_run(RunRequest(kind, target, text))

    def choose_target(self, kind: RunKind, target: str) -> None:
        self.query_one(RunBar).choose(kind, target)

    def action_focus_run(self) -> None:
        self.query_one("#run-input", Input).focus()

    def action_leave_input(self) -> None:
        self.query_one(EventLog).focus()

    def action_focus_agents(self) -> None:
        self.query_one(AgentsTable).focus()

    def action_focus_log(self) -> None:
        self.query_one(EventLog).focus()

    # The empty log says what to do, naming what Enter would run.
    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "run-target":
            self._update_hint()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._update_hint()

    def _update_hint(self) -> None:
        if not self.is_mounted:
            return
        run_bar = self.query_one(RunBar)
        focused = self.focused
        typing = focused is not None and run_bar in focused.ancestors
        self.query_one(EventLog).set_hint(empty_log_hint(run_bar.target, typing=typing))

    def action_filter(self) -> None:
        log = self.query_one(EventLog)
        dialog = self.query_one(LogFilterDialog)
        # Back to the log afterwards, or to wherever the focus was.
        return_to = self.focused if self.focused is not None and not dialog.is_open else log
        dialog.open(log.log_filter, return_to=return_to)

    def on_log_filter_dialog_chosen(self, message: LogFilterDialog.Chosen) -> None:
        if message.log_filter is not None:
            self.set_log_filter(message.log_filter)

    def set_log_filter(self, log_filter: LogFilter) -> None:
        self.query_one(EventLog).set_filter(log_filter)
        self.query_one(StreamTail).sync()
        self._update_log_title()

    def on_lattice_view_agent_clicked(self, message: LatticeView.AgentClicked) -> None:
        self.toggle_agent_filter(message.agent_id)

    def on_agents_table_agent_chosen(self, message: AgentsTable.AgentChosen) -> None:
        if message.chat:
            return  # bubbles on to the app, which owns the screens
        message.stop()
        self.toggle_agent_filter(message.agent_id)

    def toggle_agent_filter(self, agent_id: str) -> None:
        """Narrow the log to one agent; the same agent again shows everyone."""
        current = self.query_one(EventLog).log_filter
        agent = None if current.agent_id == agent_id else agent_id
        self.set_log_filter(LogFilter(agent, current.run_id))

    def log_run_filter(self) -> str | None:
        """The run the log is narrowed to, if any (the trace view opens on it)."""
        return self.query_one(EventLog).log_filter.run_id

    def _update_log_title(self) -> None:
        log_filter = self.query_one(EventLog).log_filter
        agent = log_filter.agent_id or "all agents"
        run = f"run {self.model.run_label(log_filter.run_id)}" if log_filter.run_id else "all runs"
        self.query_one("#log-panel").border_title = f"Log ({agent} · {run})"
