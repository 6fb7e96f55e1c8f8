"""Asking the model about a frontier task, and reading its answer robustly.

Models wrap JSON in `<think>` blocks, code fences and friendly prose, and sometimes leave a
trailing comma. `parse_subtasks` digs the JSON out of all that; what it still cannot use
becomes a `FrontierReplyError` whose reason goes back to the model in a repair prompt, a
bounded number of times, before the pass fails quoting the last reply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from axo_tui.core.base.errors import AxoError
from axo_tui.core.coordination.htn import DONE_PREFIX, Task

MIN_SUBTASKS = 2
MAX_SUBTASKS = 5
REPAIR_ROUNDS = 2
"""Repair prompts after the first answer; the pass fails after the last one."""
QUOTE_CHARS = 600

_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.IGNORECASE | re.DOTALL)
_OPEN_THINK = re.compile(r"^\s*<(think|thinking|reasoning)>", re.IGNORECASE)
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*[ \t]*\n?(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[\]}])")
_NAME_KEYS = ("name", "task", "title", "description", "subtask")


class FrontierReplyError(AxoError, ValueError):
    """The reply holds no usable list of subtasks; the message says why (for the model)."""


def frontier_prompt(task: Task, state: Mapping[str, Any], tools: Sequence[str]) -> str:
    done = [
        k.removeprefix(DONE_PREFIX) for k, v in state.items() if k.startswith(DONE_PREFIX) and v
    ]
    facts = {k: v for k, v in state.items() if not k.startswith(DONE_PREFIX)}
    lines = [
        "You are planning work for a team of worker agents. Break this task into "
        f"{MIN_SUBTASKS} to {MAX_SUBTASKS} subtasks that workers can do independently and "
        "in parallel:",
        "",
        f"TASK: {task.name}",
        "",
    ]
    if facts:
        lines.append(f"Known facts: {json.dumps(facts, ensure_ascii=False, default=str)}")
    if done:
        lines.append(f"Already planned or done: {'; '.join(done)}")
    lines += [
        f"Tools the workers can use: {', '.join(sorted(set(tools))) or 'none'}",
        "",
        "Answer with JSON only, in exactly this shape:",
        '{"subtasks": [{"name": "what to do", "tools": ["tool_name"]}, ...]}',
        "List under `tools` only the tools a subtask really needs (often none).",
    ]
    return "\n".join(lines)


def repair_prompt(reason: str) -> str:
    return (
        f"That answer could not be used: {reason}. Answer again with JSON only: "
        f'{{"subtasks": [{{"name": "...", "tools": []}}]}} with {MIN_SUBTASKS} to '
        f"{MAX_SUBTASKS} subtasks, and nothing else."
    )


def quote(reply: str) -> str:
    """The reply as a user reads it in an error: one line, cut to `QUOTE_CHARS`."""
    flat = " ".join(reply.split())
    return flat if len(flat) <= QUOTE_CHARS else flat[: QUOTE_CHARS - 1] + "…"


def parse_subtasks(reply: str) -> list[Task]:
    """The subtasks in a model's reply. Raises FrontierReplyError saying what is wrong."""
    text = _THINK.sub(" ", reply)
    unclosed = _OPEN_THINK.match(text)
    if unclosed:  # a think block the model never closed: the JSON follows its musings
        text = text[unclosed.end() :]
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    reasons = []
    for candidate in candidates:
        for value in _json_values(candidate):
            try:
                return _subtasks_of(value)
            except FrontierReplyError as exc:
                reasons.append(str(exc))
    # The outermost JSON is what the model meant: its fault is the one to tell it about.
    raise FrontierReplyError(reasons[0] if reasons else "it holds no JSON")


def _json_values(text: str) -> list[Any]:
    """Every JSON object or list that starts somewhere in `text`, first first."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    position = 0
    while True:
        starts = [i for i in (text.find("{", position), text.find("[", position)) if i >= 0]
        if not starts:
            return values
        start = min(starts)
        position = start + 1
        rest = text[start:]
        for attempt in (rest, _TRAILING_COMMA.sub(r"\1", rest)):
            try:
                value, end = decoder.raw_decode(attempt)
            except json.JSONDecodeError:
                continue
            values.append(value)
            # Never a value nested in one already read (a repaired one is shorter: at least
            # that much of the original is inside it).
            position = start + end
            break


def _subtasks_of(value: Any) -> list[Task]:
    items = value
    if isinstance(value, dict):
        items = next((value[k] for k in ("subtasks", "tasks", "steps", "plan") if k in value), None)
        if items is None:
            raise FrontierReplyError('the JSON object has no "subtasks" list')
    if not isinstance(items, list):
        raise FrontierReplyError('"subtasks" must be a list')
    tasks = [_task_of(item, i) for i, item in enumerate(items, 1)]
    if not MIN_SUBTASKS <= len(tasks) <= MAX_SUBTASKS:
        raise FrontierReplyError(
            f"it lists {len(tasks)} subtasks; give {MIN_SUBTASKS} to {MAX_SUBTASKS}"
        )
    names = [" ".join(t.name.split()).casefold() for t in tasks]
    if len(set(names)) != len(names):
        raise FrontierReplyError("two subtasks have the same name")
    return tasks


def _task_of(item: Any, number: int) -> Task:
    if isinstance(item, str) and item.strip():
        return Task(item.strip(), source="llm")
    if not isinstance(item, dict):
        raise FrontierReplyError(f"subtask {number} is neither text nor an object")
    name = next((item[k] for k in _NAME_KEYS if isinstance(item.get(k), str)), "")
    if not name.strip():
        raise FrontierReplyError(f'subtask {number} has no "name"')
    tools = item.get("tools", [])
    if isinstance(tools, str):
        tools = [tools]
    if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
        raise FrontierReplyError(f'"tools" of subtask {number} must be a list of tool names')
    return Task(
        name.strip(),
        compound=item.get("compound") is True,
        tools=tuple(t for t in tools if t),
        source="llm",
    )
