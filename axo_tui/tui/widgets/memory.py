"""The two panels of the memory screen: an agent's core memory blocks, its recent recalls.

Blocks and recalls hold what models wrote: drawn with their terminal controls neutralised."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.widgets import Static

from axo_tui.core.base.terminal_text import neutralise
from axo_tui.core.memory.core_blocks import CoreBlock
from axo_tui.core.memory.recall_history import Recall
from axo_tui.tui.widgets.style_memo import StyleMemo

BAR_CELLS = 16
FULL_WARN = 0.8
"""A block past this share of its limit shows its bar as a warning."""
RESULT_LINES = 3
"""Lines of a recall's result shown under it."""
LINE_CHARS = 160
"""Each shown line is cut here: the panel is a summary, `axo memory` has the rest."""


def _clip(line: str) -> str:
    line = line.rstrip()
    return line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 1] + "…"


def usage_bar(used: int, limit: int, cells: int = BAR_CELLS) -> str:
    """`▰▰▰▱▱▱` filled in proportion (a block over its limit shows full)."""
    if limit <= 0:
        return "▱" * cells
    filled = min(cells, round(cells * used / limit))
    if used and not filled:
        filled = 1  # a few characters still show as something
    return "▰" * filled + "▱" * (cells - filled)


class CoreBlocksView(Static):
    """Each block: its name, how full it is, shared or not, its description and value."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "blocks--label",
        "blocks--bar",
        "blocks--bar-warn",
        "blocks--bar-over",
        "blocks--count",
        "blocks--shared",
        "blocks--description",
        "blocks--empty",
        "blocks--note",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._style = StyleMemo(self)
        self._blocks: tuple[CoreBlock, ...] = ()
        self._enabled = True

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style.clear()
        if self.is_mounted:
            self.call_later(self._draw)

    def show(self, blocks: Sequence[CoreBlock], *, enabled: bool = True) -> None:
        blocks = tuple(blocks)
        if (blocks, enabled) == (self._blocks, self._enabled) and self.is_mounted:
            return
        self._blocks, self._enabled = blocks, enabled
        self._draw()

    def _draw(self) -> None:
        style = self._style
        text = Text(end="")
        if not self._enabled and not self._blocks:
            text.append("core memory is off for this agent (memory.core_blocks is empty)")
            text.stylize(style("blocks--note"))
            self.update(text)
            return
        width = max((len(block.label) for block in self._blocks), default=0)
        for index, block in enumerate(self._blocks):
            if index:
                text.append("\n\n")
            text.append(neutralise(block.label).ljust(width), style("blocks--label"))
            ratio = block.chars / block.limit if block.limit else 0.0
            bar_style = (
                "blocks--bar-over"
                if ratio > 1
                else "blocks--bar-warn"
                if ratio >= FULL_WARN
                else "blocks--bar"
            )
            text.append("  ")
            text.append(usage_bar(block.chars, block.limit), style(bar_style))
            text.append(f"  {block.chars:,}/{block.limit:,} chars", style("blocks--count"))
            if block.shared:
                text.append("  ")
                text.append(" shared ", style("blocks--shared"))
            if not block.in_config:
                text.append("  not in the config any more (kept on disk)", style("blocks--note"))
            if block.description:
                text.append(f"\n  {neutralise(block.description)}", style("blocks--description"))
            if block.value.strip():
                for line in neutralise(block.value).split("\n"):
                    text.append(f"\n  {line}")
            else:
                text.append("\n  (empty)", style("blocks--empty"))
        self.update(text)


class RecallsView(Static):
    """The agent's recent `recall_*` calls, newest first, each with the start of its result."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "recalls--when",
        "recalls--tool",
        "recalls--args",
        "recalls--ok",
        "recalls--error",
        "recalls--pending",
        "recalls--result",
        "recalls--note",
    }

    def __init__(self, *, show_times: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_times = show_times
        self._style = StyleMemo(self)
        self._shown: tuple[tuple[Recall, ...], str] | None = None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style.clear()
        if self.is_mounted and self._shown is not None:
            recalls, note = self._shown
            self._shown = None
            self.call_later(self.show, recalls, note)

    def show(self, recalls: Sequence[Recall], note: str) -> None:
        shown = (tuple(recalls), note)
        if shown == self._shown:
            return
        self._shown = shown
        style = self._style
        text = Text(end="")
        if not recalls:
            text.append(
                "no recalls logged yet: nothing was recalled for the agent (passively or "
                "with recall_search / recall_timeframe) in the last days",
                style("recalls--note"),
            )
        for index, recall in enumerate(recalls):
            if index:
                text.append("\n")
            if self.show_times:
                text.append(f"{recall.when}  ", style("recalls--when"))
            text.append(neutralise(recall.tool), style("recalls--tool"))
            if recall.summary:
                text.append(f" {neutralise(recall.summary)}", style("recalls--args"))
            if recall.ok is None:
                text.append("\n  … no result logged", style("recalls--pending"))
                continue
            mark, mark_style = ("✓", "recalls--ok") if recall.ok else ("✗", "recalls--error")
            result = neutralise(recall.result)
            lines = [line for line in result.split("\n") if line.strip()] or ["(empty)"]
            for number, line in enumerate(lines[:RESULT_LINES]):
                text.append("\n  ")
                text.append(f"{mark} " if number == 0 else "  ", style(mark_style))
                text.append(_clip(line), style("recalls--result"))
            if len(lines) > RESULT_LINES:
                more = len(lines) - RESULT_LINES
                plural = "s" if more > 1 else ""
                text.append(f"\n    … {more} more line{plural}", style("recalls--note"))
        if note:
            text.append(f"\n\n{note}", style("recalls--note"))
        self.update(text)
