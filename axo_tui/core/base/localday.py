"""The local calendar day, for code that asks on every turn: remembered for the second.

A turn asks several times (its system prompt's date, its ledger row, its recall memory's day),
and `date.today()` and `strftime` each convert the clock to local time again.
"""

from __future__ import annotations

import datetime as dt
import time

_cache: tuple[int, dt.date, str] = (-1, dt.date.min, "")
"""The last whole second asked, its local day, and that day as YYYY-MM-DD."""


def _day(second: int) -> tuple[int, dt.date, str]:
    global _cache
    cached = _cache
    if cached[0] != second:
        moment = time.localtime(second)
        day = dt.date(moment.tm_year, moment.tm_mon, moment.tm_mday)
        cached = _cache = (second, day, day.isoformat())
    return cached


def today() -> dt.date:
    """The local date now."""
    return _day(int(time.time()))[1]


def day_of(timestamp: float) -> str:
    """The local date (YYYY-MM-DD) of a Unix timestamp."""
    return _day(int(timestamp))[2]
