"""Embedders that call a server: Ollama's `/api/embed` and OpenAI-compatible `/embeddings`.

Both send texts in chunks (servers cap the inputs per request), retry transient failures
(429, 5xx, network errors) a few times with backoff, and return L2-normalised float32 rows in
the order of the input, whatever order the server answered in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from axo_tui.core.embeddings.base import EmbeddingError, Vectors, empty_vectors, l2_normalise

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
DEFAULT_OPENAI_URL = "https://api.openai.com/v1"
TEXTS_PER_REQUEST = 64
RETRY_DELAYS = (0.5, 2.0)
"""Seconds to wait before the second and third attempt."""
RETRY_AFTER_CAP = 30.0


class _HttpEmbedder:
    """Shared request/retry/parse logic; subclasses say where to POST and how to read replies."""

    kind = ""
    path = ""

    def __init__(
        self,
        model: str,
        *,
        base_url: str,
        timeout: float = 60.0,
        headers: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sync_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._headers = dict(headers or {})
        self._transport = transport
        self._sync_transport = sync_transport
        self._dimension: int | None = None

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.model}"

    @property
    def dimension(self) -> int | None:
        return self._dimension

    @property
    def url(self) -> str:
        return self.base_url + self.path

    def _body(self, texts: list[str]) -> dict[str, Any]:
        raise NotImplementedError

    def _vectors(self, payload: Any, expected: int) -> list[list[float]]:
        raise NotImplementedError

    async def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return empty_vectors(self._dimension)
        rows: list[list[float]] = []
        async with httpx.AsyncClient(
            timeout=self._timeout, headers=self._headers, transport=self._transport
        ) as client:
            for chunk in _chunks(texts):
                for attempt in range(len(RETRY_DELAYS) + 1):
                    try:
                        response = await client.post(self.url, json=self._body(chunk))
                    except httpx.HTTPError as exc:
                        error: _Failure = _Failure.from_network(self, exc)
                    else:
                        if response.is_success:
                            rows.extend(self._parse(response, len(chunk)))
                            break
                        error = _Failure.from_response(self, response)
                    if not error.retryable or attempt == len(RETRY_DELAYS):
                        raise EmbeddingError(error.message)
                    await asyncio.sleep(error.delay(attempt))
        return self._finish(rows)

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return empty_vectors(self._dimension)
        rows: list[list[float]] = []
        with httpx.Client(
            timeout=self._timeout, headers=self._headers, transport=self._sync_transport
        ) as client:
            for chunk in _chunks(texts):
                for attempt in range(len(RETRY_DELAYS) + 1):
                    try:
                        response = client.post(self.url, json=self._body(chunk))
                    except httpx.HTTPError as exc:
                        error: _Failure = _Failure.from_network(self, exc)
                    else:
                        if response.is_success:
                            rows.extend(self._parse(response, len(chunk)))
                            break
                        error = _Failure.from_response(self, response)
                    if not error.retryable or attempt == len(RETRY_DELAYS):
                        raise EmbeddingError(error.message)
                    time.sleep(error.delay(attempt))
        return self._finish(rows)

    def _parse(self, response: httpx.Response, expected: int) -> list[list[float]]:
        try:
            vectors = self._vectors(response.json(), expected)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise EmbeddingError(
                f"{self.kind} embeddings: unexpected reply from {self.url}: {exc}; "
                f"is {self.base_url} really a {self.kind} server?"
            ) from exc
        if len(vectors) != expected:
            raise EmbeddingError(
                f"{self.kind} embeddings: {self.url} returned {len(vectors)} vectors "
                f"for {expected} texts"
            )
        return vectors

    def _finish(self, rows: list[list[float]]) -> Vectors:
        try:
            matrix = np.array(rows, dtype=np.float32)
        except ValueError as exc:
            raise EmbeddingError(
                f"{self.kind} embeddings: {self.url} returned vectors of different lengths"
            ) from exc
        if matrix.ndim != 2 or matrix.shape[1] == 0:
            raise EmbeddingError(f"{self.kind} embeddings: {self.url} returned no vector data")
        if self._dimension is not None and matrix.shape[1] != self._dimension:
            raise EmbeddingError(
                f"{self.kind} embeddings: model {self.model} changed dimension from "
                f"{self._dimension} to {matrix.shape[1]}; stored vectors would not match"
            )
        self._dimension = int(matrix.shape[1])
        return l2_normalise(matrix)


class _Failure:
    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after

    def delay(self, attempt: int) -> float:
        if self.retry_after is not None:
            return min(self.retry_after, RETRY_AFTER_CAP)
        return RETRY_DELAYS[attempt]

    @classmethod
    def from_network(cls, embedder: _HttpEmbedder, exc: httpx.HTTPError) -> _Failure:
        return cls(
            f"{embedder.kind} embeddings: cannot reach {embedder.url} "
            f"({type(exc).__name__}: {exc}); is the server running?",
            retryable=True,
        )

    @classmethod
    def from_response(cls, embedder: _HttpEmbedder, response: httpx.Response) -> _Failure:
        status = response.status_code
        detail = response.text.strip()[:300]
        hint = ""
        if status in (401, 403):
            hint = "; check the API key"
        elif status == 404:
            hint = f"; check the URL and that model {embedder.model!r} exists on the server"
        retry_after: float | None = None
        try:
            retry_after = float(response.headers.get("retry-after", ""))
        except ValueError:
            retry_after = None
        return cls(
            f"{embedder.kind} embeddings: {embedder.url} answered HTTP {status}: {detail}{hint}",
            retryable=status == 429 or status >= 500,
            retry_after=retry_after,
        )


def _chunks(texts: Sequence[str]) -> list[list[str]]:
    if isinstance(texts, str):
        raise TypeError("embed takes a sequence of texts, not a single string")
    items = list(texts)
    return [items[i : i + TEXTS_PER_REQUEST] for i in range(0, len(items), TEXTS_PER_REQUEST)]


class OllamaEmbedder(_HttpEmbedder):
    """Ollama's batch endpoint `POST /api/embed` (Ollama 0.3.4 and later)."""

    kind = "ollama"
    path = "/api/embed"

    def __init__(
        self,
        model: str = "nomic-embed-text",
        *,
        base_url: str = DEFAULT_OLLAMA_URL,
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sync_transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            model,
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            sync_transport=sync_transport,
        )

    def _body(self, texts: list[str]) -> dict[str, Any]:
        # truncate: an over-long text is cut to the model's context instead of failing the batch.
        return {"model": self.model, "input": texts, "truncate": True}

    def _vectors(self, payload: Any, expected: int) -> list[list[float]]:
        return list(payload["embeddings"])


class OpenAIEmbedder(_HttpEmbedder):
    """Any OpenAI-compatible `POST {base_url}/embeddings`; `base_url` ends in `/v1`."""

    kind = "openai"
    path = "/embeddings"

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        *,
        base_url: str = DEFAULT_OPENAI_URL,
        api_key: str | None = None,
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sync_transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        super().__init__(
            model,
            base_url=base_url,
            timeout=timeout,
            headers=headers,
            transport=transport,
            sync_transport=sync_transport,
        )

    def _body(self, texts: list[str]) -> dict[str, Any]:
        return {"model": self.model, "input": texts, "encoding_format": "float"}

    def _vectors(self, payload: Any, expected: int) -> list[list[float]]:
        # The spec does not promise `data` in input order; each item carries its index.
        items = sorted(payload["data"], key=lambda item: int(item["index"]))
        if [int(item["index"]) for item in items] != list(range(len(items))):
            raise ValueError("the `index` fields are not 0..n-1")
        return [list(item["embedding"]) for item in items]
