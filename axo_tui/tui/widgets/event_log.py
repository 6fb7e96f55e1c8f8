"""The log: run lines, agent activity, streamed text, tool calls, errors; filterable.

The log renders the model's `LogBuffer` from a cursor, so it never depends on having seen
an event itself: a filter change simply redraws from the buffer. Text still streaming (no
newline yet) is shown live in the `StreamTail` under the log, one line per activation, and
moves into the log when a line completes, so parallel agents never interleave mid-sentence.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.widgets import RichLog, Static

from axo_tui.core.events import Event
from axo_tui.tui.model import LogFilter, LogLine, WorkbenchModel

LINE_STYLES = ("run", "agent", "token", "tool", "result", "error", "warn", "info", "output", "done")
AGENT_COLOURS = 6
"""Agent names cycle through this many colours (`log--agent-0` ... in the stylesheet)."""
TAIL_LINES = 4


class EventLog(RichLog):
    """All agents and runs by default; `log_filter` narrows it to one agent and/or run."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log--time",
        *(f"log--{name}" for name in LINE_STYLES),
        *(f"log--agent-{index}" for index in range(AGENT_COLOURS)),
    }

    def __init__(self, model: WorkbenchModel, *, show_times: bool, id: str | None = None) -> None:
        super().__init__(id=id, wrap=True, markup=False, highlight=False, max_lines=5000)
        self.model = model
        self.show_times = show_times
        self.log_filter = LogFilter()
        self._cursor = 0
        self._agent_colour: dict[str, int] = {}

    def on_mount(self) -> None:
        self.sync()

    def on_events(self, events: list[Event]) -> None:
        self.sync()

    def set_filter(self, log_filter: LogFilter) -> None:
        self.log_filter = log_filter
        self.clear()
        self._cursor = self.model.log.first_index
        self.sync()

    def sync(self) -> None:
        """Write the lines added to the model since the last sync."""
        buffer = self.model.log
        for line in buffer.since(self._cursor):
            if self.log_filter.matches(line):
                self.write(self.render_line_text(line), scroll_end=None)
        self._cursor = buffer.total

    def render_line_text(self, line: LogLine) -> Text:
        style = self.get_component_rich_style
        text = Text(no_wrap=False, end="")
        if self.show_times:
            text.append(time.strftime("%H:%M:%S ", time.localtime(line.ts)), style("log--time"))
        if line.agent_id:
            text.append(f"{line.agent_id} ", self.agent_style(line.agent_id))
        glyph = {"token": "◂ ", "agent": "▶ "}.get(line.style, "")
        text.append(glyph + line.text, style(f"log--{line.style}"))
        return text

    def agent_style(self, agent_id: str) -> Style:
        index = self._agent_colour.setdefault(agent_id, len(self._agent_colour) % AGENT_COLOURS)
        return self.get_component_rich_style(f"log--agent-{index}")


class StreamTail(Static):
    """What agents are saying right now: the unfinished line of each live stream."""

    def __init__(self, model: WorkbenchModel, log: EventLog, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.event_log = log

    def on_events(self, events: list[Event]) -> None:
        self.sync()

    def sync(self) -> None:
        log_filter = self.event_log.log_filter
        width = max(20, self.size.width - 2)
        lines: list[Text] = []
        for stream in self.model.streams.values():
            if not stream.text.strip():
                continue
            probe = LogLine(0.0, "token", "", stream.agent_id, stream.run_id)
            if not log_filter.matches(probe):
                continue
            line = Text(no_wrap=True, overflow="ellipsis", end="")
            line.append(f"{stream.agent_id} ", self.event_log.agent_style(stream.agent_id))
            body = " ".join(stream.text.split())
            room = width - len(stream.agent_id) - 4
            if len(body) > room > 0:
                body = "…" + body[-(room - 1) :]  # the newest words are the interesting ones
            line.append(f"◂ {body}▌")
            lines.append(line)
        lines = lines[-TAIL_LINES:]
        self.display = bool(lines)
        self.update(Text("\n").join(lines))
