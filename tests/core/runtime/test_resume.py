"""Resume after a crash, in-process: the crash is a runtime torn down mid-call.

A held request at the fake server keeps one agent mid-call; the run's task is then cancelled
and the runtime closed without finishing anything, which leaves the journal exactly as a
kill -9 would (the run and the activation `running`, the user message saved, the owner's lock
released). The crash harness does the same with real SIGKILLs; these tests pin each rule.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from axo_tui.core.config.schema import SkillConfig
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runs import RunResult
from axo_tui.core.runtime.runtime import RunError
from axo_tui.core.store.journal import SCHEMA_VERSION, Journal
from tests.support.builders import agent, make_config
from tests.support.crash_project import (
    AGENTS,
    chat_config,
    chat_then_crash,
    chat_turn,
    crash_config,
    crash_while_held,
    fake_provider,
    until,
)
from tests.support.echo_openai import FakeOpenAI, reply_text


def completed_agents(journal: Journal, run_id: str) -> set[str]:
    return {a.agent_id for a in journal.activations(run_id) if a.status == "completed"}


async def test_workflow_resumes_without_rerunning_completed_activations(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    data = tmp_path / ".axo"
    await crash_while_held(
        crash_config(tmp_path, fake),
        data,
        fake,
        "c",
        lambda rt: rt.run_workflow("crash", "q", run_id="r1"),
        settled=lambda journal: completed_agents(journal, "r1") == {"a", "b", "d"},
    )
    async with build_runtime(crash_config(tmp_path, fake, tag="resume"), data_dir=data) as runtime:
        [result] = await runtime.resume_unfinished()
        activations = runtime.journal.activations("r1")
        c_session = runtime.journal.load_session("run:r1:c")
    assert result.run_id == "r1" and result.status == "completed"
    # Only the interrupted agent and the one waiting on it were sent on resume.
    assert [a for a in AGENTS if fake.count("resume", a)] == ["c", "e"]
    assert [(a.agent_id, a.status) for a in activations if a.status != "completed"] == [
        ("c", "interrupted")
    ]
    interrupted = next(a for a in activations if a.status == "interrupted")
    assert interrupted.error is not None and "interrupted" in interrupted.error
    assert [m.role for m in c_session] == ["user", "assistant"]
    assert result.outputs["c"] == reply_text("c", c_session[0].content)
    assert result.activations == 5


async def test_resumed_output_equals_an_uninterrupted_run(tmp_path: Path, fake: FakeOpenAI) -> None:
    clean_config = crash_config(tmp_path, fake, tag="clean")
    async with build_runtime(clean_config, data_dir=tmp_path / "clean") as runtime:
        clean = await runtime.run_workflow("crash", "q", run_id="r1")
    data = tmp_path / ".axo"
    await crash_while_held(
        crash_config(tmp_path, fake),
        data,
        fake,
        "d",
        lambda rt: rt.run_workflow("crash", "q", run_id="r1"),
    )
    async with build_runtime(crash_config(tmp_path, fake, tag="resume"), data_dir=data) as runtime:
        [resumed] = await runtime.resume_unfinished()
    assert resumed.output == clean.output
    assert resumed.outputs == clean.outputs


async def test_a_run_of_a_live_process_is_not_resumed(tmp_path: Path, fake: FakeOpenAI) -> None:
    config = crash_config(tmp_path, fake)
    data = tmp_path / ".axo"
    fake.held.add(("t", "a"))
    async with build_runtime(config, data_dir=data) as owner:
        task = asyncio.ensure_future(owner.run_workflow("crash", "q", run_id="live"))
        await until(lambda: fake.count("t", "a") == 1)
        async with build_runtime(config, data_dir=data) as other:
            assert await other.resume_unfinished() == []
            with pytest.raises(RunError, match="still running in another axo process"):
                await other.resume_run("live")
        fake.release("t", "a")
        result = await task
    assert result.status == "completed"
    assert fake.count("t", "a") == 1


async def test_chat_turn_reruns_in_its_session_without_a_duplicate_user_message(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    config, data = chat_config(tmp_path, fake), tmp_path / ".axo"
    await chat_then_crash(config, data, fake)
    async with build_runtime(config, data_dir=data) as runtime:
        assert [m.role for m in runtime.journal.load_session("chat:s")] == [
            "user",
            "assistant",
            "user",  # saved before the crash
        ]
        [result] = await runtime.resume_unfinished()
        session = runtime.journal.load_session("chat:s")
    assert result.kind == "chat" and result.status == "completed"
    assert [(m.role, m.content) for m in session] == [
        ("user", "first"),
        ("assistant", reply_text("pal", "first")),
        ("user", "second"),
        ("assistant", reply_text("pal", "second")),
    ]


async def test_chat_session_that_moved_on_is_not_reordered(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    config, data = chat_config(tmp_path, fake), tmp_path / ".axo"
    await crash_while_held(config, data, fake, "pal", chat_turn("lost?"))
    async with build_runtime(config, data_dir=data) as runtime:
        # The user went on chatting before anything resumed the crashed turn.
        await chat_turn("next")(runtime)
        [result] = await runtime.resume_unfinished()
        session = runtime.journal.load_session("chat:s")
        statuses = [a.status for a in runtime.journal.activations(result.run_id)]
    assert result.status == "failed"  # resuming it again could only give up again
    assert "moved on" in (result.errors["pal"])
    assert statuses == ["interrupted"]
    assert [m.content for m in session if m.role == "user"] == ["lost?", "next"]


async def test_skill_run_ends_failed_with_a_reason(tmp_path: Path, fake: FakeOpenAI) -> None:
    config = make_config(
        tmp_path,
        [agent("w", provider="fake", model="w")],
        skills=[SkillConfig("review", agents=("w",), prompt="Review.")],
        providers=[fake_provider(fake)],
    )
    data = tmp_path / ".axo"
    await crash_while_held(config, data, fake, "w", lambda rt: rt.fire_skill("review", "x"))
    async with build_runtime(config, data_dir=data) as runtime:
        [result] = await runtime.resume_unfinished()
        record = runtime.journal.get_run(result.run_id)
        activations = runtime.journal.activations(result.run_id)
    assert result.kind == "skill" and result.status == "failed"
    assert record is not None and record.status == "failed"
    assert record.error is not None and "fire it again" in record.error
    assert [a.status for a in activations] == ["interrupted"]


async def test_run_whose_last_activation_finished_is_closed_not_rerun(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    config = crash_config(tmp_path, fake)
    data = tmp_path / ".axo"
    async with build_runtime(config, data_dir=data) as runtime:
        done = await runtime.run_workflow("crash", "q", run_id="r1")
        # The crash point between the last activation's row and the run's row.
        runtime.journal.connection.execute(
            "UPDATE runs SET status='running', owner=NULL WHERE id='r1'"
        )
    async with build_runtime(crash_config(tmp_path, fake, tag="resume"), data_dir=data) as runtime:
        [result] = await runtime.resume_unfinished()
    assert result.status == "completed" and result.output == done.output
    assert not any(fake.count("resume", a) for a in AGENTS)


async def test_resume_refuses_unknown_and_finished_runs(tmp_path: Path, fake: FakeOpenAI) -> None:
    async with build_runtime(crash_config(tmp_path, fake), data_dir=tmp_path / ".axo") as runtime:
        await runtime.run_workflow("crash", "q", run_id="r1")
        with pytest.raises(RunError, match="already ended"):
            await runtime.resume_run("r1")
        with pytest.raises(RunError, match="no run 'zz'"):
            await runtime.resume_run("zz")
        assert await runtime.resume_unfinished() == []


async def test_resume_twice_concurrently_runs_once(tmp_path: Path, fake: FakeOpenAI) -> None:
    data = tmp_path / ".axo"
    await crash_while_held(
        crash_config(tmp_path, fake),
        data,
        fake,
        "a",
        lambda rt: rt.run_workflow("crash", "q", run_id="r1"),
    )
    config = crash_config(tmp_path, fake, tag="resume")
    async with (
        build_runtime(config, data_dir=data) as one,
        build_runtime(config, data_dir=data) as two,
    ):
        results: list[list[RunResult]] = list(
            await asyncio.gather(one.resume_unfinished(), two.resume_unfinished())
        )
    assert sorted(len(r) for r in results) == [0, 1]
    assert all(fake.count("resume", a) == 1 for a in AGENTS)


def test_cli_runs_resume(tmp_path: Path, fake: FakeOpenAI) -> None:
    from axo_tui.cli.app import app
    from tests.support.crash_project import write_project

    config_path = write_project(tmp_path, fake.base_url("t"))
    from axo_tui.core.config import load_config

    asyncio.run(
        crash_while_held(
            load_config(config_path),
            tmp_path / ".axo",
            fake,
            "b",
            lambda rt: rt.run_workflow("crash", "q", run_id="cli-run"),
        )
    )
    runner = CliRunner()
    done = runner.invoke(app, ["--config", str(config_path), "runs", "resume"])
    assert done.exit_code == 0, done.output
    assert "cli-run" in done.output and "completed" in done.output
    again = runner.invoke(app, ["--config", str(config_path), "runs", "resume"])
    assert again.exit_code == 0 and "nothing to resume" in again.output
    missing = runner.invoke(app, ["--config", str(config_path), "runs", "resume", "nope"])
    assert missing.exit_code == 1 and "no run 'nope'" in missing.output
    assert "Traceback" not in missing.output


def test_a_schema_1_journal_is_migrated(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "axo.db"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE runs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL,
            input TEXT NOT NULL, status TEXT NOT NULL, output TEXT, error TEXT,
            failed TEXT NOT NULL DEFAULT '[]', skipped TEXT NOT NULL DEFAULT '[]',
            created_at REAL NOT NULL, finished_at REAL);
        CREATE TABLE activations (id TEXT PRIMARY KEY, run_id TEXT NOT NULL,
            agent_id TEXT NOT NULL, trigger TEXT NOT NULL, input TEXT NOT NULL,
            status TEXT NOT NULL, output TEXT, error TEXT, started_at REAL NOT NULL,
            finished_at REAL);
        INSERT INTO runs VALUES ('old', 'workflow', 'w', 'in', 'completed', 'out', NULL,
            '[]', '[]', 1.0, 2.0);
        PRAGMA user_version=1;
        """
    )
    db.close()
    journal = Journal(path)
    run = journal.get_run("old")
    assert run is not None and run.output == "out"
    assert journal.run_owner("old") is None
    assert journal.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    journal.close()


async def test_rerun_names_the_side_effects_that_may_repeat(tmp_path: Path) -> None:
    from axo_tui.core.tools import Tool, ToolRegistry
    from axo_tui.core.tools.builtins import BUILTIN_TOOLS
    from tests.support.builders import scripted, step

    sent: list[str] = []
    gate = asyncio.Event()

    async def send_mail(context: object, arguments: dict[str, Any]) -> str:
        sent.append(str(arguments["to"]))
        await gate.wait()
        return "sent"

    mail = Tool(
        "send_mail",
        "Send a mail.",
        {"type": "object", "properties": {"to": {"type": "string"}}, "required": ["to"]},
        send_mail,
        idempotent=False,
    )
    tools = ToolRegistry([*BUILTIN_TOOLS, mail])
    config = make_config(
        tmp_path,
        [agent("m", tools=("send_mail", "current_time"))],
        providers=[scripted({"m": [step("", ("send_mail", {"to": "bob"})), "done"]})],
    )
    runtime = build_runtime(config, tools=tools)
    runtime.start()
    task = asyncio.ensure_future(runtime.run_agent("m", "mail bob"))
    await until(lambda: sent == ["bob"])
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await runtime.close()
    gate.set()
    async with build_runtime(config, tools=tools) as runtime:
        [result] = await runtime.resume_unfinished()
        [interrupted] = [
            a for a in runtime.journal.activations(result.run_id) if a.status == "interrupted"
        ]
        warnings = [
            e["message"] for e in runtime.journal.events() if e["kind"] == "runtime.warning"
        ]
    assert result.ok and result.output == "done"
    assert sent == ["bob", "bob"]  # at-least-once, as documented, and said out loud:
    assert interrupted.error is not None and 'send_mail({"to": "bob"})' in interrupted.error
    assert any("side effects may repeat" in w and "send_mail" in w for w in warnings)
