"""Open the project a command works on: load the config, open the runtime or the journal.

Every failure a user can cause (no config, an invalid one, a damaged journal, an unknown
id) ends here as a clear message and exit code 1, never a traceback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from axo_tui.cli import output
from axo_tui.cli.context import get_state

if TYPE_CHECKING:
    from axo_tui.core.config import Config
    from axo_tui.core.runtime.runtime import Runtime
    from axo_tui.core.runtime.state import ProjectState

T = TypeVar("T")


def load_project(ctx: typer.Context) -> Config:
    """The validated config for this invocation, or exit 1 with every problem printed."""
    from axo_tui.core.config import ConfigError, load_config

    try:
        config = load_config(get_state(ctx).config_path())
    except ConfigError as exc:
        output.render_problems(exc.problems)
        raise typer.Exit(1) from None
    for problem in config.warnings:
        output.render_problems([problem])
    warn_if_exposed(data_dir(ctx, config))
    return config


_warned: set[Path] = set()


def warn_if_exposed(path: Path) -> None:
    """Warn (once a process) when the data directory can be read by others: transcripts
    and memory live there. Every command that touches it says so, not only `axo doctor`."""
    from axo_tui.core.store.private_files import exposure

    if path in _warned:
        return
    message = exposure(path)
    if message is not None:
        _warned.add(path)
        text, _, fix = message.partition(" Fix: ")
        output.warning(text, hint=fix or None)


def data_dir(ctx: typer.Context, config: Config) -> Path:
    override = get_state(ctx).data_dir
    return override if override is not None else config.state_dir


def state_dir_for_reading(ctx: typer.Context) -> Path:
    """The data directory, for commands that only read it (runs, events, tokens).

    They work while the config is invalid, which is exactly when a second terminal is needed:
    one warning line, then the state dir the config names (or `.axo` beside it). A missing
    config is still an error.
    """
    from axo_tui.core.config import ConfigError, load_config, readable_state_dir

    state = get_state(ctx)
    try:
        path = state.config_path()
        config = load_config(path)
    except ConfigError as exc:
        if not exc.problems or exc.problems[0].code in _NO_PROJECT:
            output.render_problems(exc.problems)
            raise typer.Exit(1) from None
        errors = len(exc.errors)
        where = state.data_dir or readable_state_dir(path)
        output.warning(
            f"{path} has {errors} error{'s' if errors != 1 else ''} (`axo validate` lists "
            f"them); reading the state in {where} anyway"
        )
        warn_if_exposed(where)
        return where
    for problem in config.warnings:
        output.render_problems([problem])
    where = data_dir(ctx, config)
    warn_if_exposed(where)
    return where


_NO_PROJECT = frozenset({"no-config", "file-not-found", "unreadable"})
"""Config problems that leave no project to read the state of."""


def open_recorded_state(ctx: typer.Context, *, wait: bool = False) -> ProjectState:
    """The project's recorded state, for reading (no runtime started; works on an invalid
    config). With `wait`, a project with no journal yet is waited on (`axo events --follow`
    in a fresh project) instead of refused; Ctrl+C raises KeyboardInterrupt to the caller."""
    import time

    from axo_tui.core.runtime.build import open_state
    from axo_tui.core.store.journal import JournalError

    state = open_state(state_dir_for_reading(ctx), warn=_warn)
    path = state.journal_path
    if not state.recorded():
        if not wait:
            output.error(
                f"no runs recorded yet ({path} does not exist)",
                hint="run something first, e.g. `axo workflow run ID -i TEXT`",
            )
            raise typer.Exit(1)
        output.print_line("no runs recorded yet; waiting for the first (Ctrl+C stops)", stderr=True)
        while not path.exists():
            time.sleep(0.25)  # the first run of any axo process creates it
    try:
        return state.open()
    except JournalError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None


def open_project_state(ctx: typer.Context, config: Config) -> ProjectState:
    """The recorded state of a loaded project (no runtime started: usable beside a running
    `axo dev`); a journal that cannot be opened is reported by the query that needs it."""
    from axo_tui.core.runtime.build import open_state

    return open_state(data_dir(ctx, config), warn=_warn)


def _warn(_agent_id: str | None, message: str) -> None:
    output.warning(message)


def with_runtime(
    ctx: typer.Context,
    action: Callable[[Runtime], Awaitable[T]],
    *,
    background: bool = False,
    prepare: Callable[[Config], None] | None = None,
) -> T:
    """Load the project, start a runtime, run `action` in it, close it; exit 1 on errors.
    `prepare` runs with the loaded config before the event loop starts: a prompt belongs
    there (a blocking read inside the loop would not see Ctrl+C)."""
    from axo_tui.core.base.errors import AxoError
    from axo_tui.core.runtime.build import build_runtime

    config = load_project(ctx)
    if prepare is not None:
        prepare(config)

    async def main() -> T:
        from axo_tui.core.telemetry.wiring import ProjectTelemetry

        telemetry = ProjectTelemetry(config)  # a tracer only with observability.otlp_endpoint
        runtime = build_runtime(
            config,
            data_dir=data_dir(ctx, config),
            background=background,
            subscribers=telemetry.subscribers,
        )
        try:
            return await _in_runtime(runtime, action)
        finally:
            telemetry.close()

    async def _in_runtime(runtime: Runtime, action: Callable[[Runtime], Awaitable[T]]) -> T:
        import asyncio

        async with runtime as rt:
            from axo_tui.cli.run_output import announce_approval

            rt.watch(announce_approval)  # a run waiting for a human must not look hung
            try:
                return await action(rt)
            except asyncio.CancelledError:
                # Ctrl+C (asyncio.run cancels this task): the runs stopped on purpose are
                # `interrupted`, not crashed, so no start-up resumes them behind the user.
                for run_id in await rt.interrupt_runs():
                    output.print_line(
                        f"run {run_id[:12]} interrupted; `axo runs resume {run_id[:12]}` "
                        "continues it, `axo runs cancel` drops it",
                        stderr=True,
                    )
                raise

    try:
        return run_async(main())
    except AxoError as exc:  # axo said no and why (an unknown id, a damaged journal)
        output.error(str(exc))
        raise typer.Exit(1) from None


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, with Ctrl-C turned into a quiet exit 130."""
    import asyncio  # here, not at the top: `axo --help` must not pay for it

    try:
        return asyncio.run(coro)
    except KeyboardInterrupt:
        output.print_line("interrupted", stderr=True)
        raise typer.Exit(130) from None
