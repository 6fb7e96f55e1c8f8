"""`axo tokens report [--json] [--run ID] [--since DATE] [--by agent|day|run|model]`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from axo_tui.cli import output
from axo_tui.cli.completion import complete_run
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import open_recorded_state

tokens_app = AxoTyper(name="tokens", help="Token spend from the ledger.", no_args_is_help=True)


def register(app: AxoTyper) -> None:
    app.add_typer(tokens_app)


@tokens_app.command("report")
def report(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (docs/cli.md).")] = False,
    run: Annotated[
        str | None,
        typer.Option("--run", help="Only this run (id or prefix).", autocompletion=complete_run),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="YYYY-MM-DD", help="Only from this day on.")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Group by agent, day, run or model.")] = "agent",
) -> None:
    """Tokens (prompt, completion, total) and estimated cost, grouped."""
    if by not in ("agent", "day", "run", "model"):
        output.error(f"--by must be agent, day, run or model (got '{by}')")
        raise typer.Exit(2)
    if since is not None:
        try:
            dt.date.fromisoformat(since)
        except ValueError:
            output.error(f"--since wants a date as YYYY-MM-DD (got '{since}')")
            raise typer.Exit(2) from None
    state = open_recorded_state(ctx)
    run_id = None
    if run is not None:
        record = state.find_run(run)
        if record is None:
            state.close()
            output.error(f"no run '{run}'", hint="list runs with `axo runs list`")
            raise typer.Exit(1)
        run_id = record.id
    report = state.usage(group_by=by, run_id=run_id, since=since)
    state.close()
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    rows = report.rows
    if not rows:
        output.print_line("no token usage recorded for that selection", stderr=True)
        return
    width = max(len(by), *(len(r.key) for r in rows), 5)
    header = (
        f"{by:<{width}}  {'calls':>6} {'prompt':>9} {'completion':>11} {'total':>9} {'cost':>9}"
    )
    output.print_line(header, style="bold")
    for r in rows:
        cost = f"${r.cost_usd:.4f}" if r.cost_usd is not None else "-"
        output.print_line(
            f"{r.key:<{width}}  {r.calls:>6} {r.prompt_tokens:>9} {r.completion_tokens:>11} "
            f"{r.total_tokens:>9} {cost:>9}"
        )
    total_cost = f"${report.cost_usd:.4f}" if report.cost_usd is not None else "-"
    total_prompt, total_completion = report.prompt_tokens, report.completion_tokens
    output.print_line(
        f"{'total':<{width}}  {report.calls:>6} {total_prompt:>9} "
        f"{total_completion:>11} {total_prompt + total_completion:>9} {total_cost:>9}",
        style="bold",
    )
