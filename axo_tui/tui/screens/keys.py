"""The key overview (`?` or F1): what each key does on the screen it was opened from."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from axo_tui.tui.widgets.footer import QuietFocus

Section = tuple[str, tuple[tuple[str, str], ...]]

WORKBENCH_KEYS: tuple[Section, ...] = (
    (
        "Run",
        (
            ("r  ctrl+r", "type in the run bar; Enter runs the chosen target on it"),
            ("esc", "leave the run bar (these keys work again)"),
            ("x", "cancel a running run"),
        ),
    ),
    (
        "Panels",
        (
            ("a", "agents: ↑↓ choose, Enter filters the log, c chats"),
            ("l", "log: ↑↓ pgup pgdn home; end follows again"),
            ("tab  shift+tab", "next / previous panel"),
            ("f", "filter the log by agent or run"),
            ("m", "memory of the agent chosen in agents"),
        ),
    ),
    (
        "Screens",
        (
            ("ctrl+t", "chat with an agent"),
            ("ctrl+e", "events, payloads and spend"),
            ("b", "auctions of the latest coordinator pass, live"),
            ("t", "trace: a run as a tree (agents, model calls, tools, tokens, cost)"),
            ("w", "WASM tools: their grants and whether each module is approved"),
            ("ctrl+p", "every action, searchable"),
            ("? f1", "this overview"),
            ("q  ctrl+q", "quit (runs still going are stopped as interrupted)"),
        ),
    ),
)

CHAT_KEYS: tuple[Section, ...] = (
    (
        "Chat",
        (
            ("enter", "send the message"),
            ("ctrl+c", "stop the answer being written; on an empty line: quit"),
            ("ctrl+d", "quit, on an empty line (in axo dev: back to the workbench)"),
            ("esc", "back to the workbench (in axo dev)"),
            ("ctrl+n", "start a new session"),
            ("ctrl+l", "choose another agent"),
            ("/help", "the slash commands: /reset /session /tokens /agent /quit"),
            ("f1", "this overview"),
        ),
    ),
)


def keys_text(sections: tuple[Section, ...]) -> Content:
    width = max(len(keys) for _title, rows in sections for keys, _what in rows) + 2
    parts: list[Content] = []
    for title, rows in sections:
        parts.append(Content.styled(title, "bold"))
        parts.extend(
            Content.assemble(("  " + keys.ljust(width), "$accent"), what) for keys, what in rows
        )
        parts.append(Content(""))
    return Content("\n").join(parts[:-1])


class KeysScreen(QuietFocus, ModalScreen[None]):
    """A modal list of keys; any of escape, q, ? or F1 closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss(None)", "close"),
    ]

    def __init__(self, sections: tuple[Section, ...]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="keys-dialog"):
            yield Label("Keys · esc closes", id="keys-title")
            yield Static(keys_text(self.sections), id="keys-list")


def bound_keys(title: str, bindings: list[Binding], display: dict[str, str]) -> Section:
    """A section of a screen's own bindings (those with a description), as keys show."""
    rows = tuple(
        (display.get(binding.key, binding.key), binding.description)
        for binding in bindings
        if binding.description
    )
    return (title, rows)
