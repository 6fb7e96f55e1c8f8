"""Component styles that stay computed until the stylesheet or the theme changes.

Textual caches `get_component_rich_style`, but every `refresh()` of the widget drops that
cache, and the widgets here refresh on every batch of events. Recomputing a style walks all
the widget's ancestors to blend their backgrounds, and a log line or a lattice frame needs
several: under a flood that would be most of the log's time. A style only changes when
the styles are re-applied (a CSS or theme change, a pseudo-class such as `:focus`), and
Textual tells the widget through `notify_style_update`, so the owner clears this memo there.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from textual.widget import Widget


class StyleMemo:
    """`memo("log--run")` is `widget.get_component_rich_style("log--run")`, computed once."""

    def __init__(self, widget: Widget) -> None:
        self._widget = widget
        self._styles: dict[str, Style] = {}

    def __call__(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self._widget.get_component_rich_style(name)
        return style

    def clear(self) -> None:
        self._styles.clear()

    def watch_theme(self, changed: Callable[[], None]) -> None:
        """Call `changed` once a theme change has been applied (the owner clears the memo
        and whatever it rendered with the old styles).

        A theme change re-applies the stylesheet, which notifies every widget anyway; this
        covers the case where the widget's own rules come out unchanged while the colours its
        component classes resolve to do not. Call from `on_mount` (the app must exist).
        """
        self._widget.app.theme_changed_signal.subscribe(self._widget, lambda _theme: changed())
