"""Runs stopped on purpose (`Runtime.interrupt_runs`, what Ctrl+C does) and runs cut by a
crash: a start-up resumes the crashed ones, a few at a time, says so, and leaves the
interrupted ones to the user; resuming an interrupted turn keeps its session in order."""

from __future__ import annotations

from pathlib import Path

from axo_tui.core.events.catalog import RunCompleted, RunStarted, RuntimeNotice
from axo_tui.core.runtime.build import build_runtime
from tests.support.crash_project import (
    chat_config,
    chat_turn,
    crash_config,
    crash_three_and_interrupt_one,
    crash_while_held,
    interrupt_while_held,
)
from tests.support.echo_openai import FakeOpenAI, reply_text


async def test_start_up_resumes_crashed_runs_a_few_at_a_time_and_leaves_interrupted_ones(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    config, data = crash_config(tmp_path, fake), tmp_path / ".axo"
    await crash_three_and_interrupt_one(config, data, fake)
    async with build_runtime(config, data_dir=data) as runtime:
        seen = runtime.bus.subscribe(
            kinds=frozenset({"run.started", "run.completed", "runtime.warning"})
        )
        stopped = runtime.stopped_runs()
        assert [r.id for r in stopped.crashed] == ["r0", "r1", "r2"]
        assert [r.id for r in stopped.interrupted] == ["stopped"]
        results = await runtime.resume_unfinished(at_once=1)
        events = seen.drain()
        record = runtime.journal.get_run("stopped")
    assert [r.run_id for r in results] == ["r0", "r1", "r2"]
    assert all(r.status == "completed" for r in results)
    assert record is not None and record.status == "interrupted"
    [notice] = [e.message for e in events if isinstance(e, RuntimeNotice) and e.run_id is None]
    assert "resuming 3 runs a crash left unfinished, 1 at a time" in notice
    assert "1 interrupted run is left alone" in notice
    # One at a time: each resumed run ends before the next one starts.
    order = [
        (type(e).__name__, e.run_id) for e in events if isinstance(e, RunStarted | RunCompleted)
    ]
    assert order == [
        (kind, run_id) for run_id in ("r0", "r1", "r2") for kind in ("RunStarted", "RunCompleted")
    ]


async def test_interrupted_chat_turn_resumes_in_its_session_once(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    config, data = chat_config(tmp_path, fake), tmp_path / ".axo"
    await interrupt_while_held(config, data, fake, "pal", chat_turn("lost?"))
    async with build_runtime(config, data_dir=data) as runtime:
        [record] = runtime.journal.list_runs(status="interrupted")
        [attempt] = runtime.journal.activations(record.id)
        assert attempt.status == "interrupted" and "Ctrl+C" in (attempt.error or "")
        assert await runtime.resume_unfinished() == []  # not without being asked
        result = await runtime.resume_run(record.id)
        session = runtime.journal.load_session("chat:s")
    assert result.status == "completed"
    assert [(m.role, m.content) for m in session] == [
        ("user", "lost?"),
        ("assistant", reply_text("pal", "lost?")),
    ]


async def test_cancel_a_crashed_run_from_another_runtime(tmp_path: Path, fake: FakeOpenAI) -> None:
    config, data = crash_config(tmp_path, fake), tmp_path / ".axo"
    await crash_while_held(
        config, data, fake, "c", lambda rt: rt.run_workflow("crash", "q", run_id="r")
    )
    async with build_runtime(config, data_dir=data) as runtime:
        result = await runtime.cancel_run("r")
        statuses = {a.agent_id: a.status for a in runtime.journal.activations("r")}
        assert await runtime.resume_unfinished() == []
    assert result.status == "cancelled"
    assert statuses["c"] == "cancelled" and statuses["a"] == "completed"
