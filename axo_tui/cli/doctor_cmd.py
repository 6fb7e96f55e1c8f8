"""`axo doctor [--json] [--deep]`: is this machine and this project ready to run agents?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from axo_tui.cli import output
from axo_tui.cli.context import get_state
from axo_tui.cli.framework import AxoTyper

if TYPE_CHECKING:
    from rich.console import Console

    from axo_tui.core.doctor import CheckResult, DoctorReport

_STYLES = {"ok": "bold green", "warn": "bold yellow", "fail": "bold red"}


def register(app: AxoTyper) -> None:
    app.command("doctor")(doctor)


def doctor(
    ctx: typer.Context,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print a JSON report on stdout (shape: docs/cli.md)."),
    ] = False,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Also load the embedded model and the embedder, and exercise wasmtime and "
            "chromadb (takes seconds).",
        ),
    ] = False,
) -> None:
    """Check Python, packages, the config, the data directory, providers, API keys, the
    embedded models and the server port, and prove that nothing but the configured providers
    was contacted.

    Each check prints [bold]ok[/bold], [bold]warn[/bold] or [bold]fail[/bold] with a reason and
    a fix. Exits 1 if any check fails; warnings alone exit 0.
    """
    # Imported here: the checks pull in the config loader, and httpx for HTTP providers.
    from axo_tui.core.doctor import DoctorOptions, run_doctor

    state = get_state(ctx)
    options = DoctorOptions(
        config=state.config, search_dir=Path.cwd(), data_dir=state.data_dir, deep=deep
    )
    try:
        report = run_doctor(options)
    except KeyboardInterrupt:
        output.print_line("interrupted", stderr=True)
        raise typer.Exit(130) from None
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        _render(report)
    if not report.ok:
        raise typer.Exit(1)


def _render(report: DoctorReport) -> None:
    from rich.text import Text

    from axo_tui.core.doctor import Status

    out = output.console(soft_wrap=True)
    width = max(len(check.name) for check in report.checks)
    for check in report.checks:
        _render_check(out, check, width)
    counts = [f"{report.count(s)} {s.value}" for s in Status]
    verdict = ("ready", "bold green") if report.ok else ("not ready", "bold red")
    out.print(
        Text.assemble("\naxo doctor: ", verdict, f" ({', '.join(counts)}; {report.elapsed:.2f} s)")
    )


def _render_check(out: Console, check: CheckResult, width: int) -> None:
    from rich.text import Text

    status = check.status.value
    out.print(
        Text.assemble(
            (f"{status:<4}", _STYLES[status]),
            "  ",
            (check.name.ljust(width), "bold"),
            "  ",
            check.message,
        )
    )
    if check.problems:
        # The same lines `axo validate` prints, on stderr like every config problem (the
        # terminal shows them right under this row), so editors can jump to them.
        output.render_problems(check.problems)
    if check.fix and status != "ok":
        out.print(Text.assemble(" " * (width + 8), ("fix", "cyan"), ": ", check.fix))
