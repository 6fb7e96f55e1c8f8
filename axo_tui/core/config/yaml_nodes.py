"""The node tree a config is parsed into, and YAML's typing of plain scalars.

Nodes remember the 1-based line and column they were written at, so every check can point
at the text to fix. Aliases are kept as shared references (the tree is a DAG); `size` is a
node's expanded size, which `yaml_compose` bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import yaml

TAG_STR = "tag:yaml.org,2002:str"
TAG_INT = "tag:yaml.org,2002:int"
TAG_FLOAT = "tag:yaml.org,2002:float"
TAG_BOOL = "tag:yaml.org,2002:bool"
TAG_NULL = "tag:yaml.org,2002:null"
TAG_MERGE = "tag:yaml.org,2002:merge"
TAG_MAP = "tag:yaml.org,2002:map"
TAG_SEQ = "tag:yaml.org,2002:seq"
TYPED_TAGS = frozenset({TAG_INT, TAG_FLOAT, TAG_BOOL, TAG_NULL})
# Timestamps and `=` values stay plain text: no config field wants a datetime.
TEXT_TAGS = frozenset(
    {TAG_STR, TAG_MERGE, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"}
)


class Mark(Protocol):
    """Position of an event; the pure-Python and libyaml marks both fit."""

    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class EventLoader(_Base):  # type: ignore[valid-type,misc]
    """Only the parser and the implicit-tag resolver are used, never the constructor."""


BOOL_WORDS: dict[str, bool] = dict(yaml.SafeLoader.bool_values)


@dataclass(eq=False, slots=True)
class Scalar:
    line: int
    column: int
    value: str | int | float | bool | None
    """The YAML-typed value (plain `8080` is an int, `"8080"` a str)."""
    text: str
    """The text as written, without quotes."""
    plain: bool
    """Unquoted: such a value is re-typed after `${VAR}` substitution."""
    size: int = 1


@dataclass(eq=False, slots=True)
class Seq:
    line: int
    column: int
    items: list[Node] = field(default_factory=list)
    size: int = 1


@dataclass(eq=False, slots=True)
class Map:
    line: int
    column: int
    entries: list[tuple[Scalar, Node]] = field(default_factory=list)
    size: int = 1


Node = Scalar | Seq | Map


def kind_name(node: Node) -> str:
    """How a user would call what they wrote: 'a list', 'a mapping', 'the text "x"'."""
    if isinstance(node, Map):
        return "a mapping"
    if isinstance(node, Seq):
        return "a list"
    if node.value is None:
        return "nothing (null)"
    if isinstance(node.value, bool):
        return f"the boolean {node.text}"
    if isinstance(node.value, int | float):
        return f"the number {node.text}"
    shown = node.text if len(node.text) <= 40 else node.text[:37] + "..."
    return f'the text "{shown}"'


# Typing a scalar needs only the implicit resolvers and the safe constructors, but both are
# instance methods; idle instances are built once instead of per scalar.
_RESOLVER = EventLoader("")
_CONSTRUCTOR = yaml.SafeLoader("")


def resolve_plain(text: str) -> str | int | float | bool | None:
    """Type a plain scalar the way YAML would (used again after `${VAR}` substitution)."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    value, _ = construct_scalar(tag, text)
    return value


def construct_scalar(tag: str, text: str) -> tuple[str | int | float | bool | None, str | None]:
    """(value, error message) for a scalar with a resolved tag."""
    if tag in TEXT_TAGS:
        return text, None
    try:
        if tag == TAG_NULL:
            return None, None
        if tag == TAG_BOOL:
            return BOOL_WORDS[text.lower()], None
        if tag == TAG_INT:
            # int() refuses more than 4300 digits with ValueError: reported, not raised.
            return int(_CONSTRUCTOR.construct_yaml_int(yaml.ScalarNode(tag, text))), None
        if tag == TAG_FLOAT:
            return float(_CONSTRUCTOR.construct_yaml_float(yaml.ScalarNode(tag, text))), None
    except (KeyError, ValueError, TypeError):
        shown = text if len(text) <= 40 else text[:37] + "..."
        return text, f"`{shown}` is not a valid {tag.rsplit(':', 1)[-1]}"
    return text, f"the YAML tag `{tag}` is not supported in axo configs"
