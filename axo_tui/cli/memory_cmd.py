"""`axo memory show|search|edit|forget|sessions AGENT`: look into and curate agent memory.

These commands work on the files directly (no runtime is started), so they can be used
while `axo dev` runs: core memory edits are locked and atomic, and a running agent sees
them on its next turn.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from axo_tui.cli import output
from axo_tui.cli.completion import complete_agent
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import data_dir, load_project
from axo_tui.core.base.terminal_text import terminal_json

if TYPE_CHECKING:
    from axo_tui.core.config import Config
    from axo_tui.core.config.schema import AgentConfig
    from axo_tui.core.memory.service import AgentMemory

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


def _open(ctx: typer.Context, agent_id: str) -> tuple[Config, AgentConfig, AgentMemory, Path]:
    from axo_tui.core.memory.service import AgentMemory

    config = load_project(ctx)
    try:
        agent = config.agent(agent_id)
    except KeyError:
        known = ", ".join(a.id for a in config.agents) or "none"
        output.error(f"no agent named '{agent_id}'", hint=f"the agents are: {known}")
        raise typer.Exit(1) from None
    state = data_dir(ctx, config)

    def warn(_agent: str | None, message: str) -> None:
        output.warning(message)

    return config, agent, AgentMemory(state, notify=warn), state


def _sessions(state: Path, agent_id: str) -> list[tuple[str, int, float]]:
    from axo_tui.core.store.journal import Journal, JournalError

    path = state / "axo.db"
    if not path.exists():
        return []
    try:
        journal = Journal(path)
    except JournalError as exc:
        output.warning(str(exc))
        return []
    try:
        return [(sid, count, ts) for sid, _agent, count, ts in journal.sessions(agent_id)]
    finally:
        journal.close()


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


@memory_app.command("show")
def show(ctx: typer.Context, agent_id: AgentArg, as_json: JsonOption = False) -> None:
    """Core memory blocks, how much is stored for recall, activity log days, sessions."""
    _config, agent, memory, state = _open(ctx, agent_id)
    blocks = memory.core.all_blocks(agent)
    days = memory.log.days(agent.id)
    sessions = _sessions(state, agent.id)
    recall = _recall_counts(memory, agent.id)
    if as_json:
        document = {
            "agent": agent.id,
            "core": [
                {
                    "label": b.label,
                    "value": b.value,
                    "chars": b.chars,
                    "limit": b.limit,
                    "description": b.description,
                    "shared": b.shared,
                    "in_config": b.in_config,
                }
                for b in blocks
            ],
            "recall": recall,
            "activity_days": [day.isoformat() for day in days],
            "sessions": [{"id": s, "messages": n, "last": ts} for s, n, ts in sessions],
        }
        print(terminal_json(document, indent=2))
        return
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
            f"recall: {recall['own']} memories, {recall['shared']} shared, "
            f"{recall['queued']} waiting to be embedded",
            style="bold",
        )
    if days:
        output.print_line(
            f"activity log: {len(days)} days, {days[0]} to {days[-1]} "
            f"({memory.log.agent_dir(agent.id)})",
            style="bold",
        )
    else:
        output.print_line("activity log: empty", style="bold")
    output.print_line(f"sessions: {len(sessions)}", style="bold")
    for session_id, count, ts in sessions[:10]:
        output.print_line(f"  {session_id}  {count} messages, last {_when(ts)}")
    if len(sessions) > 10:
        output.print_line(f"  ... and {len(sessions) - 10} more (axo memory sessions {agent.id})")


def _recall_counts(memory: AgentMemory, agent_id: str) -> dict[str, int] | None:
    from axo_tui.core.memory.semantic import SemanticMemoryError

    queued = sum(1 for entry in memory.spool.load() if entry.agent_id == agent_id)
    try:
        own = memory.semantic.count(agent_id)
        shared = memory.semantic.count(agent_id, shared=True)
    except SemanticMemoryError as exc:
        output.warning(str(exc))
        return None
    finally:
        memory.semantic.close()
    return {"own": own, "shared": shared, "queued": queued}


@memory_app.command("sessions")
def sessions(ctx: typer.Context, agent_id: AgentArg, as_json: JsonOption = False) -> None:
    """The agent's sessions (chat sessions and runs), newest first; resume one with
    `axo chat -a AGENT` and `/session ID`."""
    _config, agent, _memory, state = _open(ctx, agent_id)
    rows = _sessions(state, agent.id)
    if as_json:
        print(json.dumps([{"id": s, "messages": n, "last": ts} for s, n, ts in rows], indent=2))
        return
    if not rows:
        output.print_line(f"no sessions recorded for {agent.id}", stderr=True)
        return
    for session_id, count, ts in rows:
        output.print_line(f"{session_id}  {count} messages, last {_when(ts)}")


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

    _config, agent, memory, _state = _open(ctx, agent_id)

    async def run() -> list[Any]:
        try:
            return await memory.search(agent.id, query, k)
        finally:
            await memory.aclose()

    try:
        import asyncio  # here: `axo --help` must not pay for it

        hits = asyncio.run(run())
    except SemanticMemoryError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None
    if as_json:
        rows = [
            {
                "score": h.score,
                "text": h.text,
                "ts": h.ts,
                "session_id": h.session_id,
                "shared": h.shared,
            }
            for h in hits
        ]
        print(terminal_json(rows, indent=2))
        return
    if not hits:
        output.print_line(f"no memories of {agent.id} match {query!r}", stderr=True)
        return
    for hit in hits:
        output.print_line(memory.format_hit(hit))


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

    _config, agent, memory, _state = _open(ctx, agent_id)
    try:
        current = memory.core.block(agent, block)
    except CoreMemoryError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None
    if value is None:
        edited = click.edit(current.value, extension=".txt")
        if edited is None:
            output.print_line("no change (the editor was closed without saving)", stderr=True)
            return
        value = edited.rstrip("\n")
    if value == current.value:
        output.print_line("no change", stderr=True)
        return
    try:
        result = memory.core.set(agent, block, value)
    except CoreMemoryError as exc:
        output.error(str(exc).split("; set refused")[0], hint="shorten the text")
        raise typer.Exit(1) from None
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
    _config, agent, memory, _state = _open(ctx, agent_id)
    what = f"memories of {agent.id}" + (f" from before {cutoff}" if cutoff else "")
    if not yes and not typer.confirm(f"Delete the {what}?", default=False):
        raise typer.Exit(1)
    days = memory.log.forget(agent.id, cutoff)
    doomed = [
        entry.id
        for entry in memory.spool.load()
        if entry.agent_id == agent.id and (cutoff is None or entry.id < _spool_id(cutoff))
    ]
    memory.spool.forget(doomed)  # for good: no later process may store them
    queued = len(doomed)
    cutoff_ts = (
        None if cutoff is None else dt.datetime.combine(cutoff, dt.time()).astimezone().timestamp()
    )
    try:
        recalled = memory.semantic.forget(agent.id, before=cutoff_ts)
    except SemanticMemoryError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None
    finally:
        memory.semantic.close()
    summaries = memory.summaries.forget(agent.id, before=cutoff_ts)
    if core:
        memory.core.reset(agent)
    summary = f"forgot {recalled + queued} recall memories and {days} days of activity log"
    if summaries:
        summary += f", {summaries} compaction summar{'y' if summaries == 1 else 'ies'}"
    output.print_line(summary + (", reset core blocks" if core else ""))


def _spool_id(day: dt.date) -> str:
    """Spool ids start with the creation time in ns: the smallest id of that day."""
    start = dt.datetime.combine(day, dt.time()).astimezone().timestamp()
    return f"{int(start * 1e9):020d}"
