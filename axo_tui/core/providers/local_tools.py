"""Tool calling for models without native tool support, through constrained JSON output.

When tools are offered, the local provider tells the model (in the system prompt) to answer
with exactly one JSON object and enforces it with a grammar compiled from `reply_schema()`:

    {"tool": "none", "arguments": {}, "reply": "<the answer>"}           answer in text
    {"tool": "<name>", "arguments": {<per the tool's schema>}, "reply": ""}  call one tool

The schema is a union with one branch per tool, so each tool's arguments are constrained by
that tool's own JSON schema, and an unknown tool name cannot be produced at all. The key order
is fixed (tool, arguments, reply), which lets `ReplyStreamer` pick the reply text out of the
partial JSON and stream it as it is generated.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from axo_tui.core.providers.base import Message, ToolCall, ToolSpec

NO_TOOL = "none"
TOOL_REPLY_MAX_CHARS = 300
"""A reply that accompanies a tool call is a short note; capping it stops a small model from
rambling before the tool result is even known."""

GENERIC_ARGUMENTS: dict[str, Any] = {"type": "object"}
NO_ARGUMENTS: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}


def _branch(tool: str, arguments: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"tool": {"const": tool}, "arguments": arguments, "reply": reply},
        "required": ["tool", "arguments", "reply"],
        "additionalProperties": False,
    }


def reply_schema(
    tools: Iterable[ToolSpec], *, generic_arguments: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The JSON schema the model's output must match. Tools named in `generic_arguments` get a
    plain object for arguments (for parameter schemas the grammar compiler cannot handle)."""
    # minLength: without it a small model happily answers "none" with an empty reply.
    branches = [_branch(NO_TOOL, NO_ARGUMENTS, {"type": "string", "minLength": 1})]
    for tool in tools:
        arguments = GENERIC_ARGUMENTS if tool.name in generic_arguments else tool.parameters
        note = {"type": "string", "maxLength": TOOL_REPLY_MAX_CHARS}
        branches.append(_branch(tool.name, arguments or GENERIC_ARGUMENTS, note))
    return {"anyOf": branches}


def tool_instructions(tools: Iterable[ToolSpec]) -> str:
    """The system-prompt text that explains the reply format and lists the tools."""
    lines = [
        "You can use tools. Always answer with one JSON object and nothing else.",
        'To answer directly: {"tool": "none", "arguments": {}, "reply": "<your answer>"}',
        'To call a tool: {"tool": "<tool name>", "arguments": {<arguments>}, "reply": ""}',
        "After a tool call you receive its result in the next message.",
        "Tools:",
    ]
    for tool in tools:
        parameters = json.dumps(tool.parameters, separators=(",", ":"), sort_keys=True)
        lines.append(f"- {tool.name}: {tool.description.strip()} Arguments schema: {parameters}")
    return "\n".join(lines)


def render_tool_call(call: ToolCall, reply: str = "") -> str:
    """An earlier tool call, written back into the history in the format the model produces."""
    return json.dumps(
        {"tool": call.name, "arguments": call.arguments, "reply": reply}, ensure_ascii=False
    )


def render_tool_result(message: Message) -> str:
    """A tool result as plain user-visible text: small models know no `tool` role."""
    name = message.name or "the tool"
    return f"Result of {name}:\n{message.content}"


def parse_reply(text: str, tools: Iterable[ToolSpec]) -> tuple[str, tuple[ToolCall, ...]]:
    """The reply text and tool calls in a constrained output; raises ValueError if malformed."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the output is not a JSON object")
    reply = data.get("reply", "")
    tool = data.get("tool", NO_TOOL)
    if not isinstance(reply, str) or not isinstance(tool, str):
        raise ValueError("`tool` and `reply` must be strings")
    if tool == NO_TOOL:
        return reply, ()
    if tool not in {spec.name for spec in tools}:
        raise ValueError(f"the model called an unknown tool {tool!r}")
    arguments = data.get("arguments", {})
    if not isinstance(arguments, dict):
        raise ValueError("`arguments` must be an object")
    return reply, (ToolCall(id=f"call_{uuid.uuid4().hex[:12]}", name=tool, arguments=arguments),)


class ReplyStreamer:
    """Extracts the top-level `"reply"` string from JSON text arriving in pieces.

    `feed()` returns the newly decoded reply characters, so the reply can be shown while the
    model is still writing it. A small scanner tracks nesting and strings, so a `"reply"` key
    inside the tool arguments is not mistaken for the top-level one.
    """

    def __init__(self) -> None:
        self._depth = 0
        self._in_string = False
        self._escaped = False
        self._string = ""
        self._last_key: str | None = None
        self._expect_key = False
        self._after_colon = False
        self._capturing = False
        self._raw = ""
        self._emitted = 0
        self._good = ""
        self.done = False

    def feed(self, piece: str) -> str:
        before = self._emitted
        for char in piece:
            self._step(char)
        if not self._capturing and not self.done:
            return ""
        decoded = self._decoded()
        self._emitted = len(decoded)
        return decoded[before:]

    def _decoded(self) -> str:
        raw = self._raw
        # Hold back an escape sequence that has not fully arrived yet.
        tail = raw.rfind("\\")
        if tail != -1:
            run = len(raw) - len(raw.rstrip("\\"))
            if run % 2 == 1:
                raw = raw[: len(raw) - 1]
            elif raw[tail + 1 : tail + 2] == "u" and len(raw) - tail < 6:
                raw = raw[:tail]
        try:
            text: str = json.loads(f'"{raw}"', strict=False)
        except json.JSONDecodeError:
            return self._good  # not decodable yet: nothing new to report
        if text and "\ud800" <= text[-1] <= "\udbff" and not self.done:
            text = text[:-1]  # half of a surrogate pair: wait for the other half
        self._good = text
        return text

    def _step(self, char: str) -> None:
        if self._capturing:
            if self._escaped:
                self._escaped = False
            elif char == "\\":
                self._escaped = True
            elif char == '"':
                self._capturing = False
                self.done = True
                return
            self._raw += char
            return
        if self._in_string:
            if self._escaped:
                self._escaped = False
                self._string += char
            elif char == "\\":
                self._escaped = True
                self._string += char
            elif char == '"':
                self._in_string = False
                if self._depth == 1 and self._expect_key:
                    self._last_key = json.loads(f'"{self._string}"')
                    self._expect_key = False
            else:
                self._string += char
            return
        if char == '"':
            if self._depth == 1 and self._after_colon and self._last_key == "reply":
                self._capturing = True
                self._after_colon = False
                return
            self._in_string = True
            self._string = ""
            self._after_colon = False
        elif char in "{[":
            self._depth += 1
            self._expect_key = self._depth == 1 and char == "{"
            self._after_colon = False
        elif char in "}]":
            self._depth -= 1
        elif char == ",":
            self._expect_key = self._depth == 1
            self._after_colon = False
        elif char == ":":
            self._after_colon = self._depth == 1
        elif not char.isspace():
            self._after_colon = False
