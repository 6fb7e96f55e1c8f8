"""`axo metrics`, `axo trace RUN` and `axo logs`: seeing inside runs (docs/observability.md).

All three read the journal when no daemon owns the project; `axo metrics` and `axo logs` ask
the daemon when one does (its metrics are live; its journal is the same either way).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from axo_tui.cli import output
from axo_tui.cli.completion import complete_agent_list, complete_run
from axo_tui.cli.context import get_state
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import open_recorded_state
from axo_tui.cli.remote import remote_for

if TYPE_CHECKING:
    from axo_tui.cli.remote import ApiClient
    from axo_tui.core.runtime.api import EventRecord
    from axo_tui.core.runtime.state import ProjectState
    from axo_tui.core.telemetry.logs import LogSelection

PAGE = 1000


def register(app: AxoTyper) -> None:
    app.command("logs")(logs)
    app.command("trace")(trace)
    app.command("metrics")(metrics)


# ------------------------------------------------------------------------------- metrics
def metrics(ctx: typer.Context) -> None:
    """Print the Prometheus metrics once: live from the daemon serving this project, else
    rebuilt from the journal's recorded events."""
    remote = remote_for(ctx, runtime_needed=False)
    if remote is not None:
        from axo_tui.cli.remote import run_remote

        async def job(client: ApiClient) -> str:
            return await client.text("/metrics")

        print(run_remote(remote, job), end="", flush=True)
        return
    from axo_tui.core.telemetry.metrics import RuntimeMetrics

    state = open_recorded_state(ctx)
    collected = RuntimeMetrics()
    try:
        collected.replay(_as_events(_all_events(state)))
    finally:
        state.close()
    print(collected.exposition().decode(), end="", flush=True)


def _all_events(state: ProjectState, run_id: str | None = None) -> list[EventRecord]:
    events: list[EventRecord] = []
    last = 0
    while True:
        batch = state.events(after_seq=last, run_id=run_id, limit=PAGE)
        events += batch
        if len(batch) < PAGE:
            return events
        last = batch[-1].seq


def _as_events(records: list[EventRecord]) -> Any:
    """The recorded events as the catalog's types again (those of unknown kinds or an older
    shape are left out: metrics count what they can read)."""
    from axo_tui.core.events.catalog import EVENT_TYPES

    for record in records:
        cls = EVENT_TYPES.get(record.kind)
        if cls is None:
            continue
        try:
            yield cls(
                seq=record.seq,
                ts=record.ts,
                run_id=record.run_id,
                agent_id=record.agent_id,
                **dict(record.fields),
            )
        except TypeError:
            continue


# --------------------------------------------------------------------------------- trace
def trace(
    ctx: typer.Context,
    run: Annotated[
        str, typer.Argument(help="The run (id or prefix).", autocompletion=complete_run)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the tree as JSON.")] = False,
) -> None:
    """Draw a run as a tree from the journal (no server needed): agents, their model calls
    and tools, with durations, tokens, cost, approvals and signals."""
    from axo_tui.core.telemetry.trace_tree import render_lines

    state = open_recorded_state(ctx)
    try:
        tree = state.trace(run)  # the workbench's trace view draws the same tree
    finally:
        state.close()
    if tree is None:
        output.error(f"no run '{run}'", hint="list runs with `axo runs list`")
        raise typer.Exit(1)
    if as_json:
        print(json.dumps(tree.to_dict(), ensure_ascii=False))
        return
    for text, node in render_lines(tree):
        output.print_line(text, style="red" if node.failed else None)


# ---------------------------------------------------------------------------------- logs
def logs(
    ctx: typer.Context,
    agents: Annotated[
        str | None,
        typer.Option(
            "--agents",
            help="Comma-separated agent ids (WASM agents too) to show.",
            autocompletion=complete_agent_list,
        ),
    ] = None,
    run: Annotated[
        str | None,
        typer.Option("--run", help="Only this run (id or prefix).", autocompletion=complete_run),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many past lines.")] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON lines (as --log-format json).")
    ] = False,
) -> None:
    """The log stream the workbench's log panel shows, with the same filters: every agent's
    activity, tools, messages and WASM logs, as text or JSON lines."""
    from axo_tui.core.telemetry.logs import LogSelection

    as_json = as_json or get_state(ctx).log_format == "json"
    agent_ids = [a.strip() for a in agents.split(",") if a.strip()] if agents else None
    remote = remote_for(ctx, runtime_needed=False)
    if remote is not None:
        _remote_logs(remote, agent_ids, run, limit=limit, follow=follow, as_json=as_json)
        return
    try:
        state = open_recorded_state(ctx, wait=follow)
    except KeyboardInterrupt:
        return
    try:
        run_id = None
        if run is not None:
            found = state.find_run(run)
            if found is None:
                output.error(f"no run '{run}'", hint="list runs with `axo runs list`")
                raise typer.Exit(1)
            run_id = found.id
        selection = LogSelection.of(agent_ids, run_id)
        _local_logs(state, selection, limit=limit, follow=follow, as_json=as_json)
    except KeyboardInterrupt:
        pass
    finally:
        state.close()


def _local_logs(
    state: ProjectState, selection: LogSelection, *, limit: int, follow: bool, as_json: bool
) -> None:
    # The last `limit` lines that pass the filter: read back page by page from the newest.
    shown = _tail(state, selection, limit)
    for record in shown:
        _print_log(record, as_json)
    last = shown[-1].seq if shown else state.last_event_seq()
    while follow:
        batch = state.events(after_seq=last, run_id=selection.run_id, limit=PAGE)
        for record in batch:
            if selection.admits(record.agent_id, record.run_id):
                _print_log(record, as_json)
            last = record.seq
        if not batch:
            time.sleep(0.25)  # other processes' commits show through SQLite's WAL


def _tail(state: ProjectState, selection: LogSelection, limit: int) -> list[EventRecord]:
    picked: list[EventRecord] = []
    before = state.last_event_seq() + 1
    while len(picked) < limit and before > 1:
        floor = max(0, before - 1 - PAGE)
        batch = state.events(after_seq=floor, run_id=selection.run_id, limit=PAGE)
        batch = [r for r in batch if r.seq < before]
        kept = [r for r in batch if selection.admits(r.agent_id, r.run_id)]
        picked = kept[-(limit - len(picked)) :] + picked if limit > len(picked) else picked
        before = floor + 1
    return picked[-limit:] if limit > 0 else []


def _remote_logs(
    remote: Any,
    agent_ids: list[str] | None,
    run: str | None,
    *,
    limit: int,
    follow: bool,
    as_json: bool,
) -> None:
    from axo_tui.cli.remote import run_remote
    from axo_tui.core.runtime.api import EventRecord
    from axo_tui.core.telemetry.logs import LogSelection

    async def job(client: ApiClient) -> None:
        params: dict[str, Any] = {"limit": max(limit * 4, limit), "newest": "true"}
        if run:
            params["run"] = run
        batch = [
            EventRecord.from_row(item)
            for item in await client.call("GET", "/api/events", params=params)
        ]
        run_id = batch[0].run_id if run and batch else None
        selection = LogSelection.of(agent_ids, run_id)
        kept = [r for r in batch if selection.admits(r.agent_id, r.run_id)][-limit:]
        for record in kept:
            _print_log(record, as_json)
        if not follow:
            return
        stream: dict[str, Any] = {"run": run} if run else {}
        if batch:
            stream["after"] = batch[-1].seq
        async with client.events(stream) as events:
            async for item in events:
                record = EventRecord.from_row(item)
                if selection.admits(record.agent_id, record.run_id):
                    _print_log(record, as_json)

    run_remote(remote, job, quiet_stop=True)


def _print_log(record: EventRecord, as_json: bool) -> None:
    from axo_tui.core.telemetry.logs import event_line

    line = event_line(
        seq=record.seq,
        ts=record.ts,
        kind=record.kind,
        run_id=record.run_id,
        agent_id=record.agent_id,
        fields=record.fields,
    )
    if as_json:
        print(json.dumps(line, ensure_ascii=False), flush=True)
        return
    import datetime as dt

    when = dt.datetime.fromtimestamp(record.ts).strftime("%H:%M:%S")
    text = (
        f"{when} {line['level']:<7} {(record.run_id or '-')[:8]} {record.agent_id or '-':<12} "
        f"{record.kind:<16} {line['message']}"
    )
    style = {"error": "red", "warning": "yellow"}.get(line["level"])
    output.print_line(text, style=style)
