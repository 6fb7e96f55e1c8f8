"""The run bar: pick a target (workflow, skill or agent), type the input, press Enter."""

from __future__ import annotations

from typing import cast

from textual import events
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label, Select

from axo_tui.core.config.schema import Config
from axo_tui.tui.bridge import RunKind
from axo_tui.tui.widgets.narrow import is_narrow

Target = tuple[RunKind, str]


def listened_signals(config: Config) -> list[str]:
    """Signals something reacts to (skills' `reacts_to`, proactive `on_event` triggers)."""
    names = [signal for skill in config.skills for signal in skill.reacts_to]
    names += [p.trigger.event for p in config.proactive if p.trigger.event]
    return list(dict.fromkeys(names))


def run_targets(config: Config) -> list[tuple[str, str]]:
    """(label, value) per runnable thing; value is `kind:id`."""
    targets = [(f"workflow {w.id}", f"workflow:{w.id}") for w in config.workflows]
    targets += [(f"skill {s.id}", f"skill:{s.id}") for s in config.skills if s.agents]
    targets += [(f"agent {a.id}", f"agent:{a.id}") for a in config.agents]
    targets += [(f"signal {name}", f"signal:{name}") for name in listened_signals(config)]
    return targets


def parse_target(value: str) -> Target:
    kind, _, target = value.partition(":")
    return cast(RunKind, kind), target


class RunBar(Horizontal):
    class Submitted(Message):
        """The user asked for a run."""

        def __init__(self, kind: RunKind, target: str, text: str) -> None:
            super().__init__()
            self.kind = kind
            self.target = target
            self.text = text

    def __init__(self, config: Config, *, blink: bool = True) -> None:
        super().__init__(id="run-bar")
        self._config = config
        self._blink = blink

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._highlight())

    # The border brightens while the bar has the focus. Not with `:focus-within` in the
    # stylesheet: Textual then applies the styles again to the whole bar (the Select and its
    # parts) on every focus change anywhere in the bar; an inline colour touches the bar
    # alone.
    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._highlight()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._highlight()

    def _highlight(self) -> None:
        focused = self.screen.focused
        inside = focused is not None and self in focused.ancestors
        accent = Color.parse(self.app.theme_variables.get("accent", "ansi_cyan"))
        self.styles.border = ("round", accent if inside else accent.with_alpha(0.6))

    def compose(self) -> ComposeResult:
        yield Label("run ▸", id="run-label")
        targets = run_targets(self._config)
        yield Select(
            targets,
            prompt="target",
            allow_blank=not targets,
            value=targets[0][1] if targets else Select.NULL,
            id="run-target",
            compact=True,
        )
        run_input = Input(placeholder="input, then Enter", id="run-input")
        run_input.cursor_blink = self._blink
        yield run_input
        yield Label("", id="run-status")

    def show_running(self, count: int) -> None:
        """How many runs are going (and how to stop one), at the right of the bar."""
        status = self.query_one("#run-status", Label)
        # A fixed-width cell: the text changes without a new layout of the screen.
        text = f"● {count} running" + ("" if is_narrow(self.app) else " · x cancel")
        status.update(text if count else "", layout=False)
        status.set_class(count > 0, "-running")

    @property
    def target(self) -> Target | None:
        value = self.query_one("#run-target", Select).value
        return parse_target(value) if isinstance(value, str) else None

    def choose(self, kind: RunKind, target: str) -> None:
        """Select a target and put the cursor in the input (the palette's "run …")."""
        select = self.query_one("#run-target", Select)
        value = f"{kind}:{target}"
        if value in {v for _, v in run_targets(self._config)}:
            select.value = value
        self.query_one("#run-input", Input).focus()

    def set_config(self, config: Config) -> None:
        """Offer the targets of a reloaded config, keeping the current choice if it lives on."""
        self._config = config
        select: Select[str] = self.query_one("#run-target", Select)
        current = select.value
        targets = run_targets(config)
        select.set_options(targets)
        values = [value for _, value in targets]
        if isinstance(current, str) and current in values:
            select.value = current
        elif values:
            select.value = values[0]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        target = self.target
        if target is None:
            self.notify(
                "nothing to run: this config has no workflows, skills or agents", severity="warning"
            )
            return
        if not event.value.strip():
            # An Enter on nothing is a stray key, not a question: no run on an empty input.
            self.notify(
                f"type an input first: Enter runs {target[0]} {target[1]} on it", markup=False
            )
            return
        self.post_message(self.Submitted(target[0], target[1], event.value))
        event.input.clear()
