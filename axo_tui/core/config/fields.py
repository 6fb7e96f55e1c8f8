"""Typed reads of YAML mappings that report, rather than raise, on bad values.

A `Section` wraps one mapping: it flags unknown keys once, then each getter returns a typed
value or the default and records a `Problem` pointing at the offending node. Validation can
therefore walk the whole file and report every mistake in one pass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from axo_tui.core.config import keys
from axo_tui.core.config.checker import Checker, ScalarValue
from axo_tui.core.config.suggest import did_you_mean, join_hints, one_of
from axo_tui.core.config.yaml_nodes import Map, Node, Scalar, Seq, kind_name

E = TypeVar("E", bound=StrEnum)

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""Ids name files and directories (checkpoints/<agent>/), so no slashes, spaces or dots first."""
MAX_ID_LENGTH = 64
"""Ids become file names with prefixes and suffixes added; a file name holds 255 bytes."""


def describe_section(what: str, node: Map) -> str:
    """The section name with its id when it has one: agent `researcher`, else agent."""
    for key, value in node.entries:
        if key.text == "id" and isinstance(value, Scalar) and value.value is not None:
            return f"{what} `{value.text}`"
    return what


def _home_of(key: str, here: tuple[str, ...]) -> str:
    """Which other sections a misplaced key belongs to, as a hint."""
    homes = [
        name for name, allowed in keys.ALL_SECTIONS.items() if key in allowed and allowed != here
    ]
    return f"`{key}` belongs in: {', '.join(homes)}" if homes else ""


class Section:
    """The known keys of one YAML mapping, with typed getters."""

    def __init__(self, checker: Checker, node: Map, allowed: tuple[str, ...], what: str) -> None:
        self.checker = checker
        self.node = node
        self.what = describe_section(what, node)
        self.fields: dict[str, tuple[Scalar, Node]] = {}
        for key, value in node.entries:
            if key.text in allowed:
                self.fields[key.text] = (key, value)
                continue
            hint = did_you_mean(key.text, allowed) or _home_of(key.text, allowed)
            checker.error(
                key,
                "unknown-key",
                f"unknown key `{key.text}` in {self.what}",
                join_hints(hint, f"allowed keys: {one_of(allowed, limit=20)}"),
            )

    # -- raw access ------------------------------------------------------------------------

    def has(self, key: str) -> bool:
        return key in self.fields

    def key_node(self, key: str) -> Scalar | None:
        entry = self.fields.get(key)
        return entry[0] if entry else None

    def value_node(self, key: str) -> Node | None:
        """The value, or None when the key is absent or explicitly null."""
        entry = self.fields.get(key)
        if entry is None:
            return None
        value = entry[1]
        if isinstance(value, Scalar) and value.value is None:
            return None
        return value

    def missing(self, key: str, hint: str = "") -> None:
        self.checker.error(
            self.node,
            "missing-key",
            f"{self.what} needs `{key}`",
            hint or f"add `{key}:` to this {self.what.split(' ')[0]}",
        )

    def wrong_type(
        self, key: str, node: Node, expected: str, hint: str = "", value: ScalarValue = None
    ) -> None:
        """Report a value of the wrong type; `value` is the substituted value, if any."""
        found = kind_name(node)
        if isinstance(value, str) and isinstance(node, Scalar) and value != node.text:
            found = kind_name(Scalar(node.line, node.column, value, value, node.plain))
        self.checker.error(
            node,
            "wrong-type",
            f"`{key}` in {self.what} must be {expected}, found {found}",
            hint,
        )

    def _scalar(self, key: str, expected: str, required: bool) -> tuple[ScalarValue, str, Node]:
        """(value, text, node) of a scalar field; value None means absent or unusable."""
        node = self.value_node(key)
        if node is None:
            if required:
                self.missing(key)
            return None, "", self.node
        if not isinstance(node, Scalar):
            self.wrong_type(key, node, expected)
            return None, "", node
        value, text = self.checker.expand(node, key)
        return value, text, node

    # -- typed getters -----------------------------------------------------------------------

    def opt_text(self, key: str, *, required: bool = False) -> str | None:
        """Text; unquoted numbers and booleans are taken as written (`model: 3.5`)."""
        value, text, _ = self._scalar(key, "text", required)
        if value is None:
            return None
        return value if isinstance(value, str) else text

    def text(self, key: str, default: str = "") -> str:
        value = self.opt_text(key)
        return default if value is None else value

    def ident(self, key: str = "id", *, required: bool = True) -> str | None:
        """An id that names files on disk: letters, digits, `_`, `-`, `.`."""
        value = self.opt_text(key, required=required)
        if value is None:
            return None
        if len(value) > MAX_ID_LENGTH:
            self.checker.error(
                self.value_node(key),
                "invalid-id",
                f"{key} `{value[:24]}...` is {len(value)} characters long "
                f"(at most {MAX_ID_LENGTH})",
                f"use a shorter {key}: it names files and folders in the data directory",
            )
            return None
        if not ID_PATTERN.fullmatch(value):
            node = self.value_node(key)
            self.checker.error(
                node,
                "invalid-id",
                f"`{value}` is not a valid {key} for {self.what}",
                "use letters, digits, `_`, `-` and `.`, starting with a letter or digit",
            )
            return None
        return value

    def opt_integer(
        self, key: str, *, lo: int | None = None, hi: int | None = None, required: bool = False
    ) -> int | None:
        value, _, node = self._scalar(key, "a whole number", required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            hint = ""
            if isinstance(value, float) and value.is_integer():
                hint = f"write `{key}: {int(value)}`"
            elif isinstance(value, str) and value.strip().isdigit():
                hint = f"remove the quotes: `{key}: {value.strip()}`"
            self.wrong_type(key, node, "a whole number", hint, value)
            return None
        if not self._in_range(key, node, value, lo, hi, lo_open=False):
            return None
        return value

    def integer(
        self, key: str, default: int, *, lo: int | None = None, hi: int | None = None
    ) -> int:
        value = self.opt_integer(key, lo=lo, hi=hi)
        return default if value is None else value

    def opt_number(
        self,
        key: str,
        *,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
    ) -> float | None:
        value, _, node = self._scalar(key, "a number", False)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            hint = ""
            if isinstance(value, str):
                hint = "write the number without quotes"
            self.wrong_type(key, node, "a finite number", hint, value)
            return None
        if not self._in_range(key, node, value, lo, hi, lo_open=lo_open):
            return None
        return float(value)

    def number(
        self,
        key: str,
        default: float,
        *,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
    ) -> float:
        value = self.opt_number(key, lo=lo, hi=hi, lo_open=lo_open)
        return default if value is None else value

    def _in_range(
        self,
        key: str,
        node: Node,
        value: float,
        lo: float | None,
        hi: float | None,
        *,
        lo_open: bool,
    ) -> bool:
        too_low = lo is not None and (value <= lo if lo_open else value < lo)
        too_high = hi is not None and value > hi
        if not (too_low or too_high):
            return True
        if lo is not None and hi is not None and not lo_open:
            wanted = f"between {_fmt(lo)} and {_fmt(hi)}"
        elif lo is not None and hi is not None:
            wanted = f"greater than {_fmt(lo)} and at most {_fmt(hi)}"
        elif lo is not None:
            wanted = f"greater than {_fmt(lo)}" if lo_open else f"at least {_fmt(lo)}"
        else:
            wanted = f"at most {_fmt(hi or 0)}"
        self.checker.error(
            node,
            "out-of-range",
            f"`{key}` in {self.what} must be {wanted}, found {_fmt(value)}",
            f"set `{key}` to a value {wanted}",
        )
        return False

    def boolean(self, key: str, default: bool) -> bool:
        value, _, node = self._scalar(key, "true or false", False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.wrong_type(key, node, "true or false", "", value)
            return default
        return value

    def choice(self, key: str, enum: type[E], default: E | None) -> E | None:
        """An enum value; unknown values list the allowed ones."""
        value, text, node = self._scalar(key, "text", default is None)
        if value is None:
            return default
        allowed = [member.value for member in enum]
        if text in allowed:
            return enum(text)
        self.checker.error(
            node,
            "invalid-choice",
            f"`{text}` is not a valid `{key}` for {self.what}",
            join_hints(did_you_mean(text, allowed), f"use one of {one_of(allowed)}"),
        )
        return default

    def names(self, key: str) -> tuple[str, ...] | None:
        """A list of names (`depends_on`, `tools`, ...); None when absent."""
        result = self.named_nodes(key)
        return None if result is None else tuple(name for name, _ in result)

    def named_nodes(self, key: str) -> list[tuple[str, Scalar]] | None:
        """Like `names`, keeping each item's node for error positions."""
        node = self.value_node(key)
        if node is None:
            return None
        if isinstance(node, Scalar):
            _, text = self.checker.expand(node, key)
            self.wrong_type(key, node, "a list", f"write `{key}: [{text}]`")
            return [(text, node)]
        if isinstance(node, Map):
            self.wrong_type(
                key, node, "a list", f"write each item on its own `- ` line under `{key}:`"
            )
            return []
        items: list[tuple[str, Scalar]] = []
        for item in node.items:
            if isinstance(item, Scalar) and item.value is not None:
                value, text = self.checker.expand(item, key)
                items.append((value if isinstance(value, str) else text, item))
            else:
                self.checker.error(
                    item,
                    "wrong-type",
                    f"items of `{key}` in {self.what} must be names, found {kind_name(item)}",
                    "write each item as a plain name",
                )
        return items

    def section(self, key: str, allowed: tuple[str, ...], what: str = "") -> Section | None:
        """A nested mapping, or None when absent (or of the wrong type, reported)."""
        node = self.value_node(key)
        if node is None:
            return None
        if not isinstance(node, Map):
            self.wrong_type(
                key, node, "a mapping", f"put the settings of `{key}` on indented lines"
            )
            return None
        if not what:
            what = f"`{key}`" if self.node is self.checker.root else f"`{key}` of {self.what}"
        return Section(self.checker, node, allowed, what)

    def items(self, key: str, *, item_name: str = "item") -> list[Node]:
        """The items of a list field; reports a non-list."""
        node = self.value_node(key)
        if node is None:
            return []
        if not isinstance(node, Seq):
            self.wrong_type(key, node, "a list", f"start each {item_name} with `- ` under `{key}:`")
            return []
        return node.items

    def text_map(self, key: str) -> tuple[tuple[str, str], ...]:
        """A mapping of text to text (headers, env)."""
        node = self.value_node(key)
        if node is None:
            return ()
        if not isinstance(node, Map):
            self.wrong_type(key, node, "a mapping of names to text")
            return ()
        pairs: list[tuple[str, str]] = []
        for name, value in node.entries:
            if not isinstance(value, Scalar) or value.value is None:
                self.checker.error(
                    value,
                    "wrong-type",
                    f"`{name.text}` under `{key}` must be text, found {kind_name(value)}",
                    "quote the value",
                )
                continue
            typed, text = self.checker.expand(value, name.text)
            pairs.append((name.text, typed if isinstance(typed, str) else text))
        return tuple(pairs)

    def check(self, ok: bool, key: str, code: str, message: str, hint: str = "") -> None:
        """Report `message` at `key`'s value (or the section) unless `ok`."""
        if not ok:
            self.checker.error(self.value_node(key) or self.node, code, message, hint)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def each_map(
    checker: Checker,
    items: list[Node],
    what: str,
    build: Callable[[Map], None],
) -> None:
    """Call `build` on each mapping item; report other items."""
    for item in items:
        if isinstance(item, Map):
            build(item)
        else:
            checker.error(
                item,
                "wrong-type",
                f"each {what} must be a mapping of settings, found {kind_name(item)}",
                f"start the {what} with `- id: ...` and indent its settings",
            )
