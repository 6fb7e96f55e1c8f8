"""Quitting the workbench while a run goes: the run is recorded `interrupted` (resumable with
`axo runs resume`, left alone at the next start), never left `running`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from axo_tui.core.store.journal import Journal
from axo_tui.tui.app import AxoApp
from tests.support.tui import add_wait_tool, start_slow_run


async def test_q_mid_run_records_it_interrupted(
    make_app: Callable[..., AxoApp], slow_project: Path
) -> None:
    entered: list[str] = []
    app = make_app(slow_project)
    add_wait_tool(app, entered)
    state_dir = app.bridge.runtime.state_dir
    async with app.run_test(size=(120, 40)) as pilot:
        run_id = await start_slow_run(pilot, app, entered)
        await pilot.press("escape", "q")
    journal = Journal(state_dir / "axo.db")
    try:
        record = journal.get_run(run_id)
        assert record is not None and record.status == "interrupted"
    finally:
        journal.close()
