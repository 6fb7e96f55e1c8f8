"""An agent's memory: its core blocks (tier 3) and what it recalled lately (tier 4 and the
activity log), agent by agent (`m` on the main screen).

Kept current three ways: a batch of events with a memory tool's result reloads it (an agent
edited a block, or recalled something); while the screen is shown, a one-second poll of the
memory files' sizes and times catches edits made elsewhere (`axo memory edit`, another
process, sleep-time consolidation); and coming back to the screen reloads it.
"""

from __future__ import annotations

import contextlib
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.events.catalog import Event, RuntimeNotice, ToolResult
from axo_tui.core.memory.recall_history import Recall
from axo_tui.core.runtime.api import MemoryStamp
from axo_tui.tui.bridge import RuntimeBridge
from axo_tui.tui.memory_snapshot import recall_note
from axo_tui.tui.model import ConfigStatus
from axo_tui.tui.widgets.footer import QuietFocus, WorkbenchFooter
from axo_tui.tui.widgets.memory import CoreBlocksView, RecallsView

POLL_SECONDS = 1.0
RELOAD_DELAY = 0.15
"""After a memory tool's result: a burst of edits reloads once."""
MEMORY_TOOLS = ("core_memory_", "recall_")


class MemoryScreen(QuietFocus, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "back"),
        Binding("left_square_bracket", "cycle_agent(-1)", "prev agent"),
        Binding("right_square_bracket", "cycle_agent(1)", "next agent"),
        Binding("r", "reload", "refresh"),
        Binding("c", "chat", "chat with agent"),
    ]

    def __init__(
        self, bridge: RuntimeBridge, *, agent_id: str | None = None, show_times: bool = True
    ) -> None:
        super().__init__(id="memory")
        self.bridge = bridge
        self.show_times = show_times
        agents = [agent.id for agent in bridge.runtime.config.agents]
        self.agent_id: str | None = agent_id if agent_id in agents else next(iter(agents), None)
        # Taken once: it still reads the files while the app closes the runtime.
        self.memory_state = bridge.runtime.state
        self._stamp: MemoryStamp | None = None
        self._dirty = False
        self._reload_pending = False
        self.loads = 0
        """Recall lists shown so far (tests wait on it)."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="memory-body"):
            yield OptionList(id="memory-agents")
            with Vertical(id="memory-side"):
                with VerticalScroll(id="core-panel"):
                    yield CoreBlocksView(id="core-blocks")
                with VerticalScroll(id="recall-panel"):
                    yield RecallsView(show_times=self.show_times, id="recalls")
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self.query_one("#memory-agents").border_title = "Agents"
        self.query_one("#recall-panel").border_title = "Recent recalls"
        self._fill_agents()
        self.bridge.events.subscribe(self, self._on_events)
        self.bridge.config_changed.subscribe(self, self._on_config)
        self.set_interval(POLL_SECONDS, self._poll, name="memory poll")
        self.query_one("#memory-agents", OptionList).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.reload()

    # ------------------------------------------------------------------ agents
    def _agent(self) -> AgentConfig | None:
        if self.agent_id is None:
            return None
        try:
            return self.bridge.runtime.config.agent(self.agent_id)
        except KeyError:
            return None

    def _fill_agents(self) -> None:
        options = self.query_one("#memory-agents", OptionList)
        options.clear_options()
        agents = self.bridge.runtime.config.agents
        options.add_options([Option(agent.display_name, id=agent.id) for agent in agents])
        ids = [agent.id for agent in agents]
        if self.agent_id not in ids:
            self.agent_id = next(iter(ids), None)
        self._highlight()

    def _highlight(self) -> None:
        options = self.query_one("#memory-agents", OptionList)
        try:
            index = options.get_option_index(self.agent_id or "")
        except OptionDoesNotExist:
            return
        if options.highlighted != index:
            options.highlighted = index

    def show_agent(self, agent_id: str) -> None:
        """Show `agent_id`'s memory (the list follows)."""
        if agent_id == self.agent_id:
            return
        self.agent_id = agent_id
        if self.is_mounted:
            self._highlight()
            self.query_one("#core-panel", VerticalScroll).scroll_home(animate=False)
            self.query_one("#recall-panel", VerticalScroll).scroll_home(animate=False)
            self.reload()

    def on_option_list_option_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        if message.option.id is not None:
            self.show_agent(message.option.id)

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        # Enter on an agent: read its memory (the panels scroll with the keys from there).
        self.query_one("#core-panel").focus()

    def action_cycle_agent(self, step: int) -> None:
        ids = [agent.id for agent in self.bridge.runtime.config.agents]
        if not ids:
            return
        index = ids.index(self.agent_id) if self.agent_id in ids else -step
        self.show_agent(ids[(index + step) % len(ids)])

    def action_chat(self) -> None:
        if self.agent_id is not None:
            open_chat = getattr(self.app, "open_chat", None)
            if callable(open_chat):
                open_chat(self.agent_id)

    # ------------------------------------------------------------------ loading
    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the selected agent's blocks now and its recalls in a thread."""
        self._dirty = False
        agent = self._agent()
        panel = self.query_one("#core-panel")
        blocks_view = self.query_one(CoreBlocksView)
        recalls_view = self.query_one(RecallsView)
        if agent is None:
            panel.border_title = "Core memory"
            blocks_view.show((), enabled=False)
            recalls_view.show((), "this config has no agents")
            return
        panel.border_title = f"Core memory · {agent.display_name}"
        # On the event loop: reading a damaged file reports it on the bus, which is not
        # thread-safe. Two small JSON files; the activity log is what can be large.
        blocks = self.memory_state.core_blocks(agent) if agent.memory.core_blocks else []
        blocks_view.show(blocks, enabled=bool(agent.memory.core_blocks))
        self._stamp = self.memory_state.memory_stamp(agent.id)
        recall = agent.memory.recall
        note = recall_note(recall.passive_inject, recall.top_k, recall.min_score)
        self.run_worker(
            lambda: self._read_recalls(agent.id, note),
            thread=True,
            exclusive=True,
            group="memory-recalls",
            name="read recalls",
            exit_on_error=False,
        )

    def _read_recalls(self, agent_id: str, note: str) -> None:
        try:
            recalls = self.memory_state.recent_recalls(agent_id)
        except OSError as exc:  # an unreadable log directory: say so, keep the screen
            recalls, note = [], f"cannot read the activity log: {exc}"
        with contextlib.suppress(RuntimeError):  # the app closed meanwhile
            self.app.call_from_thread(self._show_recalls, agent_id, recalls, note)

    def _show_recalls(self, agent_id: str, recalls: list[Recall], note: str) -> None:
        if agent_id != self.agent_id or not self.is_mounted:
            return  # the user moved on to another agent meanwhile
        view = self.query_one(RecallsView)
        view.show(recalls, note)
        count = len(recalls)
        self.query_one("#recall-panel").border_title = (
            f"Recent recalls · {count} (newest first)" if count else "Recent recalls"
        )
        self.loads += 1

    def _poll(self) -> None:
        if not self.is_current:
            return
        agent = self._agent()
        if agent is not None and (
            self._dirty or self.memory_state.memory_stamp(agent.id) != self._stamp
        ):
            self.reload()

    def _on_events(self, events: list[Event]) -> None:
        if any(_touches_memory(event) for event in events):
            if not self.is_current:
                self._dirty = True  # reloaded when shown again
            elif not self._reload_pending:
                self._reload_pending = True
                self.set_timer(RELOAD_DELAY, self._reload_now, name="memory reload")

    def _reload_now(self) -> None:
        self._reload_pending = False
        if self.is_current:
            self.reload()

    def _on_config(self, status: ConfigStatus) -> None:
        if status.ok:
            self._fill_agents()
            if self.is_current:
                self.reload()


def _touches_memory(event: Event) -> bool:
    if isinstance(event, ToolResult):
        return event.tool.startswith(MEMORY_TOOLS)
    # Sleep-time consolidation reports what it changed as a notice.
    return isinstance(event, RuntimeNotice) and event.message.startswith("consolidated")
