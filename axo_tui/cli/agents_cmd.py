"""`axo agents list|status|restart ID`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from axo_tui.cli import output
from axo_tui.cli.completion import complete_agent
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import data_dir, load_project, open_project_state

agents_app = AxoTyper(
    name="agents", help="List agents, their status; restart a degraded one.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (shape: docs/cli.md).")]


def register(app: AxoTyper) -> None:
    app.add_typer(agents_app)


@agents_app.command("list")
def list_agents(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the agents: role, provider and model, dependencies, tools, budget."""
    from axo_tui.core.runtime.api import AgentInfo
    from axo_tui.core.wasm.deployments import DeploymentStore

    config = load_project(ctx)
    agents = [AgentInfo.of(agent) for agent in config.agents]
    kinds = {agent.id: agent.kind.value for agent in config.agents}
    # `axo deploy`ed WASM agents live in the data dir, not in axo.yaml.
    deployed = DeploymentStore(data_dir(ctx, config) / "wasm").records()
    if as_json:
        rows = [{**agent.to_dict(), "kind": kinds[agent.id]} for agent in agents]
        rows += [{"id": d.name, "kind": "wasm", "deployed": True, **d.to_dict()} for d in deployed]
        print(json.dumps(rows, indent=2))
        return
    for d in deployed:
        limits = d.limits
        output.print_line(f"{d.name}  (wasm, deployed, sha256 {d.sha256[:12]})", style="bold")
        output.print_line(
            f"    limits: fuel {limits.fuel}, memory {limits.memory_mb} MB, "
            f"timeout {limits.timeout_ms} ms"
        )
    for agent in agents:
        if kinds[agent.id] == "wasm":
            output.print_line(f"{agent.id}  (wasm, axo.yaml)", style="bold")
            continue
        model = f"{agent.provider}/{agent.model}" if agent.model else agent.provider
        output.print_line(f"{agent.id}  ({agent.role}, {model})", style="bold")
        if agent.depends_on:
            output.print_line(f"    depends on: {', '.join(agent.depends_on)}")
        if agent.tools:
            output.print_line(f"    tools: {', '.join(agent.tools)}")
        if agent.per_execution or agent.per_call:
            output.print_line(
                f"    budget: per_call {agent.per_call or '-'}, "
                f"per_execution {agent.per_execution or '-'}"
            )


@agents_app.command("status")
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Each agent's last activation, failures and tokens spent today (from the journal), and
    whether it is degraded (from its checkpoint)."""
    from axo_tui.core.store.journal import JournalError

    config = load_project(ctx)
    state = open_project_state(ctx, config)
    try:
        report = state.agent_statuses(config.agents)
    except JournalError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None
    finally:
        state.close()
    for warning in report.warnings:
        output.warning(warning)
    rows = report.to_list()
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    width = max((len(r["id"]) for r in rows), default=5)
    for row in rows:
        when = (
            dt.datetime.fromtimestamp(float(row["last_activated"])).strftime("%Y-%m-%d %H:%M")
            if row["last_activated"]
            else "-"
        )
        style = "red" if row["state"] in ("failed", "degraded") else None
        output.print_line(
            f"{row['id']:<{width}}  {row['state']:<10} {row['activations']:>5} runs "
            f"{row['failures']:>3} failed  {row['tokens_today']:>7} tok today  last {when}",
            style=style,
        )
        if row["state"] in ("failed", "degraded") and row["last_error"]:
            output.print_line(f"{'':<{width}}  {row['last_error']}", style="dim")
        if row["degraded_until"]:
            until = dt.datetime.fromtimestamp(float(row["degraded_until"])).strftime("%H:%M:%S")
            output.print_line(
                f"{'':<{width}}  degraded after {row['consecutive_failures']} failures in a row: "
                f"activations refused until {until}; `axo agents restart {row['id']}` retries now",
                style="yellow",
            )


@agents_app.command("restart")
def restart(
    ctx: typer.Context,
    agent_id: Annotated[
        str,
        typer.Argument(metavar="ID", help="The agent to restart.", autocompletion=complete_agent),
    ],
) -> None:
    """Close a degraded agent's circuit and forget its failures; its next activation runs.

    Works while `axo dev` (or any runtime) is running: the circuit lives in the checkpoint."""
    from axo_tui.core.store.checkpoints import CheckpointError

    config = load_project(ctx)
    known = [agent.id for agent in config.agents]
    if agent_id not in known:
        import difflib

        close = difflib.get_close_matches(agent_id, known, n=1)
        output.error(
            f"no agent named '{agent_id}'" + (f"; did you mean '{close[0]}'?" if close else ""),
            hint=f"known agents: {', '.join(known) or 'none'}",
        )
        raise typer.Exit(1)
    state = open_project_state(ctx, config)
    try:
        before = state.restart_agent(agent_id)
    except CheckpointError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None
    finally:
        state.close()
    if before.degraded():
        output.print_line(
            f"{agent_id}: circuit closed after {before.consecutive_failures} failures; "
            "its next activation runs"
        )
    else:
        output.print_line(f"{agent_id}: was not degraded; failure count reset")
