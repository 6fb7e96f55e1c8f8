"""`axo memory` through the daemon that holds the project (cli/remote.py): the routes of
docs/http.md#memory, with the local path's words for an unknown agent."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import typer

from axo_tui.cli import output
from axo_tui.cli.remote import RemoteError

if TYPE_CHECKING:
    from axo_tui.cli.remote import ApiClient, Remote

Refusal = Callable[[RemoteError], None]
"""Told the daemon's refusal first: prints it as the local path would and exits, or
returns to let the plain error line through."""


def memory_path(agent_id: str, *rest: str) -> str:
    return "/".join(["/api/memory", quote(agent_id, safe=""), *(quote(p, safe="") for p in rest)])


def ask_about(
    remote: Remote,
    agent_id: str,
    method: str,
    path: str,
    *,
    refused: Refusal | None = None,
    **kwargs: Any,
) -> Any:
    """One call about an agent's memory, the agent checked first as `_open` does locally
    (the daemon's config is the one that counts: it follows axo.yaml)."""
    from axo_tui.cli.remote import run_remote

    async def job(client: ApiClient) -> Any:
        await _require_agent(client, agent_id)
        try:
            return await client.call(method, path, **kwargs)
        except RemoteError as exc:
            if refused is not None:
                refused(exc)
            raise

    return run_remote(remote, job)


async def _require_agent(client: ApiClient, agent_id: str) -> None:
    agents = [agent["id"] for agent in await client.call("GET", "/api/agents")]
    if agent_id not in agents:
        output.error(
            f"no agent named '{agent_id}'", hint=f"the agents are: {', '.join(agents) or 'none'}"
        )
        raise typer.Exit(1)


def check_agent(remote: Remote, agent_id: str) -> None:
    """Exit 1 as the local path does when the daemon knows no such agent (before a prompt)."""
    from axo_tui.cli.remote import run_remote

    async def job(client: ApiClient) -> None:
        await _require_agent(client, agent_id)

    run_remote(remote, job)
