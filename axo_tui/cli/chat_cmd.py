"""`axo chat -a NAME`: talk to one agent, in the Textual chat screen or line by line.

Plain mode (`--plain`, or whenever stdin is not a terminal) reads one message per line and
streams the reply to stdout, so `echo hi | axo chat -a helper` works in scripts. Tool calls
and errors go to stderr, keeping stdout to the replies. Everything shown comes from a model,
a tool or the journal: it is written through `output.write`, which neutralises terminal
controls.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from axo_tui.cli import output
from axo_tui.cli.completion import complete_agent
from axo_tui.cli.context import get_state
from axo_tui.cli.dev_cmd import locate_project
from axo_tui.cli.remote import remote_for

if TYPE_CHECKING:
    import asyncio

    from axo_tui.cli.framework import AxoTyper
    from axo_tui.core.config import Config
    from axo_tui.core.runtime.runs import RunResult
    from axo_tui.core.runtime.runtime import Runtime
    from axo_tui.tui.chat_session import ChatState

PROMPT = "› "


def register(app: AxoTyper) -> None:
    app.command("chat")(chat)


def chat(
    ctx: typer.Context,
    agent: Annotated[
        str,
        typer.Option("--agent", "-a", help="The agent to talk to.", autocompletion=complete_agent),
    ],
    session: Annotated[
        str | None,
        typer.Option(
            "--session", "-s", help="Session name; the same name continues it (default: default)."
        ),
    ] = None,
    plain: Annotated[
        bool, typer.Option("--plain", help="Line mode: read stdin, stream replies to stdout.")
    ] = False,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--project",
            "-p",
            help="Project directory or config file (default: .).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Chat with an agent. Slash commands: /help /reset /session [NAME] /tokens /agent NAME /quit."""
    import asyncio

    remote = remote_for(ctx, runtime_needed=True, project=directory)
    if remote is not None:  # the project is held (or --remote): line mode, over its API
        from axo_tui.cli.chat_remote import remote_chat

        raise typer.Exit(remote_chat(remote, agent, session))
    path, config = locate_project(ctx, directory)
    known = [a.id for a in config.agents]
    if agent not in known:
        output.error(f"no agent '{agent}' in {path}", hint=f"agents: {', '.join(known) or 'none'}")
        raise typer.Exit(1)
    data_dir = get_state(ctx).data_dir
    if plain or not sys.stdin.isatty() or not sys.stdout.isatty():
        try:
            code = asyncio.run(plain_chat(config, data_dir, agent, session))
        except KeyboardInterrupt:
            code = 130
        raise typer.Exit(code)
    from axo_tui.tui.app import build_app

    app = build_app(
        path, config=config, data_dir=data_dir, mode="chat", chat_agent=agent, chat_session=session
    )
    try:
        app.run()
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    raise typer.Exit(app.return_code or 0)


async def plain_chat(config: Config, data_dir: Path | None, agent: str, session: str | None) -> int:
    """The line-mode loop; returns the exit code (1 if any turn failed). Ctrl+C stops the
    answer being written, and at the prompt quits, as Ctrl+D does."""
    from axo_tui.cli.chat_keys import ctrl_c_as_event
    from axo_tui.core.runtime.build import build_runtime
    from axo_tui.core.store.journal import JournalError
    from axo_tui.tui.chat_session import DEFAULT_SESSION, ChatState

    state = ChatState(agent, session or DEFAULT_SESSION)
    try:
        runtime = build_runtime(config, data_dir=data_dir)
        runtime.start()
    except JournalError as exc:
        output.error(str(exc))
        return 1
    try:
        with ctrl_c_as_event() as pressed:
            failed = await _chat_lines(runtime, state, pressed)
    finally:
        await runtime.close()
    return 1 if failed else 0


async def _chat_lines(runtime: Runtime, state: ChatState, pressed: asyncio.Event) -> bool:
    """Read and answer lines until the end of input, /quit or a Ctrl+C at the prompt;
    True if a turn failed."""
    from axo_tui.cli.chat_keys import StdinLines, unless_pressed
    from axo_tui.tui.chat_session import is_slash, run_slash

    interactive = sys.stdin.isatty()
    lines = StdinLines()
    failed = False
    while True:
        if interactive:
            sys.stdout.write(PROMPT)
            sys.stdout.flush()
        quit_now, line = await unless_pressed(lines.readline(), pressed)
        if quit_now or not line:
            if interactive:
                sys.stdout.write("\n")  # the shell's prompt on a line of its own
                sys.stdout.flush()
            return failed
        text = line.strip()
        if not text:
            continue
        if is_slash(text):
            reply = run_slash(text, state, runtime)
            output.write(reply.text + "\n", stream=sys.stderr if reply.error else sys.stdout)
            if reply.quit:
                return failed
            continue
        failed = not await plain_turn(runtime, state, text, pressed=pressed) or failed


async def plain_turn(
    runtime: Runtime,
    state: ChatState,
    text: str,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    pressed: asyncio.Event | None = None,
) -> bool:
    """One turn: stream the reply to `out` as it arrives; True when it succeeded, or when
    Ctrl+C (`pressed`) stopped it."""
    import asyncio

    from axo_tui.core.events.catalog import RunStarted
    from axo_tui.core.runtime.runtime import RunError

    out = out or sys.stdout
    err = err or sys.stderr
    subscription = runtime.subscribe()
    from axo_tui.cli.turn_printer import TurnPrinter, break_line

    shown = TurnPrinter(out, err)
    run_id: str | None = None

    async def show() -> None:
        nonlocal run_id
        async for event in subscription:
            if isinstance(event, RunStarted) and run_id is None:
                run_id = event.run_id  # nothing else runs in line mode: the first is ours
            elif event.run_id == run_id and shown.show(event.to_dict()):
                return

    printer = asyncio.create_task(show())
    # A task of its own: the runtime cancels a run from another task than the one it runs in.
    turn = asyncio.create_task(
        runtime.run_agent(
            state.agent_id, text, session_id=state.session_id, run_kind="chat", trigger="chat"
        )
    )
    if pressed is not None and await _stopped_by_ctrl_c(turn, pressed):
        await _stop_turn(runtime, turn, run_id)
        printer.cancel()
        subscription.close()
        break_line(out, shown.streamed)
        output.write("stopped · Ctrl+C again quits, as does Ctrl+D or /quit\n", stream=err)
        return True
    try:
        result = await turn
    except RunError as exc:
        printer.cancel()
        subscription.close()
        output.write(f"error: {exc}\n", stream=err)
        return False
    try:
        # RunCompleted was published before run_agent returned: the printer ends promptly.
        await asyncio.wait_for(printer, timeout=5)
    except TimeoutError:
        printer.cancel()
    finally:
        subscription.close()
    state.record_turn(result.usage.total)
    shown.end(result.ok, result.output)
    return result.ok


async def _stopped_by_ctrl_c(turn: asyncio.Task[RunResult], pressed: asyncio.Event) -> bool:
    """Wait for the turn to end; True (and the press consumed) if Ctrl+C came first."""
    import asyncio

    waiter = asyncio.create_task(pressed.wait())
    try:
        await asyncio.wait({turn, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if turn.done():
        return False
    pressed.clear()
    return True


async def _stop_turn(runtime: Runtime, turn: asyncio.Task[RunResult], run_id: str | None) -> None:
    """Cancel the turn's run as the workbench does (journaled `cancelled`, never resumed);
    before the run has an id, the task alone."""
    import asyncio

    from axo_tui.core.runtime.runtime import RunError

    try:
        if run_id is None:
            raise RunError("the run has not started yet")
        await runtime.cancel_run(run_id)
    except RunError:
        turn.cancel()
    await asyncio.wait({turn})
    if not turn.cancelled():
        turn.exception()  # retrieved: a turn that failed as it was stopped is not news
