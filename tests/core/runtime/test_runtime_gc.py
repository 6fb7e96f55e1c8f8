"""Garbage-collector tuning belongs to the `axo` process, not the library: a runtime leaves
the collector as it found it, and the `axo` entry point raises the young-generation
threshold (see `axo_tui.process_tuning`), leaving a higher one, or collection off, alone."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from axo_tui import process_tuning
from axo_tui.cli.main import run
from axo_tui.core.runtime.build import build_runtime
from axo_tui.process_tuning import GC_YOUNG_THRESHOLD
from tests.support.builders import agent, make_config


@pytest.fixture(autouse=True)
def restore_gc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    saved, enabled = gc.get_threshold(), gc.isenabled()
    monkeypatch.setattr(process_tuning, "tuned", False)
    yield
    gc.set_threshold(*saved)
    if enabled:
        gc.enable()


async def test_a_runtime_leaves_the_collector_alone(tmp_path: Path) -> None:
    gc.set_threshold(700, 10, 10)
    async with build_runtime(make_config(tmp_path, [agent("a")]), data_dir=tmp_path / ".axo"):
        assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ((700, 10, 10), (GC_YOUNG_THRESHOLD, 10, 10)),
        ((50_000, 5, 5), (50_000, 5, 5)),
        ((0, 10, 10), (0, 10, 10)),
    ],
)
def test_the_axo_entry_point_raises_a_lower_threshold_only(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    before: tuple[int, int, int],
    after: tuple[int, int, int],
) -> None:
    gc.set_threshold(*before)
    monkeypatch.setattr(sys, "argv", ["axo", "--help"])
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 0 and "Usage" in capsys.readouterr().out
    assert gc.get_threshold() == after
    assert process_tuning.tuned


def test_start_up_objects_are_frozen_only_in_the_axo_process() -> None:
    process_tuning.freeze_startup_objects()  # embedded: nothing happens
    assert gc.get_freeze_count() == 0
    process_tuning.tune_for_axo()
    process_tuning.freeze_startup_objects()
    try:
        assert gc.get_freeze_count() > 0
    finally:
        process_tuning.unfreeze()
    assert gc.get_freeze_count() == 0
