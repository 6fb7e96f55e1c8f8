"""At most one redraw per interval for the status widgets (lattice, agents table).

Under a flood the bridge hands the widgets a batch every frame (~30 a second) and the agents'
state really does change in most of them (an activation starts or ends every few frames).
The log must take every line, but a status panel redrawn 30 times a second shows nothing a
reader can follow, and redrawing costs: the agents table re-renders every cell on any update.
So these widgets redraw at once after a quiet spell, and otherwise once at the end of the
interval, from the state at that moment: never more than 100 ms behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.timer import Timer
from textual.widget import Widget

INTERVAL = 0.1


class Throttle:
    """`request()` runs `action` now, or once at the end of the current interval."""

    def __init__(
        self, widget: Widget, action: Callable[[], None], *, interval: float = INTERVAL
    ) -> None:
        self._widget = widget
        self._action = action
        self.interval = interval
        self._last = float("-inf")
        self._timer: Timer | None = None

    @property
    def pending(self) -> bool:
        return self._timer is not None

    def request(self) -> None:
        if self._timer is not None:
            return  # already due: that run will read the state this request is about
        wait = self._last + self.interval - time.monotonic()
        if wait <= 0:
            self._run()
        else:
            self._timer = self._widget.set_timer(wait, self._run, name="throttle")

    def _run(self) -> None:
        self._timer = None
        self._last = time.monotonic()
        self._action()
