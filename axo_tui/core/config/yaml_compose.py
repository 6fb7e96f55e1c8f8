"""YAML text to a node tree, composed from parser events with limits enforced on the way.

We do not let PyYAML construct Python objects: it would lose line numbers, silently keep
the last of two duplicate keys, and happily expand a "billion laughs" alias bomb into
gigabytes. Instead we pull parser *events* from a SafeLoader (the libyaml-backed CSafeLoader
when available, for speed) and compose the tree ourselves, iteratively, which lets us:

- bound nesting depth before the recursive parts of any library see it,
- count every node an alias expands to and refuse bombs early,
- report duplicate keys with both lines,
- keep the raw text of keys (so `on:` stays the key "on", not the boolean True),
- support `<<` merge keys with explicit keys winning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from axo_tui.core.base.errors import AxoError
from axo_tui.core.config.problems import Problem
from axo_tui.core.config.yaml_nodes import (
    TAG_MAP,
    TAG_SEQ,
    TAG_STR,
    TYPED_TAGS,
    EventLoader,
    Map,
    Mark,
    Node,
    Scalar,
    Seq,
    construct_scalar,
    kind_name,
)

MAX_DEPTH = 64
"""Deeper nesting is never a real config and would blow recursive walkers."""

MAX_NODES = 50_000
"""Expanded node count (aliases counted at full size); real configs have a few thousand."""


class ComposeAbort(AxoError):
    """A problem after which the rest of the document cannot be trusted."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(slots=True)
class _Frame:
    node: Seq | Map
    anchor: str | None
    key: Scalar | None = None
    skip_value: bool = False
    merge_value: bool = False
    keys: dict[str, Scalar] = field(default_factory=dict)
    merges: list[Node] = field(default_factory=list)


class _Composer:
    def __init__(self, text: str, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        self.loader = EventLoader(text)
        self.anchors: dict[str, Node] = {}
        self.open_anchors: set[str] = set()
        self.stack: list[_Frame] = []
        self.total = 0
        self.root: Node | None = None
        self.documents = 0

    def problem(self, line: int, column: int, code: str, message: str, hint: str = "") -> Problem:
        return Problem(self.file, line, column, message, hint, "error", code)

    def abort(self, mark: Mark | None, code: str, message: str, hint: str = "") -> None:
        line, column = _position(mark)
        raise ComposeAbort(self.problem(line, column, code, message, hint))

    def count(self, size: int, mark: Mark | None, via_alias: bool) -> None:
        self.total += size
        if self.total <= MAX_NODES:
            return
        if via_alias:
            self.abort(
                mark,
                "alias-bomb",
                f"YAML aliases expand to more than {MAX_NODES} values",
                "this looks like an alias bomb ('billion laughs'); write values out instead "
                "of nesting aliases of aliases",
            )
        self.abort(
            mark,
            "too-large",
            f"the config has more than {MAX_NODES} values",
            "split generated data out of the config file",
        )

    def run(self) -> Node | None:
        try:
            while True:
                event = self.loader.get_event()
                if isinstance(event, yaml.StreamEndEvent):
                    return self.root
                self.handle(event)
        finally:
            self.loader.dispose()

    def handle(self, event: yaml.Event) -> None:
        mark = event.start_mark
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.abort(
                    mark,
                    "multiple-documents",
                    "the file holds more than one YAML document (a second `---`)",
                    "keep one document per config file; remove the extra `---` and merge "
                    "the sections",
                )
        elif isinstance(event, yaml.AliasEvent):
            self.alias(event)
        elif isinstance(event, yaml.ScalarEvent):
            self.scalar(event)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            self.start(event)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            self.end()

    def alias(self, event: yaml.AliasEvent) -> None:
        name = event.anchor or ""
        line, column = _position(event.start_mark)
        if name in self.open_anchors:
            self.abort(
                event.start_mark,
                "recursive-alias",
                f"alias `*{name}` is used inside the value it names",
                "a value cannot contain itself; copy the part you need instead",
            )
        target = self.anchors.get(name)
        if target is None:
            self.abort(
                event.start_mark,
                "undefined-alias",
                f"alias `*{name}` refers to no anchor",
                f"define `&{name}` on a value above this line",
            )
            return
        self.count(target.size, event.start_mark, via_alias=True)
        self.attach(target, line, column)

    def scalar(self, event: yaml.ScalarEvent) -> None:
        mark = event.start_mark
        line, column = _position(mark)
        text = event.value
        plain = not event.style and event.tag is None  # libyaml says "", PyYAML None
        self.count(1, mark, via_alias=False)
        frame = self.stack[-1] if self.stack else None
        if frame is not None and frame.key is None and isinstance(frame.node, Map):
            # Keys are names: their raw text is all we use, so skip typing them (this is
            # the hot path on big files) except to spot the `<<` merge key.
            node = Scalar(line, column, text, text, plain)
            merge = plain and text == "<<"
            if event.anchor:
                self.anchors[event.anchor] = node
            self.attach(node, line, column, merge_key=merge)
            return
        if plain:
            tag = self.loader.resolve(yaml.ScalarNode, text, (True, False))
        elif event.tag is None or event.tag == "!":
            tag = TAG_STR
        else:
            tag = event.tag
        value, error = construct_scalar(tag, text)
        if error is not None and tag in TYPED_TAGS:
            self.problems.append(
                self.problem(
                    line, column, "bad-scalar", error, "write a plain number, or quote the text"
                )
            )
        elif error is not None:
            self.problems.append(
                self.problem(
                    line,
                    column,
                    "unsupported-tag",
                    error,
                    "remove the `!` tag; plain YAML values are all a config needs",
                )
            )
        node = Scalar(line, column, value, text, plain)
        if event.anchor:
            self.anchors[event.anchor] = node
        self.attach(node, line, column)

    def start(self, event: yaml.SequenceStartEvent | yaml.MappingStartEvent) -> None:
        line, column = _position(event.start_mark)
        if len(self.stack) >= MAX_DEPTH:
            self.abort(
                event.start_mark,
                "too-deep",
                f"values are nested more than {MAX_DEPTH} levels deep",
                "a config never needs this much nesting; is this the right file?",
            )
        is_map = isinstance(event, yaml.MappingStartEvent)
        expected = TAG_MAP if is_map else TAG_SEQ
        if event.tag not in (None, "!", expected):
            self.problems.append(
                self.problem(
                    line,
                    column,
                    "unsupported-tag",
                    f"the YAML tag `{event.tag}` is not supported in axo configs",
                    "remove the `!` tag; plain YAML mappings and lists are all a config needs",
                )
            )
        self.count(1, event.start_mark, via_alias=False)
        node: Seq | Map = Map(line, column) if is_map else Seq(line, column)
        if event.anchor:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame(node, event.anchor))

    def end(self) -> None:
        frame = self.stack.pop()
        node = frame.node
        if isinstance(node, Map):
            self.apply_merges(frame, node)
            node.size = 1 + sum(k.size + v.size for k, v in node.entries)
        else:
            node.size = 1 + sum(item.size for item in node.items)
        if frame.anchor:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = node
        self.attach(node, node.line, node.column)

    def apply_merges(self, frame: _Frame, node: Map) -> None:
        """`<<: *base` merge keys: explicit keys win, earlier merges win over later ones."""
        for source in frame.merges:
            sources = source.items if isinstance(source, Seq) else [source]
            for merged in sources:
                if not isinstance(merged, Map):
                    self.problems.append(
                        self.problem(
                            merged.line,
                            merged.column,
                            "wrong-type",
                            f"`<<` merges mappings, but found {kind_name(merged)}",
                            "write `<<: *anchor` where the anchor names a mapping",
                        )
                    )
                    continue
                for key, value in merged.entries:
                    if key.text not in frame.keys:
                        frame.keys[key.text] = key
                        node.entries.append((key, value))

    def attach(self, node: Node, line: int, column: int, *, merge_key: bool = False) -> None:
        if not self.stack:
            self.root = node
            return
        frame = self.stack[-1]
        parent = frame.node
        if isinstance(parent, Seq):
            parent.items.append(node)
            return
        if frame.key is None:
            self.take_key(frame, node, line, column, merge_key)
            return
        key, frame.key = frame.key, None
        if frame.merge_value:
            # `<<: *base`: the value is merged in when the mapping ends.
            frame.merge_value = False
            frame.merges.append(node)
        elif frame.skip_value:
            frame.skip_value = False
        else:
            parent.entries.append((key, node))

    def take_key(self, frame: _Frame, node: Node, line: int, column: int, merge_key: bool) -> None:
        if not isinstance(node, Scalar):
            self.problems.append(
                self.problem(
                    line,
                    column,
                    "non-string-key",
                    f"a key must be a plain name, found {kind_name(node)}",
                    "write keys as simple words, e.g. `id:`",
                )
            )
            frame.key = Scalar(line, column, "?", "?", plain=True)
            frame.skip_value = True
            return
        frame.key = node
        if merge_key:
            frame.merge_value = True
            return
        first = frame.keys.get(node.text)
        if first is not None:
            self.problems.append(
                self.problem(
                    line,
                    column,
                    "duplicate-key",
                    f"duplicate key `{node.text}`: first defined at line {first.line}, "
                    f"again at line {line}",
                    "keep one of them; YAML would silently drop one",
                )
            )
            frame.skip_value = True
            return
        frame.keys[node.text] = node


def compose(text: str, file: str) -> tuple[Node | None, list[Problem]]:
    """Compose one YAML document.

    Returns the root node (None for an empty document) and the problems found. A fatal
    problem (syntax error, bomb, too deep) returns None and that one problem alongside any
    found before it.
    """
    found: list[Problem] = []
    try:
        # The pure-Python reader checks the characters as it is built: inside the `try`.
        composer = _Composer(text, file, found)
        root = composer.run()
    except ComposeAbort as abort:
        return None, [*found, abort.problem]
    except yaml.YAMLError as error:
        if _is_library_depth_limit(error):
            return None, [*found, _depth_problem_before(error, text, file)]
        return None, [*found, _syntax_problem(error, text, file)]
    return root, found


def _is_library_depth_limit(error: yaml.YAMLError) -> bool:
    # PyYAML >= 6.0.4 caps nesting itself (at 1000) while scanning ahead of the parser, so
    # on deep flow text its error can arrive before our own, lower limit is reached.
    return isinstance(error, yaml.MarkedYAMLError) and "nesting depth" in (error.problem or "")


def _depth_problem_before(error: yaml.YAMLError, text: str, file: str) -> Problem:
    """Our `too-deep` problem, found by composing only the text before the library's limit.

    The cut text holds the same opening brackets in the same places, so our limit fires
    where it would have had the library not scanned ahead.
    """
    mark = error.problem_mark if isinstance(error, yaml.MarkedYAMLError) else None
    if mark is not None:
        cut = _offset(text, mark.line, mark.column)
        found: list[Problem] = []
        try:
            _Composer(text[:cut], file, found).run()
        except ComposeAbort as abort:
            if abort.problem.code == "too-deep":
                return abort.problem
        except yaml.YAMLError:
            pass
    line, column = _position(mark)
    return Problem(
        file,
        line,
        column,
        f"values are nested more than {MAX_DEPTH} levels deep",
        "a config never needs this much nesting; is this the right file?",
        "error",
        "too-deep",
    )


def _offset(text: str, line: int, column: int) -> int:
    """The index of a 0-based (line, column) mark in `text`."""
    start = 0
    for _ in range(line):
        newline = text.find("\n", start)
        if newline < 0:
            return len(text)
        start = newline + 1
    return min(start + column, len(text))


def _position(mark: Mark | None) -> tuple[int, int]:
    if mark is None:
        return 0, 0
    return mark.line + 1, mark.column + 1


def _syntax_problem(error: yaml.YAMLError, text: str, file: str) -> Problem:
    if isinstance(error, yaml.MarkedYAMLError):
        opened = _unclosed_quote(error, text)
        if opened is not None:
            return _unclosed_quote_problem(error, opened, file)
        line, column = _position(error.problem_mark or error.context_mark)
        what = error.problem or "invalid YAML"
        context = error.context or ""
        if error.context_mark is not None and context:
            context_line, _ = _position(error.context_mark)
            context = f"{context} started at line {context_line}"
        return Problem(
            file,
            line,
            column,
            f"YAML syntax error: {what}" + (f" ({context})" if context else ""),
            _syntax_hint(what, text, line),
            "error",
            "syntax-error",
        )
    position = getattr(error, "position", None)
    line, column = _line_column(text, position) if isinstance(position, int) else (0, 0)
    reason = str(getattr(error, "reason", "") or error).split("\n", 1)[0]
    return Problem(
        file,
        line,
        column,
        f"YAML cannot read this text: {reason}",
        "remove control characters; a config is plain UTF-8 text",
        "error",
        "syntax-error",
    )


_KEY_LINE = re.compile(r"^\s*(?:-\s+)?[A-Za-z_][\w.-]*:(?:\s|$)", re.M)
"""A line that reads like `key: value` or `- key:`: inside a quoted value, it means the
quote swallowed the config that follows it."""


def _unclosed_quote(error: yaml.MarkedYAMLError, text: str) -> Mark | None:
    """Where a quote opens that was never closed on its line, when that caused `error`.

    YAML quotes may span lines, so the parser reads on until the next quote or the end of
    the file and fails far below the mistake. Either the scanner says so (the file ended
    inside the quotes), or a quoted value before the failure spans lines that read like
    `key:` lines, which no one writes inside quotes on purpose.
    """
    if error.context_mark is not None and "quoted scalar" in (error.context or ""):
        return error.context_mark
    mark = error.problem_mark
    if mark is None:
        return None
    opened: Mark | None = None
    try:
        # The pure-Python scanner, on the text before the failure: this path runs once, on
        # an invalid file, so its speed does not matter.
        for token in yaml.scan(text[: _offset(text, mark.line, mark.column)], yaml.SafeLoader):
            if (
                isinstance(token, yaml.ScalarToken)
                and token.style in ('"', "'")
                and token.end_mark.line > token.start_mark.line
                and _KEY_LINE.search(
                    text,
                    _offset(text, token.start_mark.line + 1, 0),
                    _offset(text, token.end_mark.line, 0),
                )
            ):
                opened = token.start_mark
    except yaml.YAMLError:
        pass
    return opened


def _unclosed_quote_problem(error: yaml.MarkedYAMLError, opened: Mark, file: str) -> Problem:
    line, column = _position(opened)
    failed, _ = _position(error.problem_mark)
    return Problem(
        file,
        line,
        column,
        "YAML syntax error: this quote is not closed on its line, so YAML read on to line "
        f"{failed} as one value and failed there ({error.problem or 'invalid YAML'})",
        'close the quote on this line; to put a quote inside a value, write `\\"` in '
        "double quotes or `''` in single quotes",
        "error",
        "syntax-error",
    )


def _syntax_hint(what: str, text: str, line: int) -> str:
    lines = text.splitlines()
    bad_line = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in bad_line[: len(bad_line) - len(bad_line.lstrip())]:
        return "YAML does not allow tabs for indentation; indent with spaces"
    if "mapping values are not allowed" in what:
        return "a value containing `: ` must be quoted, or a key is indented wrongly"
    if "expected ',' or ']'" in what or "expected ',' or '}'" in what:
        return "a `[` or `{` is not closed; check brackets and quotes"
    return "check the indentation and quoting on this line and the one above"


def _line_column(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    line = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    return line, column
