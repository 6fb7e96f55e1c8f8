"""The calculator bounds its work before doing it: no expression can hold the event loop."""

from __future__ import annotations

import pytest

from axo_tui.core.tools import ToolError
from axo_tui.core.tools.builtins import evaluate_arithmetic


@pytest.mark.parametrize(
    "expression",
    [
        "((10**999)**999)**999",
        "(10**999)**(10**999)",
        "2**10001",
        "(10**2000)*(10**2000)",
        "9**9**9",
        "(-7)**(10**9)",
    ],
)
def test_huge_integer_results_are_refused_before_they_are_computed(expression: str) -> None:
    with pytest.raises(ToolError, match="would exceed 10000 bits"):
        evaluate_arithmetic(expression)


def test_round_cannot_be_used_to_build_a_huge_power_of_ten() -> None:
    with pytest.raises(ToolError, match="round\\(\\) takes a whole number of digits"):
        evaluate_arithmetic("round(1, -100000000)")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("2 * (3 + 4) / sqrt(16)", 3.5),
        ("2**9999 // 2**9998", 2),
        ("1**(10**999)", 1),
        ("(-1)**(10**999 + 1)", -1),
        ("round(2.5)", 2),
        ("round(3.14159, 2)", 3.14),
        ("10**-3", 0.001),
    ],
)
def test_ordinary_arithmetic_still_works(expression: str, expected: float) -> None:
    assert evaluate_arithmetic(expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("2.0**5000", "cannot evaluate"),
        ("(-8)**0.5", "complex number"),
        ("1/0", "division by zero"),
        ("-" * 490 + "1" + "+" + "(" * 5, "not an arithmetic expression"),
        ("__import__('os')", "unsupported element"),
        ("True + 1", "unsupported element"),
    ],
)
def test_bad_expressions_get_a_clear_error(expression: str, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        evaluate_arithmetic(expression)
