"""`axo dev [DIR]`: the workbench, a Textual app over an in-process runtime."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from axo_tui.cli import output
from axo_tui.cli.context import get_state
from axo_tui.cli.framework import AxoTyper

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from axo_tui.core.config import Config
    from axo_tui.core.runtime.runtime import Runtime
    from axo_tui.tui.settings import Companion


def register(app: AxoTyper) -> None:
    app.command("dev")(dev)


def locate_project(ctx: typer.Context, directory: Path | None) -> tuple[Path, Config]:
    """The config file and its validated contents, or exit 1 with every problem printed.

    DIR (a project directory or a config file) wins over `--config`; with neither, the
    config in the current directory is used.
    """
    from axo_tui.core.config import ConfigError, find_config, load_config

    try:
        if directory is not None:
            path = find_config(directory)
        else:
            path = get_state(ctx).config or find_config(Path())
        config = load_config(path)
    except ConfigError as exc:
        output.render_problems(exc.problems)
        raise typer.Exit(1) from None
    return path, config


def api_companion(config: Config, state_dir: Path | None = None) -> Companion:
    """The HTTP API served from the workbench's process, on a socket bound now: a project
    another process hosts, a busy port or an exposed address without a token is said
    before the workbench opens."""
    from axo_tui.cli.remote import claim_hosting
    from axo_tui.core.base.errors import AxoError
    from axo_tui.serve.daemon import bind, serve_beside
    from axo_tui.serve.http.host import ServeSettings

    try:
        claim = claim_hosting(state_dir or config.state_dir)
        if isinstance(claim, str):
            output.error(f"cannot serve the API: {claim}")
            raise typer.Exit(1)
        settings = ServeSettings.resolve(config.server)
        sock = bind(settings)
    except AxoError as exc:
        output.error(f"cannot serve the API: {exc}", hint="or run `axo dev` without --serve")
        raise typer.Exit(1) from None

    async def serve_while_claimed(runtime: Runtime, tell: Callable[[str], None]) -> None:
        try:
            await serve_beside(runtime, settings, sock, tell)
        finally:
            claim.release()

    def companion(runtime: Runtime, tell: Callable[[str], None]) -> Awaitable[None]:
        return serve_while_claimed(runtime, tell)

    return companion


def require_terminal(command: str) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        output.error(
            f"{command} needs an interactive terminal",
            hint="for scripts use `axo workflow run`, `axo run` or `axo chat --plain`",
        )
        raise typer.Exit(1)


def dev(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIR",
            help="Project directory or config file (default: the current directory).",
            show_default=False,
        ),
    ] = None,
    no_reload: Annotated[
        bool, typer.Option("--no-reload", help="Do not watch the config file for changes.")
    ] = False,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Also serve the HTTP API, as `axo serve` does (on by itself with `server:`).",
        ),
    ] = False,
) -> None:
    """Open the workbench: live lattice, agents, log and run bar; hot-reloads axo.yaml.

    Keys: [bold]Ctrl+R[/bold] run bar, [bold]Ctrl+T[/bold] chat, [bold]Ctrl+E[/bold] events,
    [bold]Ctrl+P[/bold] every action, [bold]f[/bold] filter the log, [bold]q[/bold] quit.
    """
    path, config = locate_project(ctx, directory)
    require_terminal("axo dev")
    # Textual is imported only now: `axo --help` and every other command stay fast.
    from axo_tui.tui.app import build_app
    from axo_tui.tui.settings import WorkbenchSettings

    serving = serve or config.server.declared
    companions = (api_companion(config, get_state(ctx).data_dir),) if serving else ()
    app = build_app(
        path,
        config=config,
        data_dir=get_state(ctx).data_dir,
        settings=WorkbenchSettings(watch_config=not no_reload, companions=companions),
    )
    try:
        app.run()
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    raise typer.Exit(app.return_code or 0)
