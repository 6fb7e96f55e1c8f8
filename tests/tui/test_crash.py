"""An unexpected error in the TUI: a report file and one line, not a traceback on screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from axo_tui.tui.crash import write_crash_report


def boom() -> None:
    raise ValueError("the widget fell over")


def test_crash_report_saves_the_traceback_and_returns_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AXO_DEBUG", raising=False)
    try:
        boom()
    except ValueError as exc:
        message = write_crash_report(exc, tmp_path)
    assert message is not None
    first, second = message.splitlines()
    assert first == "axo stopped on an unexpected error: ValueError: the widget fell over"
    report = Path(second.split(" is in ")[1].split(" (set")[0])
    assert report.parent == tmp_path / "logs"
    assert "Traceback" in report.read_text() and "boom" in report.read_text()


def test_axo_debug_keeps_the_full_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AXO_DEBUG", "1")
    assert write_crash_report(ValueError("x"), tmp_path) is None
    assert not (tmp_path / "logs").exists()
