"""Knobs of the workbench that tests (and users with odd terminals) need to turn."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from axo_tui.core.runtime.runtime import Runtime

Companion = Callable[["Runtime", Callable[[str], None]], Awaitable[None]]


@dataclass(frozen=True)
class WorkbenchSettings:
    show_times: bool = True
    """Clock times in the log and "reloaded 2s ago" in the header. Snapshot tests turn them
    off: a screenshot must not depend on when it was taken."""
    animate: bool = True
    """Pulses decay in real time and the cursor blinks. Off: a still picture."""
    watch_config: bool = True
    """Reload the config file when it changes on disk."""
    notify_runs: bool = True
    """A toast when a run finishes."""
    clock: Callable[[], float] = field(default=time.time)
    """Wall-clock source for pulses; tests pass a frozen one."""
    reload_debounce_ms: int = 50
    """How long watchfiles waits for an editor's burst of writes to settle."""
    companions: tuple[Companion, ...] = ()
    """Jobs that run beside the workbench on its runtime until it quits (`axo dev --serve`
    serves the HTTP API); each is given the runtime and a way to tell the user."""


def frozen_clock(at: float = 1_700_000_000.0) -> Callable[[], float]:
    """A clock that never moves, for deterministic pictures."""
    return lambda: at
