"""`mcp_servers:` in Axocoatl's schema: name, transport, command/args/env, url/headers."""

from __future__ import annotations

from collections.abc import Callable

from axo_tui.core.config import Config, McpTransport, Problem
from tests.support.config_files import codes, only

Problems = Callable[..., list[Problem]]

# Axocoatl's examples/mcp-bridge/axocoatl.example.mcp.yaml, its `mcp_servers` and agent.
AXOCOATL_MCP_EXAMPLE = """\
mcp_servers:
  - name: filesystem
    transport: stdio
    command: npx
    args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]
    env: {}
  - name: remote-tools
    transport: streamable_http
    url: https://mcp.example.com/mcp
    headers:
      Authorization: "Bearer ${REMOTE_MCP_TOKEN}"
agents:
  - id: weather
    name: "Weather Agent"
    provider: ollama
    model: llama3.2
    system_prompt: "You answer weather questions."
    depends_on: []
    tools:
      - mcp__filesystem__read_file
    token_budget: { per_execution: 2000, per_call: 1000, overflow_policy: warn }
"""


def test_axocoatls_example_loads_unchanged(load: Callable[..., Config]) -> None:
    config = load(AXOCOATL_MCP_EXAMPLE, {"REMOTE_MCP_TOKEN": "s3cret"})
    files, remote = config.mcp_servers
    assert (files.name, files.transport, files.command) == ("filesystem", McpTransport.STDIO, "npx")
    assert files.args == ("-y", "@modelcontextprotocol/server-filesystem", "/tmp")
    assert (remote.name, remote.transport) == ("remote-tools", McpTransport.HTTP)
    assert remote.headers == (("Authorization", "Bearer s3cret"),)
    assert config.warnings == ()


def test_an_unset_token_in_a_header_is_a_warning(load: Callable[..., Config]) -> None:
    config = load(AXOCOATL_MCP_EXAMPLE)
    warning = only(list(config.warnings), "unset-variable")
    assert (warning.line, "REMOTE_MCP_TOKEN" in warning.message) == (11, True)


def test_every_setting(load: Callable[..., Config]) -> None:
    (server,) = load(
        "mcp_servers:\n"
        "  - name: web\n"
        "    transport: http\n"
        "    url: http://127.0.0.1:9/mcp\n"
        "    headers: {X-Team: '${TEAM}'}\n"
        "    enabled: false\n"
        "    start_timeout_secs: 5\n"
        "    call_timeout_secs: 2.5\n"
        "    tools: [search, 'get_*']\n",
        {"TEAM": "blue"},
    ).mcp_servers
    assert server.headers == (("X-Team", "blue"),)
    assert (server.enabled, server.start_timeout_secs, server.call_timeout_secs) == (
        False,
        5.0,
        2.5,
    )
    assert server.tools == ("search", "get_*")


def test_a_url_alone_means_http(load: Callable[..., Config]) -> None:
    (server,) = load("mcp_servers:\n  - {name: w, url: 'http://h/mcp'}\n").mcp_servers
    assert server.transport is McpTransport.HTTP


def test_id_is_an_alias_with_a_warning(load: Callable[..., Config]) -> None:
    config = load("mcp_servers:\n  - {id: fs, command: x}\n")
    assert config.mcp_servers[0].name == "fs"
    warning = only(list(config.warnings), "deprecated-key")
    assert (warning.line, warning.column) == (2, 6)
    assert "write `name:`" in warning.hint


def test_bad_transport_names_the_choices(problems: Problems) -> None:
    problem = only(
        problems("mcp_servers:\n  - {name: m, transport: sse, command: x}\n"), "invalid-choice"
    )
    assert (problem.code, problem.line, problem.column) == ("invalid-choice", 2, 26)
    assert "`stdio`" in problem.hint and "`http`" in problem.hint


def test_http_transport_needs_a_url(problems: Problems) -> None:
    found = problems("mcp_servers:\n  - {name: m, transport: http, command: x}\n")
    assert codes(found) == ["conflicting-keys"]


def test_name_and_id_together_conflict(problems: Problems) -> None:
    assert codes(problems("mcp_servers:\n  - {name: a, id: b, command: x}\n")) == [
        "conflicting-keys"
    ]


def test_a_double_underscore_name_is_refused(problems: Problems) -> None:
    assert codes(problems("mcp_servers:\n  - {name: my__fs, command: x}\n")) == ["invalid-id"]


def test_an_mcp_tool_of_an_undeclared_server_is_an_error(problems: Problems) -> None:
    found = problems(
        "mcp_servers:\n  - {name: files, command: x}\n"
        "agents:\n  - id: a\n    tools: [mcp__file__read, 'mcp__files__*', 'mcp__*']\n"
    )
    problem = only(found, "unknown-reference")
    assert (problem.line, problem.column) == (5, 13)
    assert "`file`" in problem.message and "MCP server" in problem.message
    assert "did you mean 'files'?" in problem.hint
