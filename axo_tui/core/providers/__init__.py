"""LLM providers: one streaming contract (`base`), wire adapters, retries, a registry.

Importing this package stays cheap (no httpx): the HTTP providers are imported by
`registry.build_provider` when a provider of their kind is first built.
"""

from axo_tui.core.providers.base import (
    ChatRequest,
    Completion,
    Message,
    Provider,
    ProviderError,
    StreamChunk,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
    complete,
)

__all__ = [
    "ChatRequest",
    "Completion",
    "Message",
    "Provider",
    "ProviderError",
    "StreamChunk",
    "TextDelta",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "complete",
]
