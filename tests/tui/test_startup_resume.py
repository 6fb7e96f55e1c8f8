"""`axo dev` at start-up: it resumes the runs a crash left unfinished a few at a time, says
so in the log (and which interrupted runs it leaves alone), and the run bar counts them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Label

from axo_tui.core.config import load_config
from axo_tui.tui.app import AxoApp
from tests.support.crash_project import crash_three_and_interrupt_one, write_project
from tests.support.echo_openai import running_fake
from tests.support.tui import log_text, wait_until


async def test_start_up_resumes_crashed_runs_two_at_a_time_and_says_so(
    tmp_path: Path, make_app: Callable[..., AxoApp]
) -> None:
    with running_fake(delay=0.0) as fake:
        path = write_project(tmp_path / "crash", fake.base_url("t"))
        await crash_three_and_interrupt_one(load_config(path), path.parent / ".axo", fake)
        fake.held.add(("t", "c"))  # the resumed runs stop at c again, so they stay running
        app = make_app(path)
        # Batches delivered at once: the resumed runs are announced before the screen mounts.
        app.bridge.frame = app.bridge.busy_frame = 0.0
        async with app.run_test(size=(120, 40)) as pilot:
            status = app.screen.query_one("#run-status", Label)
            await wait_until(
                pilot, lambda: str(status.render()) == "● 2 running · x cancel", what="2 running"
            )
            text = log_text(app)
            assert "resuming 3 runs a crash left unfinished, 2 at a time" in text
            assert "1 interrupted run is left alone" in text
            fake.release("t", "c")
            await wait_until(
                pilot,
                lambda: sum(run.status == "completed" for run in app.model.runs.values()) == 3,
                what="the three resumed runs",
            )
            await wait_until(pilot, lambda: str(status.render()) == "", what="none running")
            record = app.bridge.runtime.journal.get_run("stopped")
            assert record is not None and record.status == "interrupted"
