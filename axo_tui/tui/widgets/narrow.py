"""The width below which the workbench lays itself out for an 80×24 terminal."""

from __future__ import annotations

from textual.app import App

NARROW_WIDTH = 100
"""Below this many columns: no spend column, a shorter header and run bar status, and the
footer keeps the keys a newcomer needs first (`?` lists the others)."""


def is_narrow(app: App[object]) -> bool:
    return 0 < app.size.width < NARROW_WIDTH
