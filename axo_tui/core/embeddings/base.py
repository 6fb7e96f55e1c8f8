"""The embedder contract shared by the local model and the HTTP embedders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from axo_tui.core.base.errors import AxoError

Vectors = NDArray[np.float32]
"""One row per input text, float32, each row L2-normalised (so a dot product is a cosine)."""


class EmbeddingError(AxoError):
    """Embedding failed. The message names the model or URL and what to do about it."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors."""

    @property
    def name(self) -> str:
        """A stable id such as `minilm:all-MiniLM-L6-v2`.

        Stores key their collections by it, so vectors of different models never mix.
        """
        ...

    @property
    def dimension(self) -> int | None:
        """Vector length; None for a remote model that has not answered yet."""
        ...

    async def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed without blocking the event loop. Raises EmbeddingError."""
        ...

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        """Embed on the calling thread. Raises EmbeddingError."""
        ...


def l2_normalise(vectors: NDArray[np.floating]) -> Vectors:
    """Scale each row to unit length; an all-zero row stays zero rather than becoming NaN."""
    rows = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, np.float32(1e-12)), dtype=np.float32)


def empty_vectors(dimension: int | None) -> Vectors:
    """The result for no input texts: shape (0, dimension) so callers can still stack it."""
    return np.zeros((0, dimension or 0), dtype=np.float32)
