"""`axo workflow list` and `axo workflow run ID -i TEXT [--json] [--stream]`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from axo_tui.cli import output
from axo_tui.cli.completion import complete_workflow
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import load_project, with_runtime
from axo_tui.cli.remote import remote_for
from axo_tui.cli.run_input import INPUT_HELP, resolve_input
from axo_tui.cli.run_output import (
    print_result,
    print_result_body,
    progress_line,
    stream_run_events,
)

if TYPE_CHECKING:
    from axo_tui.core.config import Config
    from axo_tui.core.runtime.runs import RunResult
    from axo_tui.core.runtime.runtime import Runtime

workflow_app = AxoTyper(name="workflow", help="List and run workflows.", no_args_is_help=True)


def register(app: AxoTyper) -> None:
    app.add_typer(workflow_app)


InputOption = Annotated[str | None, typer.Option("--input", "-i", help=INPUT_HELP)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (shape: docs/cli.md).")]


@workflow_app.command("list")
def list_workflows(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the workflows of the project with their agents."""
    from axo_tui.core.runtime.api import WorkflowInfo

    config = load_project(ctx)
    workflows = [WorkflowInfo.of(workflow) for workflow in config.workflows]
    if as_json:
        print(json.dumps([workflow.to_dict() for workflow in workflows], indent=2))
        return
    if not workflows:
        output.print_line("no workflows in this project", stderr=True)
        return
    for workflow in workflows:
        label = f"  {workflow.name}" if workflow.name else ""
        output.print_line(f"{workflow.id}{label}", style="bold")
        output.print_line(f"    agents: {' → '.join(workflow.agents)}")
        if workflow.description:
            output.print_line(f"    {workflow.description}", style="dim")


@workflow_app.command("run")
def run_workflow(
    ctx: typer.Context,
    workflow_id: Annotated[
        str,
        typer.Argument(metavar="ID", help="The workflow to run.", autocompletion=complete_workflow),
    ],
    input_text: InputOption = None,
    as_json: JsonOption = False,
    stream: Annotated[bool, typer.Option("--stream", help="Print tokens as they arrive.")] = False,
) -> None:
    """Run a workflow to its end and print the final output (its sink agents' output)."""
    remote = remote_for(ctx, runtime_needed=True)
    if remote is not None:  # the project is held (or --remote): the daemon runs it
        from axo_tui.cli.run_cmd import run_remote_turn

        text = resolve_input(input_text, target=f"workflow {workflow_id}")
        path = f"/api/workflows/{workflow_id}/execute"
        answer = run_remote_turn(remote, path, {"input": text}, workflow_id, stream)
        print_result_body(answer, as_json=as_json, streamed=stream and not as_json)
        if answer["status"] != "completed":
            raise typer.Exit(1)
        return
    given: list[str] = []

    def prepare(config: Config) -> None:
        # An unknown workflow is left to the runtime's error (with its "did you mean").
        known = workflow_id in {w.id for w in config.workflows}
        given.append(resolve_input(input_text, target=f"workflow {workflow_id}") if known else "")

    async def action(rt: Runtime) -> RunResult:
        import asyncio

        if not stream or as_json:
            with progress_line(rt, enabled=not as_json):
                return await rt.run_workflow(workflow_id, given[0])
        printer = asyncio.create_task(stream_run_events(rt.subscribe()))
        try:
            return await rt.run_workflow(workflow_id, given[0])
        finally:
            await asyncio.sleep(0)
            printer.cancel()

    result = with_runtime(ctx, action, prepare=prepare)
    print_result(result, as_json=as_json, streamed=stream and not as_json)
    if not result.ok:
        raise typer.Exit(1)
