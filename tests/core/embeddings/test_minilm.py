"""The embedded MiniLM embedder reproduces all-MiniLM-L6-v2 (sentence-transformers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from axo_tui.core.embeddings import Embedder, EmbeddingError, MiniLMEmbedder, find_minilm_dir

from .reference_bert import ReferenceMiniLM

# First dimensions of all-MiniLM-L6-v2("hello world") as published by an independent project
# (fastembed's canonical vectors, computed with the ONNX export of the model). They are rounded
# to 5-6 decimals, so they pin the model to ~5e-6.
PUBLISHED_HELLO_WORLD = [-0.034478, 0.03102, 0.00673, 0.02611, -0.039362]

# Computed once with tests/core/embeddings/reference_bert.py (float64, exact erf, its own
# WordPiece tokenizer); that reference agrees with the published values above.
FLOAT64_REFERENCE = {
    "The cat sits outside.": [
        0.13884172, 0.00012638, 0.04263409, 0.04575235, -0.05862809, -0.00674126,
    ],
    "A man is playing guitar.": [
        0.02427288, -0.00065749, -0.00780014, -0.06622952, -0.16170223, 0.00211216,
    ],
    "Café naïve résumé — déjà vu?": [
        -0.07665088, -0.0208464, 0.0522155, 0.0507482, 0.07274439, 0.04947975,
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    model = MiniLMEmbedder()
    model.load()
    return model


def test_is_an_embedder(embedder: MiniLMEmbedder) -> None:
    assert isinstance(embedder, Embedder)
    assert embedder.dimension == 384
    assert embedder.name == "minilm:all-MiniLM-L6-v2"


def test_matches_published_values(embedder: MiniLMEmbedder) -> None:
    vector = embedder.embed_sync(["hello world"])[0]
    np.testing.assert_allclose(vector[:5], PUBLISHED_HELLO_WORLD, atol=1e-5, rtol=0)


@pytest.mark.parametrize("sentence", sorted(FLOAT64_REFERENCE))
def test_matches_stored_float64_reference(embedder: MiniLMEmbedder, sentence: str) -> None:
    vector = embedder.embed_sync([sentence])[0]
    np.testing.assert_allclose(vector[:6], FLOAT64_REFERENCE[sentence], atol=1e-5, rtol=0)


def test_whole_vectors_match_live_float64_reference(embedder: MiniLMEmbedder) -> None:
    reference = ReferenceMiniLM(find_minilm_dir())
    sentences = [
        "Agents coordinate through an event lattice, with decaying signals!",
        # 600 words: past the 256-token limit, so truncation must match too.
        " ".join(["the budget of every agent is checked before a call"] * 60),
    ]
    ours = embedder.embed_sync(sentences)
    for row, sentence in zip(ours, sentences, strict=True):
        np.testing.assert_allclose(row, reference.embed(sentence), atol=1e-5, rtol=0)


def test_rows_are_unit_float32(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed_sync(["one", "two words", ""])
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_paraphrase_ranks_above_unrelated(embedder: MiniLMEmbedder) -> None:
    query, paraphrase, *unrelated = embedder.embed_sync(
        [
            "How do I reset my password?",
            "I forgot my password and need to change it.",
            "The weather in Lisbon is sunny today.",
            "Photosynthesis converts light into chemical energy.",
            "Add two cups of flour to the bowl.",
        ]
    )
    paraphrase_score = float(query @ paraphrase)
    assert all(paraphrase_score > float(query @ other) + 0.2 for other in unrelated)


def test_batching_matches_single_calls(embedder: MiniLMEmbedder) -> None:
    # Different lengths, so batches mix padding widths and the sort by length reorders them.
    texts = [f"sentence number {i} " + "with more words " * (i % 7) for i in range(45)]
    batched = embedder.embed_sync(texts)
    singles = np.stack([embedder.embed_sync([text])[0] for text in texts])
    np.testing.assert_allclose(batched, singles, atol=1e-6, rtol=0)


async def test_async_embed_matches_sync(embedder: MiniLMEmbedder) -> None:
    texts = ["async and sync agree", "second text"]
    np.testing.assert_array_equal(await embedder.embed(texts), embedder.embed_sync(texts))


def test_no_texts_gives_empty_matrix(embedder: MiniLMEmbedder) -> None:
    assert embedder.embed_sync([]).shape == (0, 384)


def test_a_bare_string_is_rejected(embedder: MiniLMEmbedder) -> None:
    with pytest.raises(TypeError, match="sequence of texts"):
        embedder.embed_sync("not a list")


def test_instances_share_one_loaded_model(embedder: MiniLMEmbedder) -> None:
    other = MiniLMEmbedder()
    assert other._model() is embedder._model()


def test_broken_model_dir_names_the_fix(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(EmbeddingError, match=r"setup\.sh") as info:
        MiniLMEmbedder(tmp_path).embed_sync(["x"])
    assert str(tmp_path) in str(info.value)
