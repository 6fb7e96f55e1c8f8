"""`axo run AGENT -i TEXT`: one turn of one agent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from axo_tui.cli.completion import complete_agent
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import with_runtime
from axo_tui.cli.remote import Remote, remote_for
from axo_tui.cli.run_input import INPUT_HELP, resolve_input
from axo_tui.cli.run_output import (
    print_result,
    print_result_body,
    progress_line,
    stream_run_events,
)

if TYPE_CHECKING:
    from typing import Any

    from axo_tui.core.config import Config
    from axo_tui.core.runtime.runs import RunResult
    from axo_tui.core.runtime.runtime import Runtime


def register(app: AxoTyper) -> None:
    app.command("run")(run_agent)


def run_agent(
    ctx: typer.Context,
    agent_id: Annotated[
        str,
        typer.Argument(metavar="AGENT", help="The agent to run.", autocompletion=complete_agent),
    ],
    input_text: Annotated[str | None, typer.Option("--input", "-i", help=INPUT_HELP)] = None,
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            "-s",
            help="Continue this named session, the same one `axo chat --session` uses "
            "(default: a new one).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (docs/cli.md).")] = False,
    stream: Annotated[bool, typer.Option("--stream", help="Print tokens as they arrive.")] = False,
) -> None:
    """Run one turn of one agent and print its reply."""
    remote = remote_for(ctx, runtime_needed=True)
    if remote is not None:  # the project is held (or --remote): the daemon runs it
        text = resolve_input(input_text, target=f"agent {agent_id}")
        body: dict[str, str] = {"input": text}
        if session:
            body["session"] = session
        answer = run_remote_turn(remote, f"/api/agents/{agent_id}/execute", body, agent_id, stream)
        print_result_body(answer, as_json=as_json, streamed=stream and not as_json)
        if answer["status"] != "completed":
            raise typer.Exit(1)
        return
    given: list[str] = []

    def prepare(config: Config) -> None:
        # An unknown agent is left to the runtime's error (with its "did you mean").
        known = agent_id in {a.id for a in config.agents}
        given.append(resolve_input(input_text, target=f"agent {agent_id}") if known else "")

    async def action(rt: Runtime) -> RunResult:
        import asyncio

        printer = None
        if stream and not as_json:
            printer = asyncio.create_task(stream_run_events(rt.subscribe()))
        try:
            from axo_tui.core.runtime.runs import chat_session_id

            session_id = chat_session_id(agent_id, session) if session else None
            with progress_line(rt, enabled=not as_json and not stream):
                return await rt.run_agent(agent_id, given[0], session_id=session_id)
        finally:
            if printer is not None:
                await asyncio.sleep(0)
                printer.cancel()

    result = with_runtime(ctx, action, prepare=prepare)
    print_result(result, as_json=as_json, streamed=stream and not as_json)
    if not result.ok:
        raise typer.Exit(1)


def run_remote_turn(
    remote: Remote, path: str, body: dict[str, str], target: str, stream: bool
) -> dict[str, Any]:
    """Ask the daemon for the run at `path` and wait for its result; with `stream`, print
    its tokens as `--stream` does locally. Approvals it waits for are announced either way."""
    from axo_tui.cli.remote import ApiClient, execute, run_remote
    from axo_tui.cli.run_output import RunStreamPrinter, announce_approval_of

    printer = RunStreamPrinter()

    def show(event: dict[str, Any]) -> None:
        announce_approval_of(event)
        if stream:
            printer.show(event)

    async def job(client: ApiClient) -> dict[str, Any]:
        return await execute(client, path, body, target=target, show=show)

    result: dict[str, Any] = run_remote(remote, job)
    return result
