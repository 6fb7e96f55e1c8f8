"""Ollama and OpenAI-compatible embedders against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket

import numpy as np
import pytest

from axo_tui.core.embeddings import Embedder, EmbeddingError, OllamaEmbedder, OpenAIEmbedder, remote
from tests.support.model_server import Handler, ModelServer, Received, Reply


def _vector(text: str) -> list[float]:
    # Deterministic, not normalised, so the test sees the embedder normalise.
    return [float(len(text)), 3.0, 4.0]


def serving(handler: Handler) -> ModelServer:
    """The fake model server answering every request with `handler(request)`."""
    server = ModelServer()
    server.answer_all(handler)
    return server


def ollama_handler(request: Received) -> Reply:
    assert request.path == "/api/embed"
    body = request.json()
    return Reply.json({"model": body["model"], "embeddings": [_vector(t) for t in body["input"]]})


def openai_handler(request: Received) -> Reply:
    assert request.path == "/v1/embeddings"
    body = request.json()
    items = [
        {"object": "embedding", "index": i, "embedding": _vector(t)}
        for i, t in enumerate(body["input"])
    ]
    # Reversed on purpose: the order of `data` is not guaranteed, `index` is.
    return Reply.json({"object": "list", "data": items[::-1], "model": body["model"]})


@pytest.fixture(autouse=True)
def no_retry_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote, "RETRY_DELAYS", (0.0, 0.0))


def _expected(texts: list[str]) -> np.ndarray:
    rows = np.array([_vector(t) for t in texts])
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


async def test_ollama_embeds_in_order_and_normalises() -> None:
    texts = [f"text {'x' * i}" for i in range(70)]  # more than one request's worth
    async with serving(ollama_handler) as server:
        embedder = OllamaEmbedder("nomic-embed-text", base_url=server.url)
        assert isinstance(embedder, Embedder)
        assert embedder.dimension is None
        vectors = await embedder.embed(texts)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, _expected(texts), atol=1e-6)
    assert embedder.dimension == 3
    assert embedder.name == "ollama:nomic-embed-text"
    assert [len(r.json()["input"]) for r in server.requests] == [64, 6]
    assert server.requests[0].json()["model"] == "nomic-embed-text"


async def test_openai_sorts_by_index_and_sends_the_key() -> None:
    texts = ["alpha", "beta beta", "gamma gamma gamma"]
    async with serving(openai_handler) as server:
        embedder = OpenAIEmbedder(
            "text-embedding-3-small", base_url=server.url + "/v1", api_key="sk-test"
        )
        vectors = await embedder.embed(texts)
    np.testing.assert_allclose(vectors, _expected(texts), atol=1e-6)
    assert server.requests[0].headers["authorization"] == "Bearer sk-test"
    assert server.requests[0].json()["input"] == texts


async def test_sync_embed_uses_the_same_wire_protocol() -> None:
    texts = ["one", "three"]
    async with serving(openai_handler) as server:
        embedder = OpenAIEmbedder("m", base_url=server.url + "/v1")
        # embed_sync blocks its thread: keep it off the test's loop.
        vectors = await asyncio.to_thread(embedder.embed_sync, texts)
    np.testing.assert_allclose(vectors, _expected(texts), atol=1e-6)
    assert "authorization" not in server.requests[0].headers


async def test_transient_errors_are_retried() -> None:
    replies = iter(
        [
            Reply.json({"error": "loading"}, 503),
            Reply.json({"error": "slow down"}, 429, {"Retry-After": "0"}),
        ]
    )

    def flaky(request: Received) -> Reply:
        return next(replies, None) or ollama_handler(request)

    async with serving(flaky) as server:
        vectors = await OllamaEmbedder("m", base_url=server.url).embed(["hi"])
    assert vectors.shape == (1, 3)
    assert len(server.requests) == 3


async def test_persistent_server_error_names_the_url() -> None:
    async with serving(lambda r: Reply.json({"error": "boom"}, 500)) as server:
        with pytest.raises(EmbeddingError, match=r"HTTP 500.*boom") as info:
            await OllamaEmbedder("m", base_url=server.url).embed(["hi"])
    assert server.url + "/api/embed" in str(info.value)
    assert len(server.requests) == 3


async def test_auth_failure_is_not_retried_and_hints_at_the_key() -> None:
    async with serving(lambda r: Reply.json({"error": "bad key"}, 401)) as server:
        with pytest.raises(EmbeddingError, match="API key"):
            await OpenAIEmbedder("m", base_url=server.url + "/v1", api_key="x").embed(["hi"])
    assert len(server.requests) == 1


async def test_wrong_vector_count_is_an_error() -> None:
    async with serving(lambda r: Reply.json({"embeddings": [[1.0, 0.0]]})) as server:
        with pytest.raises(EmbeddingError, match="1 vectors for 2 texts"):
            await OllamaEmbedder("m", base_url=server.url).embed(["a", "b"])


async def test_not_an_embedding_server_is_explained() -> None:
    async with serving(lambda r: Reply.json({"hello": "world"})) as server:
        with pytest.raises(EmbeddingError, match="unexpected reply"):
            await OllamaEmbedder("m", base_url=server.url).embed(["a"])


async def test_unreachable_server_says_so() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(EmbeddingError, match="cannot reach"):
        await OllamaEmbedder("m", base_url=f"http://127.0.0.1:{port}").embed(["a"])


async def test_no_texts_makes_no_request() -> None:
    async with serving(ollama_handler) as server:
        vectors = await OllamaEmbedder("m", base_url=server.url).embed([])
    assert vectors.shape == (0, 0)
    assert server.requests == []
