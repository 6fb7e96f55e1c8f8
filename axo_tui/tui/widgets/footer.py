"""Screens and a footer that take a focus change without redrawing the whole screen.

Textual repaints the whole screen when focus moves (the screen's `focused` reactive asks for
a repaint), and the footer recomposes, widget by widget, whenever the bindings might have
changed: on every focus change, twice. Under a flood that full frame is what a keypress
waited for, far longer than redrawing the widgets that really change.
The widgets whose look depends on focus (`:focus`, `:focus-within`) refresh themselves, so
the screen does not need to; and the footer only needs a new composition when the keys it
shows are different.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from axo_tui.tui.widgets.narrow import is_narrow

Shown = tuple[bool, tuple[tuple[str, str, str, bool, str], ...]]


class QuietFocus:
    """Mix into a screen class, before `Screen`: focus moves repaint only what changes."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)


class WorkbenchFooter(Footer):
    """A footer that recomposes only when the keys it shows change; on a narrow terminal
    it leaves out the keys of `narrow_hidden` (actions), which still work."""

    def __init__(self, *, narrow_hidden: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self._shown: Shown | None = None
        self._narrow_hidden = narrow_hidden

    def bindings_changed(self, screen: Screen[object]) -> None:
        shown = _shown_keys(screen)
        if shown == self._shown and self._bindings_ready:
            return
        self._shown = shown
        super().bindings_changed(screen)

    def on_resize(self) -> None:
        if (
            self._narrow_hidden
            and self._shown is not None
            and self._shown[0] != is_narrow(self.app)
        ):
            self.bindings_changed(self.screen)

    def compose(self) -> ComposeResult:
        hidden = self._narrow_hidden if is_narrow(self.app) else frozenset()
        for widget in super().compose():
            # FooterKeys carry their binding's action; the palette key and labels do not hide.
            if getattr(widget, "action", None) not in hidden:
                yield widget


def _shown_keys(screen: Screen[object]) -> Shown:
    return is_narrow(screen.app), tuple(
        (binding.key, binding.action, binding.description, enabled, tooltip)
        for _node, binding, enabled, tooltip in screen.active_bindings.values()
        if binding.show or binding.key == screen.app.COMMAND_PALETTE_BINDING
    )
