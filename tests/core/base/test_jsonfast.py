"""The hot-path JSON encoder: whatever a turn produces is written, and reads back the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.base import jsonfast


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"text": "héllo ✓", "n": 3, "x": None}, {"text": "héllo ✓", "n": 3, "x": None}),
        ({"calls": ("a", "b")}, {"calls": ["a", "b"]}),
        ({1: "non-string key"}, {"1": "non-string key"}),
        ({"where": Path("/tmp/x")}, {"where": "/tmp/x"}),
        # Refused by orjson, taken by the fallback:
        ({"big": 2**70}, {"big": 2**70}),
        ({"lone": "\udc80"}, {"lone": "\udc80"}),
    ],
)
def test_values_round_trip(value: Any, expected: Any) -> None:
    assert json.loads(jsonfast.dumps_bytes(value)) == expected
    assert json.loads(jsonfast.dumps(value)) == expected


def test_a_line_is_one_record_and_a_newline() -> None:
    data = jsonfast.line({"text": "two\nlines"})
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert json.loads(data) == {"text": "two\nlines"}


def test_sorted_keys_give_the_same_bytes_whatever_the_insertion_order() -> None:
    first = jsonfast.dumps_bytes({"b": 1, "a": {"d": 2, "c": 3}}, sort_keys=True)
    second = jsonfast.dumps_bytes({"a": {"c": 3, "d": 2}, "b": 1}, sort_keys=True)
    assert first == second == b'{"a":{"c":3,"d":2},"b":1}'
    assert jsonfast.dumps_bytes({"z": 2**70, "a": 1}, sort_keys=True).index(b'"a"') == 1
