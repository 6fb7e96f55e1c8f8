"""A model on the fake server (OpenAI's wire, 127.0.0.1) that uses one tool: asked anything,
it calls the tool once; shown the tool's result, it answers `saw: RESULT`. So a test reads,
from what went over the wire, exactly what the model was told the tool returned."""

from __future__ import annotations

from typing import Any

from tests.support.dialects import openai_chat, openai_tool_call
from tests.support.model_server import ModelServer, Received, Reply

CHAT = "/v1/chat/completions"


class OneToolModel:
    def __init__(self, server: ModelServer, tool: str, arguments: dict[str, Any]) -> None:
        self.server = server
        self.tool = tool
        self.arguments = arguments
        server.answer(CHAT, self._answer)

    def _answer(self, request: Received) -> Reply:
        body = request.json()
        last = body["messages"][-1]
        if last["role"] == "tool":
            return openai_chat(body["model"], [f"saw: {last['content']}"], prompt=30, completion=5)
        return openai_tool_call(body["model"], self.tool, self.arguments)

    def tool_results(self) -> list[str]:
        """What the model was told each tool call returned, in order."""
        return [
            message["content"]
            for request in self.server.received(CHAT)
            for message in request.json()["messages"][-1:]
            if message["role"] == "tool"
        ]
