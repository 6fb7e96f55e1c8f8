"""The one-line header: project, provider and model, runs, tokens, cost, config status."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from axo_tui.core.config.schema import Config
from axo_tui.core.runtime.runtime import DEFAULT_MODELS
from axo_tui.tui.model import ConfigStatus, WorkbenchModel, format_tokens
from axo_tui.tui.widgets.narrow import is_narrow


def provider_label(config: Config) -> str:
    """`kind model` of the provider most agents use (the first agent's, on a tie)."""
    if not config.agents:
        return "no agents"
    names = [agent.provider for agent in config.agents]
    name = max(dict.fromkeys(names), key=names.count)
    agent = next(a for a in config.agents if a.provider == name)
    try:
        provider = config.provider(name)
    except KeyError:
        return f"{name} {agent.model or DEFAULT_MODELS.get(name, '')}".strip()
    model = agent.model or provider.model or DEFAULT_MODELS.get(provider.kind.value, "")
    kind = provider.kind.value
    label = kind if kind == name else f"{name} ({kind})"
    return f"{label} {model}" if model != kind else label


def format_cost(cost: float | None) -> str:
    if cost is None:
        return "$—"
    return f"${cost:.4f}" if 0 < cost < 0.01 else f"${cost:.2f}"


def config_status_text(
    status: ConfigStatus, *, show_times: bool, now: float, short: bool = False
) -> str:
    if not status.ok:
        count = len(status.problems)
        noun = "problem" if count == 1 else "problems"
        if short:
            return f"config error ({count} {noun})"
        return f"config error ({count} {noun}; previous config still running)"
    if status.at <= 0 or short:
        return "config ok"
    text = "reloaded"
    if status.latency_ms is not None:
        text += f" in {status.latency_ms:.0f} ms"
    if show_times:
        text += f", {_ago(now - status.at)}"
    return f"config ok ({text})"


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m ago"
    return f"{seconds / 3600:.0f}h ago"


class HeaderLine(Horizontal):
    """Left: what the project is and what it has cost; right: the config's health."""

    def __init__(self, model: WorkbenchModel, *, title: str, show_times: bool) -> None:
        super().__init__(id="header")
        self.model = model
        self.title = title
        self.show_times = show_times
        self._shown: tuple[Text, str, bool] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="header-left")
        yield Static(id="header-right")

    def on_mount(self) -> None:
        self.update_text()
        if self.show_times:
            # Only the "reloaded Ns ago" text moves on its own; once a second is plenty.
            self.set_interval(1.0, self.update_text)

    def on_resize(self) -> None:
        self.update_text()

    def update_text(self) -> None:
        model = self.model
        config = model.config
        project = config.name or config.project_dir.resolve().name
        runs = f"{model.run_count} run" + ("" if model.run_count == 1 else "s")
        # 80 columns: the title (the terminal knows it is axo) and the reload details go.
        narrow = is_narrow(self.app)
        left = Text.assemble(
            "" if narrow else (f" {self.title}", "bold"),
            " " if narrow else " · ",
            (project, "bold"),
            f" · {provider_label(config)} · {runs} · {format_tokens(model.total_tokens)} tok"
            f" · {format_cost(model.total_cost)}",
            f" · {model.mcp_summary}" if model.mcp_summary else "",
        )
        status = model.config_status
        right_text = (
            config_status_text(status, show_times=self.show_times, now=time.time(), short=narrow)
            + " "
        )
        # Called on every batch of events, which mostly changes nothing here: an unchanged
        # header costs no redraw.
        shown = (left, right_text, status.ok)
        if shown == self._shown:
            return
        previous, self._shown = self._shown, shown
        if previous is None or previous[0] != left:
            # A fixed-size cell (1fr, one row): its text never changes the layout.
            self.query_one("#header-left", Static).update(left, layout=False)
        if previous is None or previous[1:] != shown[1:]:
            right = self.query_one("#header-right", Static)
            right.update(right_text)  # sized to its text (width: auto): layout, rarely
            # Colour lives in the stylesheet: `-ok` / `-error` classes.
            right.set_class(status.ok, "-ok")
            right.set_class(not status.ok, "-error")
