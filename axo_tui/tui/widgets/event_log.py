"""The log: run lines, agent activity, streamed text, tool calls, errors; filterable.

The log is a view of the model's `LogBuffer`: it keeps, as data, the numbers of the buffer's
lines that pass its filter (one entry per screen row, so a long line that wraps takes several)
and renders only the rows on screen, when the compositor asks for them. So a new line costs a
filter test and a width measurement, not a render, and a filter change is one pass over at
most `LOG_LIMIT` lines instead of re-rendering all of them. The log shows what the buffer
still holds: when the buffer drops its oldest lines, so does the log.

Text still streaming (no newline yet) is shown live in the `StreamTail` under the log, one line
per activation, and moves into the log when a line completes, so parallel agents never
interleave mid-sentence.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable
from operator import itemgetter
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from axo_tui.core.events.catalog import Event
from axo_tui.tui.model import LogFilter, LogLine, WorkbenchModel
from axo_tui.tui.widgets.style_memo import StyleMemo

LINE_STYLES = ("run", "agent", "token", "tool", "result", "error", "warn", "info", "output", "done")
AGENT_COLOURS = 6
"""Agent names cycle through this many colours (`log--agent-0` ... in the stylesheet)."""
TAIL_LINES = 4
GLYPHS = {"token": "◂ ", "agent": "▶ "}
TIME_FORMAT = "%H:%M:%S "
TIME_CELLS = len("00:00:00 ")
WRAP_CACHE = 512
"""Lines kept rendered: a screenful many times over, so scrolling back a few pages and
redrawing the visible rows on each frame never re-renders."""

Row = tuple[int, LogLine, int]
"""One screen row: the line's number in the model's buffer, the line, and which of the
line's wrapped rows it is (0 for its first)."""
_row_number = itemgetter(0)


class EventLog(ScrollView, can_focus=True):
    """All agents and runs by default; `log_filter` narrows it to one agent and/or run.

    Follows the newest line while scrolled to the end; scrolled up, it stays on what the
    reader is looking at.
    """

    # The look RichLog gave the log before it became a line-API widget, without its tint on
    # focus: a tint changes every row's colours, so moving focus in or out would render every
    # row on screen again. The log panel's border shows the focus instead.
    DEFAULT_CSS = """
    EventLog {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: scroll;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log--time",
        *(f"log--{name}" for name in LINE_STYLES),
        *(f"log--agent-{index}" for index in range(AGENT_COLOURS)),
    }

    def __init__(self, model: WorkbenchModel, *, show_times: bool, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.show_times = show_times
        self.log_filter = LogFilter()
        self._style = StyleMemo(self)
        self._agent_colour: dict[str, int] = {}
        self._buffer = model.log
        """The buffer the rows and caches are numbered in."""
        self._rows: list[Row] = []
        self._cursor = 0
        """The number of the next buffer line to look at."""
        self._width = 0
        """The width the rows were wrapped at; 0 until the widget has a size."""
        self._wrapped: LRUCache[tuple[int, int], list[Strip]] = LRUCache(WRAP_CACHE)
        """Rendered lines, by (line number, width)."""
        self._cells: dict[int, int] = {}
        """Measured widths, by line number (see `_measure`)."""
        self._base_style: Style | None = None
        """The widget's own style at the last frame (see `render_lines`)."""
        self._frame: tuple[int, int, Style] | None = None
        """Width, first row and style of the frame being rendered."""
        self._hint = ""
        """Shown while nothing has been logged (see `set_hint`)."""
        self._empty_strips: tuple[str, int, list[Strip]] | None = None
        self._follow = True
        """The reader is at the end. Kept as a choice, not read off the geometry: when the
        log's panel shrinks (a resize, a reload that grows the top row), the view stays put
        and is no longer at the end, but the reader still wants the newest line."""

    # ---------------------------------------------------------------- reading
    @property
    def shown_lines(self) -> list[LogLine]:
        """The lines the log shows (those of the buffer its filter lets through), oldest first."""
        return [line for _number, line, part in self._rows if part == 0]

    @property
    def row_count(self) -> int:
        """Screen rows of the whole log (wrapped lines count once per row)."""
        return len(self._rows)

    # ---------------------------------------------------------------- updates
    def on_mount(self) -> None:
        self._style.watch_theme(self._restyle)
        self.sync()

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width > 0 and width != self._width:
            # Rows depend on the width (wrapping): rebuild them, keeping the reader's place.
            follow, top = self._following(), self._top_line()
            self._width = width
            self._rebuild(follow=follow, top=top)
        elif self._following():
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Every move of the view (a key, the wheel, the scrollbar, `_show`) lands here; a
        # smaller panel does not move it, so the choice to follow outlives the resize.
        self._follow = round(new_value) >= self.max_scroll_y

    def on_events(self, events: list[Event]) -> None:
        self.sync()

    def set_hint(self, hint: str) -> None:
        """What an empty log says (how to start a run)."""
        if hint != self._hint:
            self._hint = hint
            if not self._rows:
                self.refresh()

    def empty_text(self) -> str:
        """What the log says when it shows no line: the hint, or why the filter hides all."""
        if not len(self.model.log):
            return self._hint
        who = self.log_filter.agent_id or "any agent"
        run = (
            f" in run {self.model.run_label(self.log_filter.run_id)}"
            if self.log_filter.run_id
            else ""
        )
        return f"No lines from {who}{run} yet. f changes the filter."

    def set_filter(self, log_filter: LogFilter) -> None:
        self.log_filter = log_filter
        self._rebuild(follow=True)

    def sync(self) -> None:
        """Take in the lines added to the model since the last sync."""
        buffer = self.model.log
        if buffer is not self._buffer:
            self._rebuild(follow=True)
            return
        new = buffer.numbered(self._cursor)
        self._cursor = buffer.total
        if not self._width:
            return  # no size yet: `on_resize` builds the rows from the whole buffer
        follow = self._following()
        added = self._add(new)
        dropped = self._trim()
        if added or dropped:
            self._show(follow=follow, dropped=dropped)

    def _rebuild(self, *, follow: bool, top: int | None = None) -> None:
        buffer = self.model.log
        if buffer is not self._buffer:
            # Another buffer (a model reset, a test): its numbers start over, so the widths
            # and renders kept by line number belong to other lines.
            self._buffer = buffer
            self._cells.clear()
            self._wrapped.clear()
        self._cursor = buffer.total
        self._rows = []
        if not self._width:
            return
        self._add(buffer.numbered(buffer.first_index))
        self._show(follow=follow, top=top)

    def _add(self, lines: Iterable[tuple[int, LogLine]]) -> int:
        """Append the rows of the lines the filter lets through; returns how many."""
        rows, width, matches = self._rows, self._width, self.log_filter.matches
        cells = self._cells
        before = len(rows)
        for number, line in lines:
            # Measured whether shown or not: the next filter change then only looks up.
            if number not in cells:
                cells[number] = self._measure(line)
            if matches(line):
                height = self._height(number, line, width)
                if height == 1:
                    rows.append((number, line, 0))
                else:
                    rows.extend((number, line, part) for part in range(height))
        return len(rows) - before

    def _trim(self) -> int:
        """Drop the rows of lines the buffer no longer holds; returns how many."""
        rows, first = self._rows, self.model.log.first_index
        if not rows or rows[0][0] >= first:
            return 0
        cut = bisect.bisect_left(rows, first, key=_row_number)
        del rows[:cut]
        self._forget_measures(first)
        return cut

    def _forget_measures(self, first: int) -> None:
        """Drop the widths of lines the buffer no longer holds, now and then (a pass over
        the dict, once it holds twice what the buffer can)."""
        if len(self._cells) > 2 * max(1, len(self.model.log)):
            self._cells = {n: c for n, c in self._cells.items() if n >= first}

    def _show(self, *, follow: bool, dropped: int = 0, top: int | None = None) -> None:
        size = Size(self._width, len(self._rows))
        if size != self.virtual_size:
            # Assigning `virtual_size` asks for a layout of the whole screen, on every batch.
            # For a line-API widget that layout only ends in `_scroll_update` (the compositor
            # takes a ScrollView's size from its region, not from its content), so do that
            # directly: the log grows without moving anything else on screen.
            self.set_reactive(EventLog.virtual_size, size)
            self._scroll_update(size)
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        elif top is not None:
            y = bisect.bisect_left(self._rows, top, key=_row_number)
            self.scroll_to(y=y, animate=False, immediate=True)
        elif dropped:
            # The oldest rows went: move up with the text, so it holds still on screen.
            self.scroll_to(y=max(0, self.scroll_offset.y - dropped), animate=False, immediate=True)
        self.refresh()

    def _following(self) -> bool:
        return (not self._rows or self._follow) and not self.is_vertical_scrollbar_grabbed

    def _top_line(self) -> int | None:
        """The number of the line at the top of the view."""
        y = self.scroll_offset.y
        return self._rows[y][0] if 0 <= y < len(self._rows) else None

    # -------------------------------------------------------------- rendering
    def line_text(self, line: LogLine) -> Text:
        """One log line as styled text (unwrapped)."""
        style = self._style
        text = Text(no_wrap=False, end="")
        if self.show_times:
            text.append(time.strftime(TIME_FORMAT, time.localtime(line.ts)), style("log--time"))
        if line.agent_id:
            text.append(f"{line.agent_id} ", self.agent_style(line.agent_id))
        text.append(GLYPHS.get(line.style, "") + line.text, style(f"log--{line.style}"))
        if "\t" in line.text:
            text.expand_tabs()
        return text

    def agent_style(self, agent_id: str) -> Style:
        index = self._agent_colour.get(agent_id)
        if index is None:
            # By the agent's place in the config, not by who speaks first: rows render when
            # they come into view and the stream tail asks as tokens arrive, so "first" would
            # depend on timing. Kept once given, so a reload never recolours an agent.
            agents = list(self.model.agents)
            place = agents.index(agent_id) if agent_id in agents else len(self._agent_colour)
            index = self._agent_colour[agent_id] = place % AGENT_COLOURS
        return self._style(f"log--agent-{index}")

    def _height(self, number: int, line: LogLine, width: int) -> int:
        """Rows the line takes at `width`: one, unless it is too long or holds a line break
        or a tab; those (a few) are rendered to find out."""
        cells = self._cells.get(number)
        if cells is None:
            cells = self._cells[number] = self._measure(line)
        if 0 <= cells <= width:
            return 1
        return len(self._wrap(number, line, width))

    def _measure(self, line: LogLine) -> int:
        """The line's width in cells if it is one plain line, else -1 (render to know).

        Kept per line number: a filter change measures a full buffer again, and rich's own
        cache of string widths holds fewer strings than the buffer has lines."""
        agent = line.agent_id or ""
        if not (line.text.isprintable() and agent.isprintable()):
            return -1
        cells = cell_len(line.text) + cell_len(GLYPHS.get(line.style, ""))
        return (
            cells + (cell_len(agent) + 1 if agent else 0) + (TIME_CELLS if self.show_times else 0)
        )

    def _wrap(self, number: int, line: LogLine, width: int) -> list[Strip]:
        key = (number, width)
        strips = self._wrapped.get(key)
        if strips is None:
            console = self.app.console
            lines = console.render_lines(
                self.line_text(line), console.options.update_width(width), pad=False
            )
            strips = [Strip(segments) for segments in lines] or [Strip.blank(0)]
            self._wrapped[key] = strips
        return strips

    def render_lines(self, crop: Region) -> list[Strip]:
        # The widget's style includes its ancestors' backgrounds, and so do the component
        # styles. Computed once per frame (not per row) and compared: a change the widget
        # was not notified of (an ancestor restyled) still re-renders the rows.
        base = self.rich_style
        if base != self._base_style:
            self._forget_styles()
            self._base_style = base
        # The same for every row of the frame; Textual computes them anew on each access.
        self._frame = (self.scrollable_content_region.width, self.scroll_offset.y, base)
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        width, top, base = self._frame or (
            self.scrollable_content_region.width,
            self.scroll_offset.y,
            self.rich_style,
        )
        index = top + y
        if not self._rows:
            return self._empty_line(y, width, base)
        if 0 <= index < len(self._rows):
            number, line, part = self._rows[index]
            wrapped = self._wrap(number, line, self._width)
            if part < len(wrapped):
                return wrapped[part].crop_extend(0, width, base).apply_style(base)
        return Strip.blank(width, base)

    def _empty_line(self, y: int, width: int, base: Style) -> Strip:
        text, strips = self.empty_text(), self._empty_strips
        if strips is None or strips[:2] != (text, width):
            # Wrapped to the width, one blank row above as a margin; kept until either changes.
            rendered = self.app.console.render_lines(
                Text(text, style=self._style("log--agent"), end=""),
                self.app.console.options.update_width(max(1, width)),
                pad=False,
            )
            strips = self._empty_strips = (text, width, [Strip(line) for line in rendered])
        rows = strips[2]
        if not (0 <= y - 1 < len(rows)):
            return Strip.blank(width, base)
        return rows[y - 1].crop_extend(0, width, base).apply_style(base)

    # ----------------------------------------------------------------- styles
    def notify_style_update(self) -> None:
        # Called whenever the styles are applied again, which a focus change anywhere in
        # the log panel does (`:focus-within`) without changing a colour of the log. What
        # the rows are rendered with is checked where it matters, once per frame, in
        # `render_lines` (the widget's style, which carries its and its ancestors'
        # backgrounds), and a new theme is watched for: no need to drop the renders here.
        super().notify_style_update()
        if self.rich_style != self._base_style:
            self._forget_styles()

    def _forget_styles(self) -> None:
        self._style.clear()
        self._wrapped.clear()
        self._empty_strips = None

    def _restyle(self) -> None:
        self._forget_styles()
        self.refresh()


class StreamTail(Static):
    """What agents are saying right now: the unfinished line of each live stream.

    The tail's height is its number of lines, and a change of height lays the whole screen
    out again. Under a flood that number flickers on every batch (a stream is empty for a
    moment each time a line moves into the log), so while agents stream the tail grows at
    once but shrinks only after `SHRINK_AFTER` seconds (its spare rows blank); it hides at
    once when no stream is live.
    """

    SHRINK_AFTER = 3.0

    def __init__(self, model: WorkbenchModel, log: EventLog, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.event_log = log
        self._rows = 0
        self._resized_at = float("-inf")

    def on_events(self, events: list[Event]) -> None:
        self.sync()

    def sync(self) -> None:
        log_filter = self.event_log.log_filter
        width = max(20, self.size.width - 2)
        lines: list[Text] = []
        live = 0
        for stream in self.model.streams.values():
            probe = LogLine(0.0, "token", "", stream.agent_id, stream.run_id)
            if not log_filter.matches(probe):
                continue
            live += 1
            if not stream.text.strip():
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
        rows = self._height(len(lines), live=live > 0)
        lines += [Text(end="")] * (rows - len(lines))
        self.display = rows > 0
        self.update(Text("\n").join(lines), layout=rows != self._rows)
        self._rows = rows

    def _height(self, needed: int, *, live: bool) -> int:
        now = time.monotonic()
        if not live:
            rows = 0
        elif needed >= self._rows or now - self._resized_at >= self.SHRINK_AFTER:
            rows = needed
        else:
            rows = self._rows
        if rows != self._rows:
            self._resized_at = now
        return rows
