"""The one rule for showing untrusted text on a terminal (`core.terminal_text`)."""

from __future__ import annotations

import json

import pytest

from axo_tui.core.base.terminal_text import neutralise, terminal_json


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]52;c;Y3VybA==\x07", "\\x1b]52;c;Y3VybA==\\x07"),  # OSC 52: the clipboard
        ("\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07"),  # clear, window title
        ("\x9b31m\x9d0;t\x9c", "\\x9b31m\\x9d0;t\\x9c"),  # 8-bit CSI, OSC, ST
        ("a\x00b\x08c\x7fd", "a\\x00b\\x08c\\x7fd"),  # NUL, backspace, DEL
        ("\u202eabc\u2066d\u2069", "\\u202eabc\\u2066d\\u2069"),  # bidi override, isolates
        ("x\ud800y", "x\\ud800y"),  # a lone surrogate cannot even be encoded
        ("over\rwrite", "over\\x0dwrite"),  # a bare CR would let text overwrite the line
        ("line\r\nnext", "line\nnext"),  # a Windows line end is a line end
    ],
)
def test_controls_are_shown_as_escapes(raw: str, shown: str) -> None:
    assert neutralise(raw) == shown


def test_text_newlines_tabs_and_unicode_pass_unchanged() -> None:
    text = "Grüße\tà tous\n[bold]markup is not ours to judge[/bold] ✓ 日本 \u200d"
    assert neutralise(text) is text


def test_neutralising_twice_changes_nothing_more() -> None:
    once = neutralise("\x1b[31m\u202e\r")
    assert neutralise(once) == once


def test_terminal_json_is_exact_and_safe() -> None:
    data = {"reply": "\x1b]52;c;eA==\x07 \x9b2J \u202e \x7f x\ud800 é\r\n", "n": [1, None]}
    text = terminal_json(data, indent=2)
    assert json.loads(text) == data
    assert not any(char in text for char in "\x1b\x07\x9b\u202e\x7f\r\ud800")
    assert "é" in text  # only controls are escaped, not every non-ASCII character
