"""Tier 2 storage: daily JSONL files, ranges, truncation, torn lines, forgetting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from axo_tui.core.memory.activity_log import (
    MAX_OUTPUT_CHARS,
    ActivityLog,
    ActivityLogError,
    DayRange,
    parse_range,
    render_entries,
)

TODAY = dt.date(2025, 3, 10)


def test_ranges_accept_a_day_or_from_to_and_refuse_nonsense() -> None:
    assert parse_range({"date": "2025-03-01"}) == DayRange(dt.date(2025, 3, 1), dt.date(2025, 3, 1))
    assert parse_range({"from": "2025-03-01"}, today=TODAY) == DayRange(dt.date(2025, 3, 1), TODAY)
    assert parse_range({"to": "2025-03-02"}).start == dt.date(2025, 3, 2)
    month = parse_range({"from": "2025-02-01", "to": "2025-03-03"})
    assert len(list(month.days())) == 31
    with pytest.raises(ActivityLogError, match="covers 32 days; at most 31"):
        parse_range({"from": "2025-02-01", "to": "2025-03-04"})
    with pytest.raises(ActivityLogError, match="is after 'to'"):
        parse_range({"from": "2025-03-04", "to": "2025-03-01"})
    with pytest.raises(ActivityLogError, match="give either"):
        parse_range({})
    with pytest.raises(ActivityLogError, match="'from' must be a date as YYYY-MM-DD"):
        parse_range({"from": "03/01/2025"})


def test_entries_are_read_back_in_order_and_a_torn_line_is_skipped(tmp_path: Path) -> None:
    log = ActivityLog(tmp_path)
    log.append("a", "user", content="hello", session_id="s1", run_id="r1")
    log.append("a", "assistant", content="hi there", session_id="s1", run_id="r1")
    today = dt.date.today()
    with log.day_path("a", today).open("a", encoding="utf-8") as handle:
        handle.write('{"ts": "2025-01-01T00:00:00", "kind": "us')  # a crash mid-line
    entries = log.read("a", DayRange(today, today))
    assert [(e["kind"], e["content"]) for e in entries] == [
        ("user", "hello"),
        ("assistant", "hi there"),
    ]
    assert log.days("a") == [today]
    assert log.read("nobody", DayRange(today, today)) == []


def test_rendering_is_cut_with_a_note_saying_how_to_narrow_it() -> None:
    entries = [
        {"ts": f"2025-03-10T10:{i % 60:02d}:00", "kind": "user", "content": "x" * 300}
        for i in range(200)
    ]
    text = render_entries(entries, DayRange(TODAY, TODAY))
    assert len(text) <= MAX_OUTPUT_CHARS + 200
    assert "more entries not shown; ask for a single day or a narrower range" in text
    assert text.startswith("activity 2025-03-10 (200 entries):")
    empty = render_entries([], DayRange(TODAY, TODAY + dt.timedelta(days=2)))
    assert empty == "no activity recorded for 2025-03-10 to 2025-03-12"


def test_forget_before_a_day_or_all(tmp_path: Path) -> None:
    log = ActivityLog(tmp_path)
    for day in ("2025-03-01", "2025-03-02", "2025-03-03"):
        path = log.day_path("a", dt.date.fromisoformat(day))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"kind": "user", "content": "x"}\n')
    assert log.forget("a", dt.date(2025, 3, 3)) == 2
    assert log.days("a") == [dt.date(2025, 3, 3)]
    assert log.forget("a") == 1 and log.days("a") == []


def test_the_kept_open_day_file_follows_deletion_and_the_open_file_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import axo_tui.core.memory.activity_log as activity_log

    clock = [1000.0]
    monkeypatch.setattr(activity_log.time, "monotonic", lambda: clock[0])
    log = ActivityLog(tmp_path)
    today = dt.datetime.now().astimezone().date()
    one_day = DayRange(today, today)
    log.append("a", "user", content="one")
    log.day_path("a", today).unlink()  # `axo gc` in another process, or a person
    clock[0] += activity_log.REOPEN_CHECK_SECS  # noticed at the next check
    log.append("a", "user", content="two")
    assert [e["content"] for e in log.read("a", one_day)] == ["two"]
    log.forget("a")
    log.append("a", "user", content="three")
    assert [e["content"] for e in log.read("a", one_day)] == ["three"]
    for index in range(activity_log.MAX_OPEN_FILES + 5):
        log.append(f"agent{index}", "user", content="x")
    assert len(log._open) == activity_log.MAX_OPEN_FILES
    log.append("a", "assistant", content="four")  # closed by the cap: reopened
    assert [e["content"] for e in log.read("a", one_day)] == ["three", "four"]
    log.close()
    assert log._open == {}
