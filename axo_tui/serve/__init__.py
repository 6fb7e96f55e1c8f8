"""Protocols over the runtime: HTTP API, WebSocket, MCP and A2A glue."""
