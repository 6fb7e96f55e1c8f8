"""The root of axo's own exceptions.

Every error axo raises on purpose derives from `AxoError`, so a front end (the CLI, a server)
can tell "axo said no, and said why" from a bug with one `except AxoError`. Classes keep the
built-in bases callers already catch (a `GgufError` is still a `ValueError`).
"""

from __future__ import annotations


class AxoError(Exception):
    """An error axo raises on purpose; its message names what failed and where."""
