"""Screens and a footer that take a focus change without redrawing the whole screen.

Textual repaints the whole screen when focus moves (the screen's `focused` reactive asks for
a repaint), and the footer recomposes, widget by widget, whenever the bindings might have
changed: on every focus change, twice. Under a flood that full frame is what a keypress
waited for (40-100 ms on a busy machine, against ~5 ms for the widgets that really change).
The widgets whose look depends on focus (`:focus`, `:focus-within`) refresh themselves, so
the screen does not need to; and the footer only needs a new composition when the keys it
shows are different.
"""

from __future__ import annotations

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

Shown = tuple[tuple[str, str, str, bool, str], ...]


class QuietFocus:
    """Mix into a screen class, before `Screen`: focus moves repaint only what changes."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)


class WorkbenchFooter(Footer):
    """A footer that recomposes only when the keys it shows change."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: Shown | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        shown = _shown_keys(screen)
        if shown == self._shown and self._bindings_ready:
            return
        self._shown = shown
        super().bindings_changed(screen)


def _shown_keys(screen: Screen[object]) -> Shown:
    return tuple(
        (binding.key, binding.action, binding.description, enabled, tooltip)
        for _node, binding, enabled, tooltip in screen.active_bindings.values()
        if binding.show or binding.key == screen.app.COMMAND_PALETTE_BINDING
    )
