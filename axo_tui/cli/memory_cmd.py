"""`axo memory show|search|edit|forget|sessions AGENT`: look into and curate agent memory.

These commands use the project's recorded state (`ProjectState`, no runtime started), so
they can be used while `axo dev` runs: core memory edits are locked and atomic, and a
running agent sees them on its next turn.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated

import typer

from axo_tui.cli import output
from axo_tui.cli.completion import complete_agent
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import load_project, open_project_state
from axo_tui.core.base.terminal_text import terminal_json

if TYPE_CHECKING:
    from axo_tui.core.config.schema import AgentConfig
    from axo_tui.core.runtime.api import RecallMatch
    from axo_tui.core.runtime.state import ProjectState

memory_app = AxoTyper(
    name="memory",
    help="Show, search and curate what agents remember (core blocks, recall, activity log).",
    no_args_is_help=True,
)

AgentArg = Annotated[
    str, typer.Argument(metavar="AGENT", help="The agent's id.", autocompletion=complete_agent)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: AxoTyper) -> None:
    app.add_typer(memory_app)


def _open(ctx: typer.Context, agent_id: str) -> tuple[AgentConfig, ProjectState]:
    config = load_project(ctx)
    try:
        agent = config.agent(agent_id)
    except KeyError:
        known = ", ".join(a.id for a in config.agents) or "none"
        output.error(f"no agent named '{agent_id}'", hint=f"the agents are: {known}")
        raise typer.Exit(1) from None
    return agent, open_project_state(ctx, config)


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


@memory_app.command("show")
def show(ctx: typer.Context, agent_id: AgentArg, as_json: JsonOption = False) -> None:
    """Core memory blocks, how much is stored for recall, activity log days, sessions."""
    agent, state = _open(ctx, agent_id)
    try:
        view = state.memory_of(agent)
    finally:
        state.close()
    for warning in view.warnings:
        output.warning(warning)
    if as_json:
        print(terminal_json(view.to_dict(), indent=2))
        return
    blocks, days, sessions, recall = view.core, view.activity_days, view.sessions, view.recall
    output.print_line(f"core memory of {agent.id}", style="bold")
    if not blocks:
        output.print_line("  (no core blocks configured)")
    for block in blocks:
        tags = " shared" if block.shared else ""
        tags += "" if block.in_config else " not in config"
        output.print_line(f"  {block.label} ({block.chars}/{block.limit}{tags})", style="bold")
        if block.description:
            output.print_line(f"    {block.description}", style="dim")
        for line in (block.value or "(empty)").splitlines():
            output.print_line(f"    {line}")
    if recall is None:
        output.print_line("recall: unavailable (see the warning above)", style="bold")
    else:
        output.print_line(
            f"recall: {recall.own} memories, {recall.shared} shared, "
            f"{recall.queued} waiting to be embedded",
            style="bold",
        )
    if days:
        output.print_line(
            f"activity log: {len(days)} days, {days[0]} to {days[-1]} ({view.log_dir})",
            style="bold",
        )
    else:
        output.print_line("activity log: empty", style="bold")
    output.print_line(f"sessions: {len(sessions)}", style="bold")
    for session in sessions[:10]:
        output.print_line(
            f"  {session.id}  {session.messages} messages, last {_when(session.last)}"
        )
    if len(sessions) > 10:
        output.print_line(f"  ... and {len(sessions) - 10} more (axo memory sessions {agent.id})")


@memory_app.command("sessions")
def sessions(ctx: typer.Context, agent_id: AgentArg, as_json: JsonOption = False) -> None:
    """The agent's sessions (chat sessions and runs), newest first; resume one with
    `axo chat -a AGENT` and `/session ID`."""
    from axo_tui.core.store.journal import JournalError

    agent, state = _open(ctx, agent_id)
    try:
        rows = state.sessions(agent.id)
    except JournalError as exc:
        output.warning(str(exc))
        rows = []
    finally:
        state.close()
    if as_json:
        print(json.dumps([row.to_dict() for row in rows], indent=2))
        return
    if not rows:
        output.print_line(f"no sessions recorded for {agent.id}", stderr=True)
        return
    for row in rows:
        output.print_line(f"{row.id}  {row.messages} messages, last {_when(row.last)}")


@memory_app.command("search")
def search(
    ctx: typer.Context,
    agent_id: AgentArg,
    query: Annotated[str, typer.Argument(metavar="QUERY", help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many memories.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Search the agent's long-term memory by meaning (what recall_search sees)."""
    from axo_tui.core.memory.semantic import SemanticMemoryError
    from axo_tui.core.memory.service import AgentMemory

    agent, state = _open(ctx, agent_id)

    async def run() -> list[RecallMatch]:
        try:
            return await state.search_memory(agent, query, k)
        finally:
            await state.aclose()

    try:
        import asyncio  # here: `axo --help` must not pay for it

        hits = asyncio.run(run())
    except SemanticMemoryError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None
    if as_json:
        print(terminal_json([hit.to_dict() for hit in hits], indent=2))
        return
    if not hits:
        output.print_line(f"no memories of {agent.id} match {query!r}", stderr=True)
        return
    for hit in hits:
        output.print_line(AgentMemory.format_hit(hit.hit))


@memory_app.command("edit")
def edit(
    ctx: typer.Context,
    agent_id: AgentArg,
    block: Annotated[str, typer.Argument(metavar="BLOCK", help="The block's label.")],
    value: Annotated[
        str | None,
        typer.Option("--value", metavar="TEXT", help="The new text (else $EDITOR opens)."),
    ] = None,
) -> None:
    """Replace a core memory block's text: with --value, or in $EDITOR."""
    import click

    from axo_tui.core.memory.core_blocks import CoreMemoryError

    agent, state = _open(ctx, agent_id)
    try:
        current = state.memory_block(agent, block)
    except CoreMemoryError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None
    if value is None:
        edited = click.edit(current, extension=".txt")
        if edited is None:
            output.print_line("no change (the editor was closed without saving)", stderr=True)
            return
        value = edited.rstrip("\n")
    try:
        result = state.edit_memory(agent, block, value)
    except CoreMemoryError as exc:
        output.error(str(exc).split("; set refused")[0], hint="shorten the text")
        raise typer.Exit(1) from None
    finally:
        state.close()
    if not result.changed:
        output.print_line("no change", stderr=True)
        return
    output.print_line(f"{agent.id}/{block}: {result.chars}/{result.limit} characters saved")


@memory_app.command("forget")
def forget(
    ctx: typer.Context,
    agent_id: AgentArg,
    before: Annotated[
        str | None,
        typer.Option(
            "--before", metavar="YYYY-MM-DD", help="Only what was recorded before this day."
        ),
    ] = None,
    core: Annotated[
        bool, typer.Option("--core", help="Also reset its core blocks to the config values.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete the agent's activity log, recall memories and compaction summaries (all, or
    before a day).

    Session transcripts stay in the journal (`axo gc` prunes old runs); shared memories and
    shared blocks belong to the team and are not touched."""
    from axo_tui.core.memory.semantic import SemanticMemoryError

    cutoff: dt.date | None = None
    if before is not None:
        try:
            cutoff = dt.date.fromisoformat(before)
        except ValueError:
            output.error(f"--before wants a date as YYYY-MM-DD (got '{before}')")
            raise typer.Exit(2) from None
        if core:
            output.error("--core resets the whole blocks; it cannot be combined with --before")
            raise typer.Exit(2)
    agent, state = _open(ctx, agent_id)
    what = f"memories of {agent.id}" + (f" from before {cutoff}" if cutoff else "")
    if not yes and not typer.confirm(f"Delete the {what}?", default=False):
        state.close()
        raise typer.Exit(1)
    try:
        report = state.forget_memory(agent, before=cutoff, core=core)
    except SemanticMemoryError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None
    finally:
        state.close()
    summary = (
        f"forgot {report.recall} recall memories and {report.activity_days} days of activity log"
    )
    if report.summaries:
        summary += (
            f", {report.summaries} compaction summar{'y' if report.summaries == 1 else 'ies'}"
        )
    output.print_line(summary + (", reset core blocks" if report.core_reset else ""))
