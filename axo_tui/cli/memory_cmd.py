"""`axo memory show|search|edit|forget|sessions AGENT`: look into and curate agent memory.

These commands use the project's recorded state (`ProjectState`, no runtime started), so
they can be used while `axo dev` runs: core memory edits are locked and atomic, and a
running agent sees them on its next turn. While `axo serve` (or `axo dev --serve`) hosts
the project, they ask it instead (`memory_remote`), and print the same.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer

from axo_tui.cli import output
from axo_tui.cli.completion import complete_agent
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import load_project, open_project_state
from axo_tui.cli.remote import RemoteError, remote_for
from axo_tui.core.base.terminal_text import terminal_json

if TYPE_CHECKING:
    from axo_tui.cli.remote import Remote
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


def _served(ctx: typer.Context) -> Remote | None:
    """The daemon that holds the project (or --remote); None: its state, read here. A
    workbench that does not serve is no obstacle: these edits are locked and atomic."""
    return remote_for(ctx, runtime_needed=False)


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


@memory_app.command("show")
def show(ctx: typer.Context, agent_id: AgentArg, as_json: JsonOption = False) -> None:
    """Core blocks, how much is stored for recall, activity log days, sessions."""
    remote = _served(ctx)
    if remote is not None:
        from axo_tui.cli.memory_remote import ask_about, memory_path

        view = ask_about(remote, agent_id, "GET", memory_path(agent_id))
        log_dir = None if remote.state_dir is None else _log_dir(remote.state_dir, agent_id)
    else:
        agent, state = _open(ctx, agent_id)
        try:
            found = state.memory_of(agent)
        finally:
            state.close()
        for warning in found.warnings:
            output.warning(warning)
        view, log_dir = found.to_dict(), found.log_dir
    if as_json:
        print(terminal_json(view, indent=2))
        return
    _print_view(view, log_dir)


def _log_dir(state_dir: Path, agent_id: str) -> Path:
    """Where the daemon keeps the agent's activity log, on this machine."""
    from axo_tui.core.memory.activity_log import ActivityLog

    return ActivityLog.of_project(state_dir).agent_dir(agent_id)


def _print_view(view: dict[str, Any], log_dir: Path | None) -> None:
    """`axo memory show` from its `--json` object (local and served print the same)."""
    agent_id, blocks, days = view["agent"], view["core"], view["activity_days"]
    sessions, recall = view["sessions"], view["recall"]
    output.print_line(f"core memory of {agent_id}", style="bold")
    if not blocks:
        output.print_line("  (no core blocks configured)")
    for block in blocks:
        tags = " shared" if block["shared"] else ""
        tags += "" if block["in_config"] else " not in config"
        output.print_line(
            f"  {block['label']} ({block['chars']}/{block['limit']}{tags})", style="bold"
        )
        if block["description"]:
            output.print_line(f"    {block['description']}", style="dim")
        for line in (block["value"] or "(empty)").splitlines():
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
        where = f" ({log_dir})" if log_dir is not None else ""
        output.print_line(
            f"activity log: {len(days)} days, {days[0]} to {days[-1]}{where}", style="bold"
        )
    else:
        output.print_line("activity log: empty", style="bold")
    output.print_line(f"sessions: {len(sessions)}", style="bold")
    for session in sessions[:10]:
        output.print_line(
            f"  {session['id']}  {session['messages']} messages, last {_when(session['last'])}"
        )
    if len(sessions) > 10:
        output.print_line(f"  ... and {len(sessions) - 10} more (axo memory sessions {agent_id})")


@memory_app.command("sessions")
def sessions(ctx: typer.Context, agent_id: AgentArg, as_json: JsonOption = False) -> None:
    """The agent's sessions (chat sessions and runs), newest first; resume one with
    `axo chat -a AGENT` and `/session ID`."""
    from axo_tui.core.store.journal import JournalError

    remote = _served(ctx)
    if remote is not None:
        from axo_tui.cli.memory_remote import ask_about

        path = f"/api/chat/{quote(agent_id, safe='')}/sessions"
        rows: list[dict[str, Any]] = ask_about(remote, agent_id, "GET", path)
    else:
        agent, state = _open(ctx, agent_id)
        try:
            rows = [row.to_dict() for row in state.sessions(agent.id)]
        except JournalError as exc:
            output.warning(str(exc))
            rows = []
        finally:
            state.close()
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    if not rows:
        output.print_line(f"no sessions recorded for {agent_id}", stderr=True)
        return
    for row in rows:
        output.print_line(f"{row['id']}  {row['messages']} messages, last {_when(row['last'])}")


@memory_app.command("search")
def search(
    ctx: typer.Context,
    agent_id: AgentArg,
    query: Annotated[str, typer.Argument(metavar="QUERY", help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many memories.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Search the agent's long-term memory by meaning (what recall_search sees)."""
    from axo_tui.core.memory.semantic import RecallHit
    from axo_tui.core.memory.service import AgentMemory

    remote = _served(ctx)
    if remote is not None:
        from axo_tui.cli.memory_remote import ask_about, memory_path

        path = memory_path(agent_id, "search")
        hits: list[dict[str, Any]] = ask_about(
            remote, agent_id, "GET", path, params={"q": query, "k": k}
        )
    else:
        hits = [hit.to_dict() for hit in _search_here(ctx, agent_id, query, k)]
    if as_json:
        print(terminal_json(hits, indent=2))
        return
    if not hits:
        output.print_line(f"no memories of {agent_id} match {query!r}", stderr=True)
        return
    for hit in hits:
        found = RecallHit(
            id="",
            text=hit["text"],
            score=hit["score"],
            ts=hit["ts"],
            agent_id=agent_id,
            session_id=hit["session_id"] or "",
            shared=hit["shared"],
            reply=hit.get("reply", ""),
        )
        output.print_line(AgentMemory.format_hit(found))


def _search_here(ctx: typer.Context, agent_id: str, query: str, k: int) -> list[RecallMatch]:
    from axo_tui.core.memory.semantic import SemanticMemoryError

    agent, state = _open(ctx, agent_id)

    async def run() -> list[RecallMatch]:
        try:
            return await state.search_memory(agent, query, k)
        finally:
            await state.aclose()

    try:
        import asyncio  # here: `axo --help` must not pay for it

        return asyncio.run(run())
    except SemanticMemoryError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None


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

    remote = _served(ctx)
    if remote is not None:
        _edit_remotely(remote, agent_id, block, value)
        return
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


def _edit_remotely(remote: Remote, agent_id: str, block: str, value: str | None) -> None:
    import click

    from axo_tui.cli.memory_remote import ask_about, memory_path

    if value is None:
        view = ask_about(remote, agent_id, "GET", memory_path(agent_id))
        current = {b["label"]: b["value"] for b in view["core"]}
        if block not in current:
            labels = ", ".join(current) or "none"
            output.error(f"no core memory block '{block}'; the blocks are: {labels}")
            raise typer.Exit(1)
        edited = click.edit(current[block], extension=".txt")
        if edited is None:
            output.print_line("no change (the editor was closed without saving)", stderr=True)
            return
        value = edited.rstrip("\n")

    def refused(exc: RemoteError) -> None:
        if exc.code == "invalid_request":  # over its limit: as the local path words it
            output.error(str(exc).split("; set refused")[0], hint="shorten the text")
            raise typer.Exit(1)

    path = memory_path(agent_id, "blocks", block)
    result = ask_about(remote, agent_id, "PUT", path, body={"value": value}, refused=refused)
    if not result["changed"]:
        output.print_line("no change", stderr=True)
        return
    output.print_line(f"{agent_id}/{block}: {result['chars']}/{result['limit']} characters saved")


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
    what = f"memories of {agent_id}" + (f" from before {cutoff}" if cutoff else "")
    remote = _served(ctx)
    if remote is not None:
        from axo_tui.cli.memory_remote import ask_about, check_agent, memory_path

        check_agent(remote, agent_id)  # before the question, as locally
        if not yes and not typer.confirm(f"Delete the {what}?", default=False):
            raise typer.Exit(1)
        body = {"before": before, "core": core}
        report = ask_about(remote, agent_id, "POST", memory_path(agent_id, "forget"), body=body)
    else:
        agent, state = _open(ctx, agent_id)
        if not yes and not typer.confirm(f"Delete the {what}?", default=False):
            state.close()
            raise typer.Exit(1)
        try:
            report = state.forget_memory(agent, before=cutoff, core=core).to_dict()
        except SemanticMemoryError as exc:
            output.error(str(exc))
            raise typer.Exit(1) from None
        finally:
            state.close()
    summary = (
        f"forgot {report['recall']} recall memories and {report['activity_days']} days of "
        "activity log"
    )
    if report["summaries"]:
        n = report["summaries"]
        summary += f", {n} compaction summar{'y' if n == 1 else 'ies'}"
    output.print_line(summary + (", reset core blocks" if report["core_reset"] else ""))
