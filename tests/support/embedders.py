"""Embedders for tests: deterministic, instant, and not MiniLM."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from axo_tui.core.embeddings.base import Vectors, l2_normalise


class HashEmbedder:
    """A deterministic bag-of-words embedder: cheap, and a different model from MiniLM."""

    def __init__(self, name: str = "test:hash", dimension: int = 64) -> None:
        self._name = name
        self._dimension = dimension
        self.calls = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        rows = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                rows[row, zlib.crc32(word.strip(".,?!:").encode()) % self._dimension] += 1.0
        return l2_normalise(rows)

    async def embed(self, texts: Sequence[str]) -> Vectors:
        return self.embed_sync(texts)
