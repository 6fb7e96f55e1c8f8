"""The `axo` command: root app, global options, and the list of command modules.

Adding a command group: create `axo_tui/cli/<name>_cmd.py` with a
`register(app: AxoTyper) -> None` function (see `validate_cmd.py` for a command,
`framework.AxoTyper` for a sub-group), and add its `register` to `REGISTRARS` below.
Command modules import only typer and axo's CLI helpers at module level; everything heavy
(textual, chromadb, httpx, wasmtime, llama_cpp, even the config loader) is imported inside the
command function, so `axo --help` stays fast. `tests/test_layers.py` checks this.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from axo_tui import __version__
from axo_tui.cli import (
    a2a_cmd,
    agents_cmd,
    approvals_cmd,
    chat_cmd,
    dev_cmd,
    doctor_cmd,
    gc_cmd,
    init_cmd,
    mcp_cmd,
    mcp_serve_cmd,
    memory_cmd,
    nats_cmd,
    observe_cmd,
    onboard_cmd,
    run_cmd,
    runs_cmd,
    serve_cmd,
    skills_cmd,
    tokens_cmd,
    tools_cmd,
    validate_cmd,
    wasm_cmd,
    workflow_cmd,
)
from axo_tui.cli.context import CliState
from axo_tui.cli.framework import AxoTyper

# Each entry adds one command or group. Order here is the order in `axo --help`.
REGISTRARS: tuple[Callable[[AxoTyper], None], ...] = (
    onboard_cmd.register,
    init_cmd.register,
    validate_cmd.register,
    doctor_cmd.register,
    dev_cmd.register,
    serve_cmd.register,
    mcp_serve_cmd.register,
    a2a_cmd.register,
    nats_cmd.register,
    mcp_cmd.register,
    chat_cmd.register,
    workflow_cmd.register,
    run_cmd.register,
    agents_cmd.register,
    wasm_cmd.register,
    memory_cmd.register,
    skills_cmd.register,
    runs_cmd.register,
    observe_cmd.register,
    approvals_cmd.register,
    tokens_cmd.register,
    tools_cmd.register,
    gc_cmd.register,
)

app = AxoTyper(
    name="axo",
    epilog="Run [bold]axo COMMAND --help[/bold] for the options of a command.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        # Plain print: --version must not pay for rich.
        print(f"axo {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            metavar="PATH",
            help="Project config file or directory (default: axo.yaml in the current directory).",
            show_default=False,
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="AXO_DATA_DIR",
            metavar="DIR",
            help="Where axo keeps state (default: .axo/ beside axo.yaml).",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    remote: Annotated[
        str | None,
        typer.Option(
            "--remote",
            envvar="AXO_REMOTE",
            metavar="URL",
            help="Talk to the `axo serve` at URL (token: AXO_API_TOKEN) instead of a project "
            "here: run, workflow run, chat, events, approvals.",
            show_default=False,
        ),
    ] = None,
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format",
            envvar="AXO_LOG_FORMAT",
            metavar="text|json",
            help="How log lines are written: text, or JSON lines (docs/observability.md).",
            show_default=False,
        ),
    ] = "text",
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """[bold]axo[/bold]: a terminal-first workbench for persistent, self-coordinating LLM agents declared in YAML."""
    if log_format not in ("text", "json"):
        raise typer.BadParameter(
            f"'{log_format}' is not a log format; use text or json", param_hint="--log-format"
        )
    ctx.obj = CliState(
        config=config, data_dir=data_dir, remote=remote or None, log_format=log_format
    )
    if log_format == "json" and ctx.invoked_subcommand not in ("serve", "server"):  # own logs
        from axo_tui.core.telemetry.logs import use_json_logging

        use_json_logging()
    if data_dir is not None and ctx.invoked_subcommand != "doctor":  # doctor reports it
        from axo_tui.cli.project import warn_if_exposed

        warn_if_exposed(data_dir)


for _register in REGISTRARS:
    _register(app)
