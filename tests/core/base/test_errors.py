"""Every exception axo raises on purpose has one root, `AxoError`, and keeps the built-in bases
its callers already catch."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sqlite3

import pytest

import axo_tui.core
from axo_tui.core.base.errors import AxoError


def _axo_exceptions() -> list[type[BaseException]]:
    """The public exception classes defined in axo_tui.core (and the CLI's scaffolder)."""
    modules = [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(axo_tui.core.__path__, "axo_tui.core.")
    ]
    modules.append(importlib.import_module("axo_tui.cli.scaffold"))
    found = {
        cls
        for module in modules
        for name, cls in vars(module).items()
        if inspect.isclass(cls)
        and issubclass(cls, BaseException)
        and cls.__module__ == module.__name__
        and not name.startswith("_")  # private control flow (a generation told to stop)
    }
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_the_walk_finds_the_known_errors() -> None:
    names = {cls.__name__ for cls in _axo_exceptions()}
    assert {"ConfigError", "JournalError", "ProviderError", "RunError", "ToolError"} <= names
    assert len(names) >= 21


@pytest.mark.parametrize("cls", _axo_exceptions(), ids=lambda cls: cls.__qualname__)
def test_every_axo_exception_derives_from_axo_error(cls: type[BaseException]) -> None:
    assert issubclass(cls, AxoError)


def test_the_built_in_bases_callers_catch_are_kept() -> None:
    from axo_tui.core.embeddings.safetensors_file import SafetensorsError
    from axo_tui.core.providers.gguf import GgufError
    from axo_tui.core.providers.retry import DeadlineExceeded
    from axo_tui.core.store.journal_writer import AppendConflict

    assert issubclass(GgufError, ValueError)
    assert issubclass(SafetensorsError, ValueError)
    assert issubclass(AppendConflict, sqlite3.IntegrityError)
    assert issubclass(DeadlineExceeded, AxoError)
    with pytest.raises(ValueError, match="not a GGUF"):
        raise GgufError("not a GGUF file")
