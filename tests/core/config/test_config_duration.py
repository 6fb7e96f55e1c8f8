"""parse_duration: the `every` syntax."""

from __future__ import annotations

import pytest

from axo_tui.core.config import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("7d", 604800.0),
        ("1h30m", 5400.0),
        ("1h 30m", 5400.0),
        ("500ms", 0.5),
        ("1.5h", 5400.0),
        ("1d2h3m4s5ms", 93784.005),
        (" 10s ", 10.0),
    ],
)
def test_valid_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0s", "is zero"),
        ("0h0m", "is zero"),
        ("-5m", "is negative"),
        ("", "empty duration"),
        ("30", "is not a duration"),
        ("soon", "is not a duration"),
        ("5min", "is not a duration"),
        ("5 minutes", "is not a duration"),
        ("30m1h", "smallest first"),
        ("1h1h", "repeats a unit"),
        ("1H", "is not a duration"),
        ("1e3s", "is not a duration"),
        ("9" * 30 + "s", "is not a duration"),
    ],
)
def test_invalid_durations(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)
