"""A frontier's answer is read robustly: think blocks, code fences, prose around the JSON."""

from __future__ import annotations

import pytest

from axo_tui.core.coordination.frontier import FrontierReplyError, parse_subtasks

SHAPES = [
    '{"subtasks": [{"name": "a", "tools": ["read_file"]}, {"name": "b"}]}',
    '<think>Two steps; {"not": "this"} is me musing.</think>\n{"subtasks": ["a", "b"]}',
    'Sure! Here is the plan:\n```json\n{"subtasks": ["a", "b"]}\n```\nGood luck!',
    'I think [this] works: [{"task": "a"}, {"title": "b"}] -- done.',
    '{"subtasks": [{"name": "a"}, {"name": "b"},]}',
    '<think>unclosed musing about [brackets]\n{"subtasks": ["a", "b"]}',
    '```\n["a", "b"]\n```',
]


@pytest.mark.parametrize("reply", SHAPES)
def test_messy_replies_yield_the_subtasks(reply: str) -> None:
    assert [t.name for t in parse_subtasks(reply)] == ["a", "b"]


def test_tools_are_kept_and_tasks_are_marked_as_the_model_s() -> None:
    tasks = parse_subtasks('{"subtasks": [{"name": "a", "tools": ["read_file"]}, "b"]}')
    assert tasks[0].tools == ("read_file",) and {t.source for t in tasks} == {"llm"}


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("I cannot help with that.", "no JSON"),
        ('{"subtasks": ["only one"]}', "lists 1 subtasks; give 2 to 5"),
        ('{"subtasks": ["a", "b", "c", "d", "e", "f"]}', "lists 6 subtasks"),
        ('{"steps_to_do": ["a", "b"]}', 'no "subtasks" list'),
        ('{"subtasks": [{"name": "a"}, {"tools": []}]}', 'subtask 2 has no "name"'),
        ('{"subtasks": ["a", "A "]}', "same name"),
    ],
)
def test_unusable_replies_say_why(reply: str, reason: str) -> None:
    with pytest.raises(FrontierReplyError, match=reason):
        parse_subtasks(reply)
