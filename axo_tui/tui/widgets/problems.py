"""Config problems after a failed reload, in full, until a good save clears them."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widgets import Static

from axo_tui.core.base.terminal_text import neutralise
from axo_tui.tui.model import ConfigStatus


class ProblemsPanel(Static):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"problems--location", "problems--hint"}

    def show_status(self, status: ConfigStatus) -> None:
        self.display = not status.ok
        if status.ok:
            self.update("")
            return
        text = Text()
        for index, problem in enumerate(status.problems):
            if index:
                text.append("\n")
            # A problem can quote the config (a cloned project's): drawn as written.
            first, *rest = neutralise(problem).split("\n")
            location, sep, message = first.partition(": ")
            text.append(location, self.get_component_rich_style("problems--location"))
            text.append(sep + message)
            for line in rest:
                text.append("\n" + line, self.get_component_rich_style("problems--hint"))
        self.update(text)
        self.border_title = "Config problems: fix and save; the previous config keeps running"
