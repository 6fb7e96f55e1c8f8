"""The calculator's evaluator: arithmetic without eval(), with every step's size bounded.

Big-integer work runs in C without releasing the GIL, so neither a timeout nor a worker
thread can stop `((10**999)**999)**999` once it starts. Each operation's result size is
therefore estimated from its operands *before* it is computed, and refused when too large.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from axo_tui.core.tools.registry import ToolError

MAX_EXPRESSION_CHARS = 500
MAX_INT_BITS = 10_000
"""About 3000 decimal digits: far beyond any real calculation, yet microseconds of work."""
MAX_ROUND_DIGITS = 1000

Number = int | float

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


def _round(value: Number, digits: Number | None = None) -> Number:
    # round(1, -10**8) would compute 10**(10**8) first.
    if digits is not None and (not isinstance(digits, int) or abs(digits) > MAX_ROUND_DIGITS):
        raise ToolError(f"round() takes a whole number of digits within ±{MAX_ROUND_DIGITS}")
    return round(value, digits)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt,
    "log": math.log,
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
    "abs": abs,
    "round": _round,
    "min": min,
    "max": max,
}


def _too_big() -> ToolError:
    return ToolError(f"the result would exceed {MAX_INT_BITS} bits (about 3000 digits)")


def _bits(value: Number) -> float:
    return float(abs(value).bit_length()) if isinstance(value, int) else 0.0


def _check_operands(op: ast.operator, left: Number, right: Number) -> None:
    """Refuse an integer operation whose result would be too large, before computing it."""
    if not (isinstance(left, int) and isinstance(right, int)):
        return  # a float result overflows quickly with OverflowError instead
    if isinstance(op, ast.Pow) and abs(left) > 1 and right > 0:
        # log2(|left|) >= 1 here, so the product is only formed for a small exponent.
        if right > MAX_INT_BITS or right * math.log2(abs(left)) > MAX_INT_BITS:
            raise _too_big()
    elif isinstance(op, ast.Mult) and _bits(left) + _bits(right) > MAX_INT_BITS + 1:
        raise _too_big()


def _number(value: Any) -> Number:
    if isinstance(value, complex):
        raise ToolError("the result is a complex number, which the calculator does not handle")
    if isinstance(value, int) and abs(value).bit_length() > MAX_INT_BITS:
        raise _too_big()
    return value  # type: ignore[no-any-return]


def evaluate_arithmetic(expression: str) -> Number:
    """Evaluate arithmetic: only numbers, operators and a few math functions."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ToolError(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ToolError(f"not an arithmetic expression: {expression!r}") from exc

    def walk(node: ast.AST) -> Number:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return _number(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = walk(node.left), walk(node.right)
            _check_operands(node.op, left, right)
            return _number(_BINARY[type(node.op)](left, right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _number(_UNARY[type(node.op)](walk(node.operand)))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and not node.keywords
        ):
            arguments = [walk(arg) for arg in node.args]
            return _number(_FUNCTIONS[node.func.id](*arguments))
        if isinstance(node, ast.Name) and node.id in ("pi", "e"):
            return float(getattr(math, node.id))
        raise ToolError(f"unsupported element in expression: {ast.dump(node)[:60]}")

    try:
        return walk(tree)
    except ZeroDivisionError as exc:
        raise ToolError("division by zero") from exc
    except (ValueError, OverflowError, TypeError) as exc:
        raise ToolError(f"cannot evaluate: {exc}") from exc
    except RecursionError as exc:
        raise ToolError("expression nested too deeply") from exc
