"""The lattice: agents by dependency depth, edges in box characters, pulses that fade.

The edge picture is computed once per config (`lattice_layout`); a frame only re-styles the
nodes and the edges of active agents. While any pulse is above zero a 10 fps timer keeps the
decay moving; when everything is still the timer pauses, so an idle workbench costs nothing.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget

from axo_tui.core.events.catalog import Event
from axo_tui.tui.lattice_layout import LatticeLayout, compute_layout
from axo_tui.tui.model import WorkbenchModel, format_tokens
from axo_tui.tui.widgets.style_memo import StyleMemo
from axo_tui.tui.widgets.throttle import Throttle

PULSE_DOTS = 4
STATUS_WIDTH = 12
"""Narrowest column: room under a node for "running 1.2k". Longer status lines are clipped
to their column, never drawn over the edges in the gap."""
FPS = 5
PHASES = ("idle", "waiting", "running", "done", "failed", "skipped", "cancelled")


def pulse_bar(level: float) -> str:
    """●●●○ for a level in 0..1; any non-zero level shows at least one dot."""
    filled = 0 if level <= 0 else max(1, min(PULSE_DOTS, round(level * PULSE_DOTS + 0.49)))
    return "●" * filled + "○" * (PULSE_DOTS - filled)


def node_label(name: str) -> str:
    return f"[{name} {'○' * PULSE_DOTS}]"


class LatticeView(Widget):
    """Agents as nodes; colour is status, the dots are recent activity."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "lattice--edge",
        "lattice--edge-hot",
        "lattice--pulse",
        "lattice--pulse-off",
        "lattice--meta",
        *(f"lattice--{phase}" for phase in PHASES),
    }

    class AgentClicked(Message):
        def __init__(self, agent_id: str) -> None:
            super().__init__()
            self.agent_id = agent_id

    def __init__(self, model: WorkbenchModel, *, live: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.live = live
        self._layout = LatticeLayout()
        self._ticker: Timer | None = None
        self._style = StyleMemo(self)
        self._throttle = Throttle(self, self._refresh_if_changed, interval=1 / FPS)
        self._last_batch = float("-inf")
        self._drawn: tuple[object, ...] | None = None
        """What the last frame showed (see `_picture`): a batch or a tick that changes
        nothing on screen costs no redraw."""
        self._topology = -1
        """The model's `topology` this layout was made for."""
        self.relayout()

    def on_mount(self) -> None:
        self._style.watch_theme(self._restyle)
        self._ticker = self.set_interval(1 / FPS, self._tick, pause=True)

    # ------------------------------------------------------------------ updates
    def relayout(self) -> None:
        """Recompute positions: at start, after a config reload, and when agents or message
        links come or go (WASM agents deployed, ACL messages between new pairs)."""
        self._topology = self.model.topology
        labels = {
            agent_id: len(node_label(view.name)) for agent_id, view in self.model.agents.items()
        }
        self._layout = compute_layout(
            self.model.dependencies(), labels, min_column_width=STATUS_WIDTH
        )
        self._drawn = None
        self.refresh(layout=True)

    @property
    def content_rows(self) -> int:
        return max(1, self._layout.height)

    def on_events(self, events: list[Event]) -> None:
        """A batch arrived: redraw if it shows (at most FPS times a second, like the pulses'
        animation), and animate while something is pulsing."""
        self._last_batch = time.monotonic()
        if self.model.topology != self._topology:
            self.relayout()
        self._throttle.request()
        if self.live and self._ticker is not None and self.model.any_pulse():
            self._ticker.resume()

    def _tick(self) -> None:
        # While batches keep coming they drive the redraws (in their frames); the ticker
        # only animates the fading in between, when the runtime is quiet.
        if time.monotonic() - self._last_batch >= 1 / FPS:
            self._throttle.request()
        if not self.model.any_pulse() and self._ticker is not None:
            self._ticker.pause()

    def _refresh_if_changed(self) -> None:
        if self._picture() != self._drawn:
            self.refresh()

    def _picture(self, now: float | None = None) -> tuple[object, ...]:
        """Everything a frame shows, per node: its phase, its tokens, its pulse dots (edges
        are hot exactly when their owners have dots)."""
        now = self.model.clock() if now is None else now
        picture: list[object] = []
        for agent_id in self._layout.nodes:
            view = self.model.agents.get(agent_id)
            if view is not None:
                level = self.model.pulse(agent_id, now)
                picture += (view.phase, view.exec_tokens, pulse_bar(level))
        return tuple(picture)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style.clear()
        self._drawn = None

    def _restyle(self) -> None:
        self._style.clear()
        self.refresh()

    def on_click(self, event: Click) -> None:
        for node in self._layout.nodes.values():
            if node.y <= event.y <= node.y + 1 and node.x <= event.x < node.x + node.width:
                self.post_message(self.AgentClicked(node.agent_id))
                return

    # ---------------------------------------------------------------- rendering
    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max(1, self._layout.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, self._layout.height)

    def render(self) -> Text:
        layout = self._layout
        if not layout.nodes:
            return Text("no agents in this config", style=self._style("lattice--meta"))
        now = self.model.clock()
        self._drawn = self._picture(now)
        style = self._style
        edge, hot = style("lattice--edge"), style("lattice--edge-hot")
        pulses = {agent_id: self.model.pulse(agent_id, now) for agent_id in layout.nodes}
        rows: list[list[tuple[str, Style]]] = [
            [(" ", Style())] * layout.width for _ in range(layout.height)
        ]
        for (x, y), _bits in layout.cells.items():
            glyph = layout.glyph(x, y)
            if glyph is not None:
                owners = layout.owners.get((x, y), set())
                active = any(pulses.get(owner, 0) > 0 for owner in owners)
                rows[y][x] = (glyph, hot if active else edge)
        for x, y in layout.arrows:
            owners = layout.owners.get((x, y), set())
            active = any(pulses.get(owner, 0) > 0 for owner in owners)
            rows[y][x] = ("▶", hot if active else edge)
        for agent_id, node in layout.nodes.items():
            view = self.model.agents.get(agent_id)
            if view is None:
                continue
            phase_style = style(f"lattice--{view.phase}")
            bar = pulse_bar(pulses[agent_id])
            cells = [("[", phase_style)]
            cells += [(char, phase_style) for char in view.name]
            cells.append((" ", phase_style))
            on, off = style("lattice--pulse"), style("lattice--pulse-off")
            cells += [(char, on if char == "●" else off) for char in bar]
            cells.append(("]", phase_style))
            self._put(rows, node.x, node.y, cells)
            status = view.phase
            if view.exec_tokens:
                status += f" {format_tokens(view.exec_tokens)}"
            meta = style("lattice--meta")
            status = status[: node.width - 1]
            self._put(rows, node.x + 1, node.y + 1, [(char, meta) for char in status])
        text = Text(no_wrap=True, overflow="crop", end="")
        for index, row in enumerate(rows):
            if index:
                text.append("\n")
            _append_runs(text, row)
        return text

    @staticmethod
    def _put(
        rows: list[list[tuple[str, Style]]], x: int, y: int, cells: list[tuple[str, Style]]
    ) -> None:
        if 0 <= y < len(rows):
            row = rows[y]
            for offset, cell in enumerate(cells):
                if 0 <= x + offset < len(row):
                    row[x + offset] = cell


def _append_runs(text: Text, row: list[tuple[str, Style]]) -> None:
    """Append a row, merging neighbouring cells of one style into one span."""
    run: list[str] = []
    current: Style | None = None
    for char, cell_style in row:
        if cell_style is not current and run:
            text.append("".join(run), current)
            run = []
        current = cell_style
        run.append(char)
    if run:
        text.append("".join(run).rstrip() if current == Style() else "".join(run), current)
