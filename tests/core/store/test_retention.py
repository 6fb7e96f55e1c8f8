"""`axo gc`: old runs, events and checkpoints go; running runs, chats and the ledger stay."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from typer.testing import CliRunner

from axo_tui.core.config.schema import Config, WorkflowConfig
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.store.checkpoints import CheckpointStore
from axo_tui.core.store.journal import Journal
from axo_tui.core.store.retention import DAY, RetentionPolicy, collect_garbage
from tests.support.builders import agent, make_config, scripted

YAML = """
agents:
  - id: a
    provider: scripted
  - id: b
    provider: scripted
    depends_on: [a]
workflows:
  - id: w
    agents: [a, b]
providers:
  scripted:
    replies:
      a: ["A"]
      b: ["B"]
"""


def config_for(tmp_path: Path) -> Config:
    return make_config(
        tmp_path,
        [agent("a"), agent("b", "a")],
        workflows=[WorkflowConfig("w", ("a", "b"))],
        providers=[scripted({"a": ["A"], "b": ["B"]})],
    )


async def populate(tmp_path: Path) -> dict[str, str]:
    """Three old workflow runs, a new one, an old chat turn, and an unfinished old run."""
    async with build_runtime(config_for(tmp_path)) as runtime:
        old = [(await runtime.run_workflow("w", "old " + "x" * 2000)).run_id for _ in range(3)]
        new = (await runtime.run_workflow("w", "new")).run_id
        chat = (await runtime.run_agent("a", "hi", session_id="chat:keep", run_kind="chat")).run_id
        db = runtime.journal.connection
        long_ago = time.time() - 40 * DAY
        for age, run_id in enumerate((chat, *old)):  # distinct ages: a stable order
            db.execute("UPDATE runs SET created_at=? WHERE id=?", (long_ago - age, run_id))
            db.execute("UPDATE events SET ts=? WHERE run_id=?", (long_ago - age, run_id))
        # A crashed run from long ago: it may still be resumed, so it must stay.
        runtime.journal.create_run("stuck", "workflow", "w", "in")
        db.execute("UPDATE runs SET created_at=? WHERE id='stuck'", (long_ago - 100,))
    return {"old": old[0], "new": new, "chat": chat}


async def test_gc_deletes_old_finished_runs_and_keeps_the_rest(tmp_path: Path) -> None:
    ids = await populate(tmp_path)
    data = tmp_path / ".axo"
    journal = Journal(data / "axo.db")
    usage_before = journal.usage_report(group_by="agent")
    max_seq = journal.max_seq()
    store = CheckpointStore(data / "checkpoints")
    assert len(store.files("a")) == 3

    dry = collect_garbage(journal, store, RetentionPolicy(checkpoints_per_agent=1), dry_run=True)
    assert (dry.runs, dry.activations, dry.session_messages) == (4, 7, 12)
    assert dry.checkpoint_files == 4 and dry.bytes_freed is None
    assert len(journal.list_runs()) == 6  # a dry run deletes nothing
    assert len(store.files("a")) == 3

    report = collect_garbage(journal, store, RetentionPolicy(checkpoints_per_agent=1))
    assert (report.runs, report.activations, report.session_messages) == (4, 7, 12)
    assert report.events >= 4 * 3
    assert report.bytes_freed is not None and report.bytes_freed > 0
    assert report.note is None
    remaining = {run.id for run in journal.list_runs()}
    assert remaining == {ids["new"], "stuck"}
    assert journal.activations(ids["old"]) == []
    assert journal.events(run_id=ids["old"]) == []
    assert journal.load_session(f"run:{ids['old']}:a") == []
    assert len(journal.load_session(f"run:{ids['new']}:b")) == 2
    assert len(journal.load_session("chat:keep")) == 2  # a conversation is never collected
    assert journal.usage_report(group_by="agent") == usage_before  # nor is the ledger
    assert journal.max_seq() == max_seq  # the newest event stays: seq keeps counting up
    assert [len(store.files(agent)) for agent in ("a", "b")] == [1, 1]
    journal.close()
    async with build_runtime(config_for(tmp_path)) as runtime:
        await runtime.run_workflow("w", "again")  # the journal still works after VACUUM
        assert runtime.journal.max_seq() > max_seq


async def test_max_runs_keeps_the_newest(tmp_path: Path) -> None:
    ids = await populate(tmp_path)
    journal = Journal(tmp_path / ".axo" / "axo.db")
    store = CheckpointStore(tmp_path / ".axo" / "checkpoints")
    collect_garbage(journal, store, RetentionPolicy(run_days=365, max_runs=2))
    remaining = {run.id for run in journal.list_runs()}
    journal.close()
    # The two newest are kept; the unfinished run is kept whatever its age or rank.
    assert remaining == {ids["new"], ids["chat"], "stuck"}


def test_retention_from_environment() -> None:
    policy = RetentionPolicy.from_env({"AXO_KEEP_RUN_DAYS": "3", "AXO_KEEP_RUNS": "-1"})
    assert policy.run_days == 3 and policy.max_runs == 10_000


def test_cli_gc(tmp_path: Path) -> None:
    from axo_tui.cli.app import app

    (tmp_path / "axo.yaml").write_text(YAML)
    runner = CliRunner()
    base = ["--config", str(tmp_path / "axo.yaml")]
    nothing = runner.invoke(app, [*base, "gc"])
    assert nothing.exit_code == 0 and "nothing to collect" in nothing.output
    asyncio.run(populate(tmp_path))
    dry = runner.invoke(app, [*base, "gc", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would delete 4 run(s), 7 activation(s)" in dry.output
    done = runner.invoke(app, [*base, "gc", "--keep-days", "0", "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["runs"] == 5 and report["bytes_freed"] > 0 and report["dry_run"] is False
    bad = runner.invoke(app, [*base, "gc", "--keep-days", "-1"])
    assert bad.exit_code == 2


async def test_gc_deletes_the_summaries_of_sessions_it_deleted(tmp_path: Path) -> None:
    from axo_tui.core.memory.summary import Summary, SummaryStore

    ids = await populate(tmp_path)
    data = tmp_path / ".axo"
    summaries = SummaryStore(data / "memory" / "summaries")
    summaries.put(f"run:{ids['old']}:a", "a", Summary(2, "f", "old run"))
    summaries.put("chat:keep", "a", Summary(2, "f", "kept chat"))
    (data / "memory" / "summaries" / "notes.json").write_text("not ours")
    journal = Journal(data / "axo.db")
    store = CheckpointStore(data / "checkpoints")
    dry = collect_garbage(journal, store, RetentionPolicy(), dry_run=True)
    assert dry.summaries == 1 and summaries.path(f"run:{ids['old']}:a").exists()
    report = collect_garbage(journal, store, RetentionPolicy())
    journal.close()
    assert report.summaries == 1 and report.to_dict()["summaries"] == 1
    fresh = SummaryStore(data / "memory" / "summaries")
    assert fresh.get(f"run:{ids['old']}:a") is None
    assert fresh.get("chat:keep") == Summary(2, "f", "kept chat")
    assert (data / "memory" / "summaries" / "notes.json").exists()
