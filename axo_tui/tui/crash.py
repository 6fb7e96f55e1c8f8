"""Where an unexpected error in the TUI goes: a report file, not the user's terminal."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

DEBUG_ENV = "AXO_DEBUG"


def debug_enabled() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def write_crash_report(error: BaseException, state_dir: Path) -> str | None:
    """Save the traceback under `<state>/logs/` and return the line to show the user;
    None when AXO_DEBUG asks for the full traceback on screen instead."""
    if debug_enabled():
        return None
    summary = f"axo stopped on an unexpected error: {type(error).__name__}: {error}"
    try:
        directory = state_dir / "logs"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        path.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
    except OSError:
        return f"{summary}\n(set {DEBUG_ENV}=1 to see the traceback)"
    return f"{summary}\nthe full report is in {path} (set {DEBUG_ENV}=1 to see it here)"
