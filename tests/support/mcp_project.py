"""A project for the MCP server's tests: a two-agent workflow, an agent whose tool call
waits for approval, one whose budget refuses every call. Scripted replies: no model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

PROJECT = """\
name: mcp-served
providers:
  scripted:
    kind: scripted
    replies:
      planner: ["plan: three steps"]
      writer: ["the final draft"]
      ops:
        - {tool_calls: [{name: shell, arguments: {command: "echo ran >> out.txt"}}]}
        - "done"
      frugal: ["never said"]
agents:
  - id: planner
    provider: scripted
    memory: {recall: {passive_inject: false}}
  - id: writer
    provider: scripted
    depends_on: [planner]
    memory: {recall: {passive_inject: false}}
  - id: ops
    provider: scripted
    tools: [shell]
    memory: {recall: {passive_inject: false}}
  - id: frugal
    provider: scripted
    token_budget: {per_call: 5, overflow_policy: abort}
    memory: {recall: {passive_inject: false}}
workflows:
  - id: draft
    agents: [planner, writer]
    entry_point: planner
"""
TOOLS = ["agent_planner", "agent_writer", "agent_ops", "agent_frugal", "workflow_draft"]


def write_project(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "axo.yaml"
    path.write_text(PROJECT, encoding="utf-8")
    return path


@asynccontextmanager
async def http_client(url: str, token: str | None = None) -> AsyncIterator[Any]:
    """The SDK's own client (entered) over streamable HTTP, with a bearer token if given."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    timeout = httpx2.Timeout(30, read=120)
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client
