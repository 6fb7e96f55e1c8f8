"""axo as an MCP server (docs/mcp.md): each agent a tool `agent_<id>`, each workflow a tool
`workflow_<id>`, runs and memory as read-only resources. Served over stdio (`axo mcp serve`)
and over streamable HTTP at `/mcp` under `axo serve`. Built on the runtime's public API
only; `mcp` (half a second to import) is imported by the modules that serve, never here."""
