"""Confirm which run to cancel (`x` on the main screen, or the palette)."""

from __future__ import annotations

import contextlib
import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from axo_tui.tui.model import RunView, WorkbenchModel
from axo_tui.tui.widgets.footer import QuietFocus

INPUT_CHARS = 40


def run_title(run: RunView) -> str:
    """`#3 workflow research: what is photosynthesis?`"""
    text = f"{run.label} {run.kind} {run.target}"
    if run.input.strip():
        one_line = " ".join(run.input.split())
        if len(one_line) > INPUT_CHARS:
            one_line = one_line[: INPUT_CHARS - 1] + "…"
        text += f": {one_line}"
    return text


class CancelRunScreen(QuietFocus, ModalScreen[str | None]):
    """The running runs, newest first (or the one asked for) highlighted; Enter cancels the
    highlighted run, Escape keeps everything running. Dismissed with the run id or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "keep running"),
        Binding("y", "confirm", "cancel run"),
    ]

    def __init__(self, model: WorkbenchModel, run_id: str | None = None) -> None:
        super().__init__()
        self.model = model
        self.run_id = run_id

    def compose(self) -> ComposeResult:
        model = self.model
        options = []
        for run in model.running_runs()[::-1]:
            title = run_title(run)
            if model.show_durations:
                title += f"  (running {max(0.0, time.time() - run.started_at):.0f}s)"
            # Content, not a str: a run's input is shown as written, never read as markup.
            options.append(Option(Content(title), id=run.run_id))
        with Vertical(id="cancel-dialog"):
            yield Label("Cancel a run?", id="cancel-title")
            yield Label(
                "Its running agents stop now and the ones still waiting never start. "
                "The journal records the run as cancelled: it is not resumed later.",
                id="cancel-explain",
            )
            yield OptionList(*options, id="cancel-runs")
            yield Label("enter / y cancel the run · esc keep it running", id="cancel-help")

    def on_mount(self) -> None:
        runs = self.query_one("#cancel-runs", OptionList)
        runs.highlighted = 0 if runs.option_count else None
        if self.run_id is not None:
            # If it ended meanwhile, the newest run stays highlighted.
            with contextlib.suppress(OptionDoesNotExist):
                runs.highlighted = runs.get_option_index(self.run_id)
        runs.focus()

    def action_confirm(self) -> None:
        runs = self.query_one("#cancel-runs", OptionList)
        index = runs.highlighted
        if index is None:
            self.dismiss(None)
            return
        self.dismiss(runs.get_option_at_index(index).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_confirm()
