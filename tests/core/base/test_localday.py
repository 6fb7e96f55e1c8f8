"""The remembered local day agrees with the standard library's, second by second."""

from __future__ import annotations

import datetime as dt
import time

from axo_tui.core.base import localday


def test_the_day_of_a_timestamp_is_its_local_date() -> None:
    start = time.mktime((2026, 3, 28, 23, 59, 58, 0, 0, -1))  # local time, across midnight
    for offset in (0.0, 1.0, 1.5, 2.0, 3.0, 86_400.0, -86_400.0, 0.0):
        moment = start + offset
        assert localday.day_of(moment) == time.strftime("%Y-%m-%d", time.localtime(moment))


def test_today_is_the_local_date_now() -> None:
    before = dt.date.today()
    assert localday.today() in (before, dt.date.today())
    assert localday.day_of(time.time()) == localday.today().isoformat()
