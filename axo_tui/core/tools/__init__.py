"""Tools agents can call: a registry of named async functions with JSON-schema parameters."""

from axo_tui.core.tools.registry import Tool, ToolContext, ToolError, ToolRegistry

__all__ = ["Tool", "ToolContext", "ToolError", "ToolRegistry"]
