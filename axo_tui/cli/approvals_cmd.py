"""`axo approvals list|approve ID|deny ID [--always]|rules|revoke AGENT TOOL`: answer the
tool calls that wait for a human, from any terminal.

The answer is written to the project's journal; a runtime waiting on it (`axo dev`,
`axo serve`, `axo run`) picks it up within a second. See docs/cli.md.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from axo_tui.cli import output
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import state_dir_for_reading
from axo_tui.cli.remote import remote_for

if TYPE_CHECKING:
    from axo_tui.cli.remote import Remote
    from axo_tui.core.runtime.state import ProjectState

approvals_app = AxoTyper(
    name="approvals",
    help="Tool calls waiting for a human: list, approve, deny; remembered decisions.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (shape: docs/cli.md).")]
IdArgument = Annotated[
    str, typer.Argument(metavar="ID", help="Approval id (a unique prefix of 6+ characters works).")
]
AlwaysOption = Annotated[
    bool,
    typer.Option("--always", help="Remember it for this agent and tool (`revoke` forgets it)."),
]
ARGUMENTS_SHOWN = 160


def register(app: AxoTyper) -> None:
    app.add_typer(approvals_app)


def _state(ctx: typer.Context) -> ProjectState:
    from axo_tui.core.runtime.build import open_state
    from axo_tui.core.store.journal import JournalError

    state = open_state(state_dir_for_reading(ctx))
    try:
        return state.open()
    except JournalError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None


def _line(record: dict[str, Any]) -> str:
    """One approval (its `--json` object: local and served ones print the same)."""
    arguments = json.dumps(record["arguments"], ensure_ascii=False)
    if len(arguments) > ARGUMENTS_SHOWN:
        arguments = arguments[:ARGUMENTS_SHOWN] + "…"
    if record["status"] == "pending":
        left = max(0, round(record["expires_at"] - time.time()))
        when = f"denied in {left}s unless answered"
    else:
        when = f"{record['status']} by {record['decided_by']}"
    return f"{record['id']}  {record['agent_id']:<12} {record['tool']:<12} {arguments}  ({when})"


def _served(ctx: typer.Context) -> Remote | None:
    """The daemon that answers for this project (served, or --remote), if any."""
    return remote_for(ctx, runtime_needed=False)


def _ask(remote: Remote, method: str, path: str, **kwargs: Any) -> Any:
    from axo_tui.cli.remote import ApiClient, run_remote

    async def job(client: ApiClient) -> Any:
        return await client.call(method, path, **kwargs)

    return run_remote(remote, job)


@approvals_app.command("list")
def list_approvals(
    ctx: typer.Context,
    as_json: JsonOption = False,
    every: Annotated[bool, typer.Option("--all", help="Recent ones of any status too.")] = False,
) -> None:
    """The tool calls waiting for an answer, oldest first (with --all: recent ones, newest
    first)."""
    remote = _served(ctx)
    if remote is not None:
        query = {"all": "true"} if every else None
        records: list[dict[str, Any]] = _ask(remote, "GET", "/api/approvals", params=query)
    else:
        state = _state(ctx)
        try:
            found = state.recent_approvals() if every else state.pending_approvals()
        finally:
            state.close()
        records = [record.to_dict() for record in found]
    if as_json:
        print(json.dumps(records, indent=2))
        return
    if not records:
        output.print_line("no tool calls are waiting for approval", stderr=True)
    pending = [record["status"] == "pending" for record in records]
    for record, waits in zip(records, pending, strict=True):
        output.print_line(_line(record), style="yellow" if waits else None)
    if any(pending):
        output.print_line("answer with `axo approvals approve ID` or `deny ID`", stderr=True)


def _decide(
    ctx: typer.Context, approval_id: str, decision: str, always: bool, as_json: bool
) -> None:
    from axo_tui.core.runtime.approvals import ApprovalError

    remember = "always" if always else "once"
    remote = _served(ctx)
    if remote is not None:
        record = _decide_remotely(remote, approval_id, decision, remember)
    else:
        state = _state(ctx)
        try:
            record = state.decide_approval(approval_id, decision, remember, exact=False).to_dict()
        except ApprovalError as exc:
            output.error(str(exc), hint="`axo approvals list` shows what is waiting")
            raise typer.Exit(1) from None
        finally:
            state.close()
    if as_json:
        print(json.dumps(record, indent=2))
        return
    verb = "approved" if decision == "approve" else "denied"
    tool, agent = record["tool"], record["agent_id"]
    output.print_line(f"{verb}: {tool} for agent {agent} ({record['id']})")
    if always:
        output.print_line(
            f"remembered: every call of {tool} by {agent} is {verb} "
            f"(`axo approvals revoke {agent} {tool}` forgets it)",
            stderr=True,
        )


def _decide_remotely(
    remote: Remote, approval_id: str, decision: str, remember: str
) -> dict[str, Any]:
    """POST the decision; a unique prefix of a recent approval's id stands for it, as it
    does locally (the API itself takes only whole ids)."""
    from urllib.parse import quote

    from axo_tui.cli.remote import ApiClient, run_remote

    async def job(client: ApiClient) -> dict[str, Any]:
        recent = await client.call("GET", "/api/approvals", params={"all": "true"})
        matches = [r["id"] for r in recent if str(r["id"]).startswith(approval_id)]
        full = matches[0] if len(approval_id) >= 6 and len(matches) == 1 else approval_id
        body = {"decision": decision, "remember": remember}
        answer: dict[str, Any] = await client.call(
            "POST", f"/api/approvals/{quote(full, safe='')}", body=body
        )
        return answer

    record: dict[str, Any] = run_remote(remote, job)
    return record


@approvals_app.command("approve")
def approve(
    ctx: typer.Context,
    approval_id: IdArgument,
    always: AlwaysOption = False,
    as_json: JsonOption = False,
) -> None:
    """Let a waiting tool call run (once; with --always, every call of that tool by that
    agent from now on)."""
    _decide(ctx, approval_id, "approve", always, as_json)


@approvals_app.command("deny")
def deny(
    ctx: typer.Context,
    approval_id: IdArgument,
    always: AlwaysOption = False,
    as_json: JsonOption = False,
) -> None:
    """Refuse a waiting tool call: the agent is told it was denied."""
    _decide(ctx, approval_id, "deny", always, as_json)


@approvals_app.command("rules")
def rules(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The remembered decisions: agent and tool, approved or denied every time."""
    remote = _served(ctx)
    if remote is not None:
        found: list[dict[str, Any]] = _ask(remote, "GET", "/api/approval-rules")
    else:
        state = _state(ctx)
        try:
            found = [rule.to_dict() for rule in state.approval_rules()]
        finally:
            state.close()
    if as_json:
        print(json.dumps(found, indent=2))
        return
    if not found:
        output.print_line("no remembered decisions", stderr=True)
    for rule in found:
        since = dt.datetime.fromtimestamp(rule["created_at"]).strftime("%Y-%m-%d %H:%M")
        output.print_line(
            f"{rule['agent_id']:<12} {rule['tool']:<16} {rule['decision']:<8} since {since}"
        )


@approvals_app.command("revoke")
def revoke(
    ctx: typer.Context,
    agent_id: Annotated[str, typer.Argument(metavar="AGENT", help="The agent id.")],
    tool: Annotated[str, typer.Argument(metavar="TOOL", help="The tool name.")],
    as_json: JsonOption = False,
) -> None:
    """Forget a remembered decision: that agent's next call of that tool asks again."""
    from urllib.parse import quote

    from axo_tui.core.runtime.approvals import ApprovalError

    remote = _served(ctx)
    if remote is not None:
        path = f"/api/approval-rules/{quote(agent_id, safe='')}/{quote(tool, safe='')}"
        rule: dict[str, Any] = _ask(remote, "DELETE", path)
    else:
        state = _state(ctx)
        try:
            rule = state.revoke_approval_rule(agent_id, tool).to_dict()
        except ApprovalError as exc:
            output.error(str(exc))
            raise typer.Exit(1) from None
        finally:
            state.close()
    if as_json:
        print(json.dumps(rule, indent=2))
        return
    output.print_line(f"revoked: {tool} for agent {agent_id} asks again")
