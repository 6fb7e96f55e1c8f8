"""Untrusted text, made safe to show on a terminal: the one place that decides how.

Model replies, tool results and everything stored from them (sessions, runs, memory, logs) are
untrusted. Written raw, `ESC ] 52 ; c ; ...` puts text on the user's clipboard, `ESC [ 2 J`
clears the screen and `ESC ] 0 ; ...` sets the window title. Every front end (the CLI's
printing, the workbench's widgets) passes such text through `neutralise` before it reaches a
terminal; `--json` output stays exact (`terminal_json` only spells the same data with escapes).

Neutralised, and shown visibly as the escape Python would write (`\\x1b`, `\\u202e`), so a
reader sees that something was there and what it was:

* the C0 controls except newline and tab (U+0000-U+001F: ESC, BEL, backspace, form feed, ...),
  DEL (U+007F) and the C1 controls (U+0080-U+009F, among them the 8-bit CSI U+009B and OSC
  U+009D, which some terminals obey like ESC [ and ESC ]);
* the bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which
  make a terminal show text in another order than it is ("Trojan Source");
* lone surrogates (U+D800-U+DFFF), which cannot be encoded and would crash the printing.

A Windows line end (CR LF) is a line end: it becomes a newline. Any other carriage return is
shown as `\\x0d` (a bare CR lets later text overwrite what came before it on the line).
A backslash is left as it is: the escapes are for reading, not for decoding.
"""

from __future__ import annotations

import json
import re
from typing import Any

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Every character `neutralise` replaces (newline and tab are the two controls kept)."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def neutralise(text: str) -> str:
    """`text` with every terminal control neutralised (see the module's docstring).

    Cheap when there is nothing to do (one regex scan), so it can sit on every streamed token.
    """
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(_escape, text.replace("\r\n", "\n"))


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def terminal_json(data: Any, *, indent: int | None = None) -> str:
    """`json.dumps(data, ensure_ascii=False)`, but safe on a terminal: the characters
    `neutralise` replaces are written as JSON `\\uXXXX` escapes. They can only occur inside
    JSON strings, so the document decodes to exactly the same data."""
    return UNSAFE.sub(_json_escape, json.dumps(data, indent=indent, ensure_ascii=False))
