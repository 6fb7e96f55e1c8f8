"""`axo skills list|fire ID` and `axo emit NAME`: the ambient lattice from the shell."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer

from axo_tui.cli import output
from axo_tui.cli.completion import complete_skill
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import load_project, with_runtime
from axo_tui.cli.remote import remote_for
from axo_tui.cli.run_output import print_result_body

if TYPE_CHECKING:
    from axo_tui.cli.remote import Remote
    from axo_tui.core.runtime.runs import RunResult
    from axo_tui.core.runtime.runtime import Runtime

skills_app = AxoTyper(name="skills", help="List and fire skills.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (shape: docs/cli.md).")]


def register(app: AxoTyper) -> None:
    app.add_typer(skills_app)
    app.command("emit")(emit)


@skills_app.command("list")
def list_skills(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List skills: who holds them, what they emit and what they react to."""
    from axo_tui.core.runtime.api import SkillInfo

    config = load_project(ctx)
    skills = [SkillInfo.of(skill) for skill in config.skills]
    if as_json:
        print(json.dumps([skill.to_dict() for skill in skills], indent=2))
        return
    if not skills:
        output.print_line("no skills in this project", stderr=True)
    for skill in skills:
        output.print_line(skill.id, style="bold")
        output.print_line(f"    agents: {', '.join(skill.agents) or '-'}")
        output.print_line(f"    reacts to: {', '.join(skill.reacts_to) or '-'}")
        output.print_line(f"    emits: {', '.join(skill.emits) or '-'}")


@skills_app.command("fire")
def fire(
    ctx: typer.Context,
    skill_id: Annotated[
        str,
        typer.Argument(metavar="ID", help="The skill to fire.", autocompletion=complete_skill),
    ],
    input_text: Annotated[str, typer.Option("--input", "-i", help="The input text.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Run a skill's agents with its prompt; what they emit cascades to reacting skills."""
    remote = remote_for(ctx, runtime_needed=True)
    if remote is not None:  # the project is held (or --remote): the daemon runs it
        path = f"/api/skills/{quote(skill_id, safe='')}/fire"
        answer = _run_remotely(remote, path, {"input": input_text}, skill_id, input_text)
    else:

        async def action(rt: Runtime) -> RunResult:
            return await rt.fire_skill(skill_id, input_text)

        answer = with_runtime(ctx, action).to_dict()
    print_result_body(answer, as_json=as_json)
    if answer["status"] != "completed":
        raise typer.Exit(1)


def emit(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The event name, e.g. CodeReady.")],
    payload: Annotated[str, typer.Option("--payload", "-p", help="Text passed along.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Publish a named event into the lattice and run whatever reacts to it."""
    remote = remote_for(ctx, runtime_needed=True)
    if remote is not None:  # the daemon runs the reactions, proactive ones too
        body = {"name": name, "payload": payload}
        answer = _run_remotely(remote, "/api/signals", body, name, payload)
    else:

        async def action(rt: Runtime) -> RunResult:
            result = await rt.emit_signal(name, payload)
            await rt.wait_idle(timeout=600)  # proactive reactions run as their own runs
            return result

        answer = with_runtime(ctx, action).to_dict()
    if answer["activations"] == 0 and not as_json:
        output.print_line(f"nothing reacts to '{name}'", stderr=True)
        return
    print_result_body(answer, as_json=as_json)
    if answer["status"] != "completed":
        raise typer.Exit(1)


def _run_remotely(
    remote: Remote, path: str, body: dict[str, str], target: str, input_text: str
) -> dict[str, Any]:
    """POST the run and wait for its result; a tool call of it waiting for approval is
    announced on stderr, as `with_runtime` does locally."""
    from axo_tui.cli.remote import ApiClient, execute, run_remote
    from axo_tui.cli.run_output import announce_approval_of

    async def job(client: ApiClient) -> dict[str, Any]:
        return await execute(
            client, path, body, target=target, show=announce_approval_of, input_text=input_text
        )

    result: dict[str, Any] = run_remote(remote, job)
    return result
