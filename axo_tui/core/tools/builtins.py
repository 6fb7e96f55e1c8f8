"""Built-in tools: safe by construction (no shell; file access confined to the project)."""

from __future__ import annotations

import ast
import datetime as dt
import math
import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any

from axo_tui.core.tools.registry import Tool, ToolContext, ToolError

MAX_READ_BYTES = 64 * 1024


async def _current_time(context: ToolContext, arguments: dict[str, Any]) -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt,
    "log": math.log,
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
}


def evaluate_arithmetic(expression: str) -> float | int:
    """Evaluate arithmetic without eval(): only numbers, operators and a few math functions."""
    if len(expression) > 500:
        raise ToolError("expression longer than 500 characters")
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ToolError(f"not an arithmetic expression: {expression!r}") from exc

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 1000:
                raise ToolError("exponent too large")
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](walk(node.operand))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and not node.keywords
        ):
            return _FUNCTIONS[node.func.id](*(walk(arg) for arg in node.args))
        if isinstance(node, ast.Name) and node.id in ("pi", "e"):
            return getattr(math, node.id)
        raise ToolError(f"unsupported element in expression: {ast.dump(node)[:60]}")

    try:
        result = walk(tree)
    except ZeroDivisionError as exc:
        raise ToolError("division by zero") from exc
    except (ValueError, OverflowError, TypeError) as exc:
        raise ToolError(f"cannot evaluate: {exc}") from exc
    return result  # type: ignore[no-any-return]


async def _calculator(context: ToolContext, arguments: dict[str, Any]) -> str:
    return str(evaluate_arithmetic(str(arguments["expression"])))


def _inside_project(context: ToolContext, raw: str) -> Path:
    root = context.project_dir.resolve()
    path = (root / raw).resolve()
    if path != root and root not in path.parents:
        raise ToolError(f"path '{raw}' is outside the project directory")
    if ".axo" in path.relative_to(root).parts:
        raise ToolError("the .axo state directory is not readable by tools")
    return path


async def _read_file(context: ToolContext, arguments: dict[str, Any]) -> str:
    path = _inside_project(context, str(arguments["path"]))
    if not path.is_file():
        raise ToolError(f"no such file: {arguments['path']}")
    data = path.read_bytes()[:MAX_READ_BYTES]
    text = data.decode("utf-8", errors="replace")
    if path.stat().st_size > MAX_READ_BYTES:
        text += f"\n[truncated at {MAX_READ_BYTES} bytes]"
    return text


async def _list_dir(context: ToolContext, arguments: dict[str, Any]) -> str:
    path = _inside_project(context, str(arguments.get("path", ".")))
    if not path.is_dir():
        raise ToolError(f"no such directory: {arguments.get('path', '.')}")
    entries = sorted(
        p.name + ("/" if p.is_dir() else "") for p in path.iterdir() if p.name != ".axo"
    )
    return "\n".join(entries[:500]) or "(empty)"


async def _emit_event(context: ToolContext, arguments: dict[str, Any]) -> str:
    if context.emit_signal is None:
        raise ToolError("no lattice is attached")
    name = str(arguments["name"])
    await context.emit_signal(name, str(arguments.get("payload", "")))
    return f"emitted {name}"


BUILTIN_TOOLS: tuple[Tool, ...] = (
    Tool(
        "current_time",
        "The current local date and time (ISO 8601).",
        {"type": "object", "properties": {}},
        _current_time,
    ),
    Tool(
        "calculator",
        "Evaluate an arithmetic expression such as '2 * (3 + 4) / sqrt(16)'.",
        {
            "type": "object",
            "properties": {"expression": {"type": "string"}},
            "required": ["expression"],
        },
        _calculator,
    ),
    Tool(
        "read_file",
        "Read a text file inside the project directory.",
        {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
        _read_file,
    ),
    Tool(
        "list_dir",
        "List a directory inside the project directory.",
        {"type": "object", "properties": {"path": {"type": "string"}}},
        _list_dir,
    ),
    Tool(
        "emit_event",
        "Publish a named event into the lattice; agents whose skills react to it activate.",
        {
            "type": "object",
            "properties": {"name": {"type": "string"}, "payload": {"type": "string"}},
            "required": ["name"],
        },
        _emit_event,
        idempotent=False,
    ),
)
