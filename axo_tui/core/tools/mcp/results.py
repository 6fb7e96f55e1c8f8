"""An MCP tool result as the text a model reads: text kept, everything else named."""

from __future__ import annotations

import json
from typing import Any


def result_text(server: str, content: list[Any], structured: Any = None) -> str:
    """The text blocks joined; an image, audio clip or embedded resource the model cannot
    take is named in a line of its own instead of silently dropped."""
    parts: list[str] = []
    for block in content:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(str(getattr(block, "text", "")))
        elif kind in ("image", "audio"):
            mime = getattr(block, "mime_type", "") or "unknown type"
            size = len(getattr(block, "data", "") or "") * 3 // 4  # base64 -> bytes
            parts.append(f"[{kind} ({mime}, {size} bytes) from MCP server '{server}' not shown]")
        elif kind == "resource":
            parts.append(_embedded(server, getattr(block, "resource", None)))
        elif kind == "resource_link":
            uri, name = getattr(block, "uri", ""), getattr(block, "name", "")
            parts.append(f"[resource link '{name}': {uri}]")
        else:
            parts.append(f"[a '{kind or 'unknown'}' block from MCP server '{server}' not shown]")
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False))
    return "\n".join(parts)


def _embedded(server: str, resource: Any) -> str:
    uri = str(getattr(resource, "uri", ""))
    text = getattr(resource, "text", None)
    if isinstance(text, str):
        return f"[embedded resource {uri}]\n{text}"
    mime = getattr(resource, "mime_type", None) or "binary"
    return f"[embedded resource {uri} ({mime}) from MCP server '{server}' not shown]"
