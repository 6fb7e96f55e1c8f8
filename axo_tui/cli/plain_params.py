"""Convert plain `str`, `Path`, `int`, `float`, `bool` parameters without importing pydantic.

Typer 0.29 converts every non-flag parameter value through a pydantic `TypeAdapter`, so any
command that takes a path or a name imports pydantic first, which costs more than the rest
of a quick command. For the plain types axo's commands use, the conversion is one call, so
`use_plain_conversion` gives those parameters a converter that does it directly (paths still
go through Typer's own checks: exists, file_okay, dir_okay, readable, writable, resolve_path).
Anything else (enums, lists, custom parsers, numbers with min/max) keeps Typer's converter.

This relies on two Typer internals (`_TyperParameter._runtime_param` and
`typer._coercion.RuntimeParam`); if they change, nothing breaks: parameters simply keep
Typer's own conversion, and `tests/cli/test_app.py` notices pydantic being imported again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer import _click

try:  # Typer internals; see the module docstring.
    from typer._coercion import RuntimeParam
    from typer._param_types import coerce_cli_path
except ImportError:  # pragma: no cover - a Typer without them keeps its own conversion
    RuntimeParam = None  # type: ignore[assignment,misc]


def _as_text(value: Any) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else str(value)


def _convert_path(runtime: Any, value: Any, param: Any, ctx: _click.Context) -> Any:
    path = value if isinstance(value, Path) else Path(_as_text(value))
    return coerce_cli_path(path, runtime.parameter_info, path_type=Path, param=param, ctx=ctx)


def _number(kind: type[Any]) -> Callable[[Any, Any, Any, _click.Context], Any]:
    def convert(runtime: Any, value: Any, param: Any, ctx: _click.Context) -> Any:
        if isinstance(value, kind) and not isinstance(value, bool):
            return value
        try:
            return kind(_as_text(value).strip())
        except ValueError:
            noun = "an integer" if kind is int else "a number"
            raise _click.exceptions.BadParameter(
                f"{_as_text(value)!r} is not {noun}.", ctx=ctx, param=param
            ) from None

    return convert


_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"", "0", "false", "f", "no", "n", "off"})


def _convert_bool(runtime: Any, value: Any, param: Any, ctx: _click.Context) -> Any:
    # Flags arrive as bools; text comes from environment variables (`AXO_X=1`).
    if isinstance(value, bool):
        return value
    text = _as_text(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise _click.exceptions.BadParameter(
        f"{_as_text(value)!r} is not a valid boolean.", ctx=ctx, param=param
    )


_CONVERTERS: dict[Any, Callable[[Any, Any, Any, _click.Context], Any]] = {
    str: lambda runtime, value, param, ctx: _as_text(value),
    Path: _convert_path,
    int: _number(int),
    float: _number(float),
    bool: _convert_bool,
}

if RuntimeParam is not None:

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):
        """Typer's runtime-parameter contract, converting with `_CONVERTERS`."""

        def _coerce_value(self, value: Any, param: Any, ctx: _click.Context) -> Any:
            return _CONVERTERS[self.annotation](self, value, param, ctx)


def _is_plain(descriptor: Any) -> bool:
    info = descriptor.parameter_info
    if descriptor.annotation not in _CONVERTERS or descriptor.file_annotation is not None:
        return False
    if getattr(info, "parser", None) is not None or getattr(info, "click_type", None):
        return False
    if descriptor.annotation is Path and getattr(info, "path_type", None) not in (None, Path):
        return False
    # Range options (min/max/clamp) keep Typer's messages.
    return all(getattr(info, key, None) in (None, False) for key in ("min", "max", "clamp"))


def use_plain_conversion(params: list[_click.Parameter]) -> None:
    """Give the plain ones of `params` the pydantic-free converter."""
    if RuntimeParam is None:  # pragma: no cover
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or not hasattr(param, "_runtime_param"):
            continue
        if isinstance(param._runtime_param, PlainRuntimeParam):
            continue
        if _is_plain(descriptor):
            param._runtime_param = PlainRuntimeParam(
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
            )
