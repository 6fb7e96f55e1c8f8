"""An OpenAI-compatible chat endpoint over httpx.MockTransport that records every request.

The tests decide each reply from the request (a "brain"), so they can both drive the agent
(ask it to call a memory tool) and assert on exactly what the model was sent: the system
prompt with its core memory and recalled memories, the tools offered, the history.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from axo_tui.core.config.schema import AgentConfig, Config, ProviderConfig, ProviderKind
from tests.support.builders import make_config


@dataclass(frozen=True)
class Reply:
    text: str = ""
    calls: tuple[tuple[str, dict[str, Any]], ...] = ()


Brain = Callable[[dict[str, Any]], Reply]


@dataclass
class FakeLLM:
    brain: Brain
    requests: list[dict[str, Any]] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        reply = self.brain(body)
        chunks: list[dict[str, Any]] = []
        if reply.text:
            chunks.append({"choices": [{"index": 0, "delta": {"content": reply.text}}]})
        for index, (name, arguments) in enumerate(reply.calls):
            call = {
                "index": index,
                "id": f"call_{len(self.requests)}_{index}",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            chunks.append({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]})
        reason = "tool_calls" if reply.calls else "stop"
        chunks.append(
            {
                "choices": [{"index": 0, "delta": {}, "finish_reason": reason}],
                "usage": {"prompt_tokens": 50, "completion_tokens": 5},
            }
        )
        lines = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks] + ["data: [DONE]\n\n"]
        return httpx.Response(
            200, content="".join(lines).encode(), headers={"content-type": "text/event-stream"}
        )


def system_of(body: dict[str, Any]) -> str:
    return "\n".join(m["content"] for m in body["messages"] if m["role"] == "system")


def last_user(body: dict[str, Any]) -> str:
    users = [m["content"] for m in body["messages"] if m["role"] == "user"]
    return str(users[-1]) if users else ""


def tool_names(body: dict[str, Any]) -> list[str]:
    return [tool["function"]["name"] for tool in body.get("tools") or ()]


def answered_tool(body: dict[str, Any]) -> bool:
    """The last message is a tool result: the model should now answer in text."""
    return bool(body["messages"]) and body["messages"][-1]["role"] == "tool"


def fake_config(tmp_path: Path, *agents: AgentConfig) -> Config:
    provider = ProviderConfig(
        name="fake",
        kind=ProviderKind.OPENAI,
        base_url="http://127.0.0.1:9/v1",
        api_key="test",
        model="fake-model",
        max_retries=0,
    )
    return make_config(tmp_path, agents, providers=[provider])
