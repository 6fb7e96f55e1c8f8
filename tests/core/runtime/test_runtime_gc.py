"""The runtime raises the young-generation GC threshold when it starts (see
`engine.GC_YOUNG_THRESHOLD`), and leaves a higher one, or collection turned off, alone."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from axo_tui.core.runtime.runtime import GC_YOUNG_THRESHOLD, Runtime
from tests.support.builders import agent, make_config


@pytest.fixture(autouse=True)
def restore_gc() -> Iterator[None]:
    saved, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.set_threshold(*saved)
    if enabled:
        gc.enable()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ((700, 10, 10), (GC_YOUNG_THRESHOLD, 10, 10)),
        ((50_000, 5, 5), (50_000, 5, 5)),
        ((0, 10, 10), (0, 10, 10)),
    ],
)
async def test_start_raises_a_lower_threshold_only(
    tmp_path: Path, before: tuple[int, int, int], after: tuple[int, int, int]
) -> None:
    gc.set_threshold(*before)
    async with Runtime(make_config(tmp_path, [agent("a")]), data_dir=tmp_path / ".axo"):
        assert gc.get_threshold() == after
