"""At most one redraw per interval for the status widgets (lattice, agents table).

Under a flood the bridge hands the widgets a batch every frame (~30 a second) and the agents'
state really does change in most of them (an activation starts or ends every few frames).
The log must take every line, but a status panel redrawn 30 times a second shows nothing a
reader can follow, and redrawing costs: the agents table re-renders every cell on any update.
So these widgets redraw at once after a quiet spell, and otherwise with the first batch once
the interval is over, from the state at that moment.

Redrawing with a batch, not on a timer of its own, matters as much: every screen refresh
costs the compositor a pass, and a panel on its own clock adds refreshes between the
batches'. The timer is only the fallback for when no batch follows (the last state of a
run), `GRACE` after the interval: never more than INTERVAL + GRACE behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.timer import Timer
from textual.widget import Widget

INTERVAL = 0.2
"""Five redraws a second: under a flood the bridge delivers a batch every ~1/15 s, so a
status panel redraws with every third batch, in the batch's own frame."""
GRACE = 0.05
"""How long after the interval the fallback timer waits for a batch to come and redraw."""


class Throttle:
    """`request()` runs `action` now if the last run is `interval` old, otherwise later: with
    the first request after that, or by a timer when none comes."""

    def __init__(
        self,
        widget: Widget,
        action: Callable[[], None],
        *,
        interval: float = INTERVAL,
        grace: float = GRACE,
    ) -> None:
        self._widget = widget
        self._action = action
        self.interval = interval
        self.grace = grace
        self._last = float("-inf")
        self._timer: Timer | None = None

    @property
    def pending(self) -> bool:
        return self._timer is not None

    def request(self) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._run(now)
        elif self._timer is None:
            wait = self._last + self.interval + self.grace - now
            self._timer = self._widget.set_timer(wait, self._fire, name="throttle")

    def _fire(self) -> None:
        self._timer = None
        self._run(time.monotonic())

    def _run(self, now: float) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._last = now
        self._action()
