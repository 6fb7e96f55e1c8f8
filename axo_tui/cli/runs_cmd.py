"""`axo runs list|show ID|resume [ID|--all]|cancel ID|--all` and `axo events [--follow]
[--agents a,b] [--run ID]`."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from axo_tui.cli import output
from axo_tui.cli.completion import complete_agent_list, complete_run
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import open_recorded_state, with_runtime
from axo_tui.cli.remote import remote_for
from axo_tui.cli.run_output import progress_line
from axo_tui.cli.runs_remote import NO_RUN_HINT
from axo_tui.core.base.enums import ActivationStatus, RunStatus

if TYPE_CHECKING:
    from axo_tui.cli.remote import ApiClient, Remote
    from axo_tui.core.runtime.api import EventRecord
    from axo_tui.core.runtime.runs import RunResult
    from axo_tui.core.runtime.runtime import Runtime

runs_app = AxoTyper(
    name="runs", help="Past and running runs, from the journal.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (shape: docs/cli.md).")]


def register(app: AxoTyper) -> None:
    app.add_typer(runs_app)
    app.command("events")(events)


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


@runs_app.command("list")
def list_runs(
    ctx: typer.Context,
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many, newest first.")] = 20,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only runs in this status: running, interrupted, completed, failed or cancelled.",
        ),
    ] = None,
) -> None:
    """List recent runs, newest first."""
    state = open_recorded_state(ctx)
    runs = state.runs(limit=limit, status=status)
    state.close()
    if as_json:
        print(json.dumps([r.to_dict() for r in runs], indent=2))
        return
    if not runs:
        output.print_line("no runs yet", stderr=True)
    for run in runs:
        style = {
            RunStatus.FAILED: "red",
            RunStatus.RUNNING: "yellow",
            RunStatus.INTERRUPTED: "yellow",
        }.get(run.status)
        first_line = (run.input.splitlines() or [""])[0][:50]
        output.print_line(
            f"{run.id[:12]}  {_when(run.created_at)}  {run.status:<11} {run.kind:<9} "
            f"{run.target:<16} {first_line}",
            style=style,
        )


@runs_app.command("show")
def show(
    ctx: typer.Context,
    run_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="Run id (a unique prefix works).", autocompletion=complete_run
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """One run: its activations, their outputs and errors, and its token usage."""
    state = open_recorded_state(ctx)
    detail = state.run(run_id)
    state.close()
    if detail is None:
        output.error(f"no run '{run_id}'", hint="list runs with `axo runs list`")
        raise typer.Exit(1)
    if as_json:
        print(json.dumps(detail.to_dict(), indent=2))
        return
    run, activations = detail.run, detail.activations
    output.print_line(f"run {run.id}  {run.kind} {run.target}  {run.status}", style="bold")
    output.print_line(f"started {_when(run.created_at)}, finished {_when(run.finished_at)}")
    output.print_line(f"input: {run.input}")
    for activation in activations:
        style = "red" if activation.status == ActivationStatus.FAILED else "bold"
        output.print_line(
            f"\n[{activation.agent_id}] {activation.status} ({activation.trigger})", style=style
        )
        output.print_line(activation.output or activation.error or "")
    if detail.coordination is not None and detail.coordination.subtasks:
        board = detail.coordination
        output.print_line(
            f"\nsubtasks and their auctions ({len(board.messages)} Contract Net messages):",
            style="bold",
        )
        output.print_line(board.summary())
    if run.skipped:
        output.print_line(f"\nskipped: {', '.join(run.skipped)}", style="yellow")
    tokens = detail.total_tokens
    output.print_line(f"\n{tokens} tokens in {len(activations)} activation(s)", style="dim")


AllOption = Annotated[bool, typer.Option("--all", help="Every interrupted or crashed run.")]
RunIdArgument = Annotated[
    str | None,
    typer.Argument(metavar="[ID]", help="Run id or prefix.", autocompletion=complete_run),
]


@runs_app.command("resume")
def resume(
    ctx: typer.Context,
    run_id: RunIdArgument = None,
    all_runs: AllOption = False,
    as_json: JsonOption = False,
) -> None:
    """Finish runs that Ctrl+C interrupted or a crash cut short: completed activations are
    kept, the unfinished ones run again (docs/durability.md). Without ID or --all: the
    crashed runs only, as `axo dev` does at start-up."""
    if run_id is not None and all_runs:
        output.error("give a run ID or --all, not both")
        raise typer.Exit(2)
    remote = remote_for(ctx, runtime_needed=True)
    if remote is not None:  # the project is held (or --remote): the daemon resumes them
        from axo_tui.cli.runs_remote import resume_remotely

        results, left = resume_remotely(remote, run_id, all_runs=all_runs)
    else:
        results, left = _resume_here(ctx, run_id, all_runs=all_runs, as_json=as_json)
    if left:
        n = len(left)
        output.print_line(
            f"{n} interrupted run{'s are' if n != 1 else ' is'} left alone: "
            "`axo runs resume ID` or `--all` continues them",
            stderr=True,
        )
    if as_json:
        print(json.dumps(results, indent=2))
    elif not results:
        output.print_line("nothing to resume: no unfinished runs", stderr=True)
    for result in [] if as_json else results:
        style = None if result["status"] == RunStatus.COMPLETED else "red"
        output.print_line(_result_line(result), style=style)
        if result["output"]:
            output.print_line(result["output"])
        for agent_id, message in result["errors"].items():
            output.print_line(f"  {agent_id}: {message}", style="red", stderr=True)
    if any(r["status"] != RunStatus.COMPLETED for r in results):
        raise typer.Exit(1)


def _resume_here(
    ctx: typer.Context, run_id: str | None, *, all_runs: bool, as_json: bool
) -> tuple[list[dict[str, Any]], list[str]]:
    """The runs resumed (their `--json` objects) and the interrupted ones left alone."""
    left: list[str] = []

    async def action(runtime: Runtime) -> list[RunResult]:
        if run_id is not None:
            _require_run(runtime, run_id)
            with progress_line(runtime, enabled=not as_json):
                return [await runtime.resume_run(run_id)]
        if not all_runs:
            left.extend(run.id for run in runtime.stopped_runs().interrupted)
        with progress_line(runtime, enabled=not as_json):
            return await runtime.resume_unfinished(include_interrupted=all_runs)

    results = with_runtime(ctx, action)
    return [result.to_dict() for result in results], left


def _require_run(runtime: Runtime, run_id: str) -> None:
    if runtime.state.find_run(run_id) is None:
        output.error(f"no run '{run_id}'", hint=NO_RUN_HINT)
        raise typer.Exit(1)


def _result_line(result: dict[str, Any]) -> str:
    return f"{result['run_id'][:12]}  {result['status']:<11} {result['kind']:<9} {result['target']}"


@runs_app.command("cancel")
def cancel(
    ctx: typer.Context,
    run_id: RunIdArgument = None,
    all_runs: AllOption = False,
    as_json: JsonOption = False,
) -> None:
    """Cancel interrupted or crashed runs: they end `cancelled` and are never resumed.
    A run another axo process is driving is stopped there (`x` in axo dev)."""
    if (run_id is None) == (not all_runs):
        output.error(
            "give a run ID or --all" if run_id is None else "give a run ID or --all, not both",
            hint="`axo runs list --status interrupted` lists what can be cancelled",
        )
        raise typer.Exit(2)
    remote = remote_for(ctx, runtime_needed=True)
    if remote is not None:  # the daemon drives (or may drive) the run: it stops it
        from axo_tui.cli.runs_remote import cancel_remotely

        results = cancel_remotely(remote, run_id)
    else:
        results = _cancel_here(ctx, run_id)
    if as_json:
        print(json.dumps(results, indent=2))
        return
    if not results:
        output.print_line("nothing to cancel: no interrupted or crashed runs", stderr=True)
    for result in results:
        output.print_line(_result_line(result))


def _cancel_here(ctx: typer.Context, run_id: str | None) -> list[dict[str, Any]]:
    async def action(runtime: Runtime) -> list[RunResult]:
        if run_id is not None:
            _require_run(runtime, run_id)
            return [await runtime.cancel_run(run_id)]
        stopped = runtime.stopped_runs()
        return [await runtime.cancel_run(run.id) for run in stopped.crashed + stopped.interrupted]

    return [result.to_dict() for result in with_runtime(ctx, action)]


def events(
    ctx: typer.Context,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events.")
    ] = False,
    agents: Annotated[
        str | None,
        typer.Option(
            "--agents",
            help="Comma-separated agent ids to show.",
            autocompletion=complete_agent_list,
        ),
    ] = None,
    run: Annotated[
        str | None,
        typer.Option("--run", help="Only this run (id or prefix).", autocompletion=complete_run),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many past events.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """The journal's events; with --follow, new ones as other axo processes record them."""
    agent_ids = [a.strip() for a in agents.split(",") if a.strip()] if agents else None
    remote = remote_for(ctx, runtime_needed=False)
    if remote is not None:  # served (or --remote): ask the daemon, which owns the journal
        remote_events(remote, run, agent_ids, limit=limit, follow=follow, as_json=as_json)
        return
    try:
        state = open_recorded_state(ctx, wait=follow)
    except KeyboardInterrupt:
        return  # stopped while waiting for a fresh project's first run
    run_id = None
    if run is not None:
        record = state.find_run(run)
        if record is None:
            output.error(f"no run '{run}'", hint="list runs with `axo runs list`")
            raise typer.Exit(1)
        run_id = record.id
    last = 0
    first = True
    try:
        while True:
            batch = state.events(
                after_seq=last,
                run_id=run_id,
                agents=agent_ids,
                limit=limit if first else 1000,
                newest=first,
            )
            first = False
            for event in batch:
                _print_event(event, as_json)
                last = event.seq
            if not batch and last == 0:
                last = state.last_event_seq()
            if not follow:
                break
            if not batch:
                # The journal is shared through SQLite's WAL: polling sees other processes'
                # commits without any server.
                time.sleep(0.25)
    except KeyboardInterrupt:
        pass
    finally:
        state.close()


def remote_events(
    remote: Remote,
    run: str | None,
    agent_ids: list[str] | None,
    *,
    limit: int,
    follow: bool,
    as_json: bool,
) -> None:
    """`axo events` from a daemon: the last `limit` events (`GET /api/events`), then with
    `follow` its live stream from the last one shown, printed as the journal's are."""
    from axo_tui.cli.remote import run_remote
    from axo_tui.core.runtime.api import EventRecord

    filters: dict[str, object] = {"run": run, "agent": agent_ids or []}
    filters = {key: value for key, value in filters.items() if value}

    async def job(client: ApiClient) -> None:
        query = {**filters, "limit": limit, "newest": "true"}
        batch = await client.call("GET", "/api/events", params=query)
        for item in batch:
            _print_event(EventRecord.from_row(item), as_json)
        if not follow:
            return
        stream = dict(filters)
        if batch:
            stream["after"] = batch[-1]["seq"]
        async with client.events(stream) as events:
            async for item in events:
                _print_event(EventRecord.from_row(item), as_json)

    run_remote(remote, job, quiet_stop=True)  # Ctrl+C ends --follow quietly, as locally


def _print_event(event: EventRecord, as_json: bool) -> None:
    if as_json:
        print(json.dumps(event.to_dict()), flush=True)
        return
    text = json.dumps(dict(event.fields), ensure_ascii=False)
    if len(text) > 160:
        text = text[:157] + "..."
    when = dt.datetime.fromtimestamp(event.ts).strftime("%H:%M:%S")
    who = event.agent_id or "-"
    run = (event.run_id or "-")[:8]
    kind = event.kind
    style = "red" if kind in ("agent.failed", "budget.exceeded") else None
    output.print_line(f"{when} {run} {kind:<16} {who:<12} {text}", style=style)
