"""`axo gc [--keep-days N] [--max-runs N] [--event-days N] [--dry-run]`: apply retention."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from axo_tui.cli import output
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import load_project, open_project_state


def register(app: AxoTyper) -> None:
    app.command("gc")(gc)


def gc(
    ctx: typer.Context,
    keep_days: Annotated[
        float | None,
        typer.Option(
            "--keep-days",
            min=0,
            help="Keep finished runs this many days (default 30, or AXO_KEEP_RUN_DAYS).",
            show_default=False,
        ),
    ] = None,
    max_runs: Annotated[
        int | None,
        typer.Option(
            "--max-runs",
            min=0,
            help="Keep at most this many runs, newest first (default 10000, or AXO_KEEP_RUNS).",
            show_default=False,
        ),
    ] = None,
    event_days: Annotated[
        float | None,
        typer.Option(
            "--event-days",
            min=0,
            help="Keep events this many days (default 7, or AXO_KEEP_EVENT_DAYS).",
            show_default=False,
        ),
    ] = None,
    keep_checkpoints: Annotated[
        int | None,
        typer.Option(
            "--keep-checkpoints",
            min=1,
            help="Checkpoints kept per agent (default 3, or AXO_KEEP_CHECKPOINTS).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Delete old runs, events and checkpoints, then compact the journal.

    Runs still running, chat sessions and the token ledger are never deleted
    (docs/durability.md).
    """
    from axo_tui.core.store.journal import JournalError
    from axo_tui.core.store.retention import RetentionPolicy

    # Checked here as well as by `min=`: a negative age would put the cut-off in the future
    # and delete every finished run.
    for name, value in (("--keep-days", keep_days), ("--event-days", event_days)):
        if value is not None and value < 0:
            output.error(f"{name} must be 0 or more, not {value:g}")
            raise typer.Exit(2)
    config = load_project(ctx)
    policy = RetentionPolicy.from_env()
    policy = RetentionPolicy(
        run_days=policy.run_days if keep_days is None else keep_days,
        max_runs=policy.max_runs if max_runs is None else max_runs,
        event_days=policy.event_days if event_days is None else event_days,
        checkpoints_per_agent=(
            policy.checkpoints_per_agent if keep_checkpoints is None else keep_checkpoints
        ),
    )
    state = open_project_state(ctx, config)
    if not state.recorded():
        output.print_line(f"nothing to collect ({state.journal_path} does not exist)", stderr=True)
        return
    try:
        report = state.collect_garbage(
            policy, agent_ids=[agent.id for agent in config.agents], dry_run=dry_run
        )
    except JournalError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None
    finally:
        state.close()
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    verb = "would delete" if dry_run else "deleted"
    output.print_line(
        f"{verb} {report.runs} run(s), {report.activations} activation(s), "
        f"{report.events} event(s), {report.session_messages} session message(s), "
        f"{report.checkpoint_files} checkpoint file(s)"
        + (f", {report.summaries} compaction summar(y/ies)" if report.summaries else "")
    )
    if report.bytes_freed is not None:
        output.print_line(
            f"freed {_size(report.bytes_freed)} ({_size(report.bytes_before)} -> "
            f"{_size(report.bytes_after or 0)})"
        )
    if report.note:
        output.warning(report.note)


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
