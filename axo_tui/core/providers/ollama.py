"""Ollama's native API: `/api/chat` streamed as NDJSON, `/api/show`, `/api/tags`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from axo_tui.core.providers.base import (
    ChatRequest,
    Completion,
    Message,
    ProviderError,
    StreamChunk,
    TextDelta,
    ToolCall,
    Usage,
)
from axo_tui.core.providers.httpbase import HttpProvider
from axo_tui.core.providers.tokens import estimate_text_tokens
from axo_tui.core.providers.wire import (
    MODEL_NAME_CHARS,
    error_message,
    function_tool,
    ndjson_objects,
    parse_tool_arguments,
    snippet,
    token_count,
)

DEFAULT_BASE_URL = "http://127.0.0.1:11434"

_FINISH_REASONS = {"stop": "stop", "length": "length"}


def message_to_ollama(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {"function": {"name": call.name, "arguments": call.arguments}}
            for call in message.tool_calls
        ]
    if message.role == "tool" and message.name:
        out["tool_name"] = message.name
    return out


def build_chat_body(request: ChatRequest, model: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "messages": [message_to_ollama(m) for m in request.messages],
        "stream": True,
    }
    if request.tools:
        body["tools"] = [function_tool(t) for t in request.tools]
    options: dict[str, Any] = {}
    if request.max_tokens is not None:
        options["num_predict"] = request.max_tokens
    if request.temperature is not None:
        options["temperature"] = request.temperature
    if request.top_p is not None:
        options["top_p"] = request.top_p
    if options:
        body["options"] = options
    return body


class OllamaProvider(HttpProvider):
    default_base_url = DEFAULT_BASE_URL
    kind_label = "Ollama server (`ollama serve`)"

    def auth_headers(self) -> dict[str, str]:
        # Plain Ollama needs no key; one behind an authenticating proxy (or ollama.com) does.
        return {"authorization": f"Bearer {self.cfg.api_key}"} if self.cfg.api_key else {}

    def not_found_hint(self, model: str) -> str:
        return f"model not found, run `ollama pull {model}`"

    def _tool_call(self, raw: Any, index: int, url: str) -> ToolCall:
        function = raw.get("function", {}) if isinstance(raw, dict) else {}
        name = str(function.get("name", ""))
        arguments = function.get("arguments", {})
        if isinstance(arguments, str):  # some model templates return a JSON string
            arguments = parse_tool_arguments(arguments, tool=name, provider=self.name, url=url)
        if not isinstance(arguments, dict):
            raise ProviderError(
                f"{self.name}: tool call '{snippet(name, 100)}' has non-object arguments: "
                f"{snippet(repr(arguments), 200)}",
                provider=self.name,
                url=url,
            )
        # Ollama gives no ids (newer versions sometimes do); the agent loop needs one per call.
        call_id = raw.get("id") if isinstance(raw, dict) else None
        return ToolCall(id=str(call_id or f"call_{index}"), name=name, arguments=arguments)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        model = self.model_for(request)
        url = f"{self.base_url}/api/chat"
        text: list[str] = []
        tool_calls: list[ToolCall] = []
        final: dict[str, Any] | None = None
        budget = self.argument_budget(url)
        async with self.post_stream(url, build_chat_body(request, model), model=model) as response:
            lines = self.lines(response, url)
            async for obj in ndjson_objects(lines, provider=self.name, url=url):
                if "error" in obj:
                    # Ollama reports failures after the 200 status line as an `error` object.
                    raise ProviderError(
                        f"{self.name}: {error_message(obj)} ({url})",
                        provider=self.name,
                        url=url,
                    )
                message = obj.get("message") or {}
                content = message.get("content") or ""
                if content:
                    text.append(content)
                    yield TextDelta(content)
                for raw in message.get("tool_calls") or ():
                    budget.spend(len(str(raw)))
                    tool_calls.append(self._tool_call(raw, len(tool_calls), url))
                if obj.get("done"):
                    final = obj
                    break
        if final is None:
            raise self.incomplete_stream(url)
        reply = "".join(text)
        prompt = token_count(final.get("prompt_eval_count"))
        completion = token_count(final.get("eval_count"))
        usage = Usage(
            prompt_tokens=prompt
            if prompt is not None
            else self.count_tokens(request.messages, request.tools),
            completion_tokens=completion if completion is not None else estimate_text_tokens(reply),
        )
        reason = str(final.get("done_reason") or "stop")
        yield Completion(
            text=reply,
            tool_calls=tuple(tool_calls),
            usage=usage,
            finish_reason="tool_calls" if tool_calls else _FINISH_REASONS.get(reason, reason),
            model=str(final.get("model") or model)[:MODEL_NAME_CHARS],
            provider=self.name,
        )

    async def context_window(self, model: str) -> int | None:
        """The context length Ollama will actually run `model` with, from `/api/show`.

        `model_info["<arch>.context_length"]` is what the model was trained for; a `num_ctx`
        in the model's parameters is what the server allocates, so the smaller one wins.
        Cached per model: it cannot change without a new `ollama create`.
        """
        if self.cfg.context_window is not None:
            return self.cfg.context_window
        if model in self._context_windows:
            return self._context_windows[model]
        url = f"{self.base_url}/api/show"
        info = await self.request_json("POST", url, body={"model": model}, model=model)
        window = _context_length(info)
        self._context_windows[model] = window
        return window

    async def list_models(self) -> list[str]:
        """Names of the models pulled on the server (`/api/tags`)."""
        url = f"{self.base_url}/api/tags"
        listing = await self.request_json("GET", url)
        models = listing.get("models", []) if isinstance(listing, dict) else []
        return [str(m.get("name") or m.get("model")) for m in models if isinstance(m, dict)]


def _context_length(info: Any) -> int | None:
    if not isinstance(info, dict):
        return None
    model_info = info.get("model_info") or {}
    trained: int | None = None
    arch = model_info.get("general.architecture")
    if arch and isinstance(model_info.get(f"{arch}.context_length"), int):
        trained = model_info[f"{arch}.context_length"]
    else:  # unknown architecture key: any "*.context_length" will do
        for key, value in model_info.items():
            if key.endswith(".context_length") and isinstance(value, int):
                trained = value
                break
    configured = _num_ctx(info.get("parameters"))
    if trained is not None and configured is not None:
        return min(trained, configured)
    return trained if trained is not None else configured


def _num_ctx(parameters: Any) -> int | None:
    """`num_ctx` from the Modelfile parameters, a text block of `name value` lines."""
    if not isinstance(parameters, str):
        return None
    for line in parameters.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "num_ctx":
            try:
                return int(parts[1])
            except ValueError:
                return None
    return None
