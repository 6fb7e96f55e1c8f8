"""Text embeddings for semantic recall: the embedded MiniLM model, Ollama and OpenAI.

Importing this package is free: each embedder lives in its own module and is loaded on first
attribute access, so code paths that never embed (`axo --help`) never pay for numpy,
tokenizers or httpx. chromadb's default embedding function is never used: it downloads a model
at run time, and axo must work with no network.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from axo_tui.core.embeddings.base import Embedder, EmbeddingError
    from axo_tui.core.embeddings.minilm import MiniLMEmbedder, find_minilm_dir
    from axo_tui.core.embeddings.remote import OllamaEmbedder, OpenAIEmbedder

__all__ = [
    "Embedder",
    "EmbeddingError",
    "MiniLMEmbedder",
    "OllamaEmbedder",
    "OpenAIEmbedder",
    "find_minilm_dir",
]

_HOMES = {
    "Embedder": "base",
    "EmbeddingError": "base",
    "MiniLMEmbedder": "minilm",
    "find_minilm_dir": "minilm",
    "OllamaEmbedder": "remote",
    "OpenAIEmbedder": "remote",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
