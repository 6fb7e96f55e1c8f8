"""`${VAR}` and `${VAR:-default}` in config values.

Substitution runs on parsed string values, never on the raw text, so line numbers stay
right and a variable can never inject YAML structure. `$${` writes a literal `${` (useful
in prompts that show shell or JavaScript snippets).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

_REFERENCE = re.compile(r"\$(\$?)\{([^{}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTENV_REFERENCE = re.compile(r"\$\{(?P<name>[^}:]*)(?::-(?P<default>[^}]*))?\}")
"""python-dotenv's own `${NAME}` / `${NAME:-default}` syntax inside `.env` values."""


@dataclass(frozen=True)
class Substitution:
    """The result of expanding one string."""

    text: str
    missing: tuple[str, ...] = ()
    """Variables that are unset and have no default."""
    malformed: tuple[str, ...] = ()
    """`${...}` bodies that are not `NAME` or `NAME:-default`."""
    changed: bool = False


@dataclass
class Environment:
    """Variables visible to a config: its `.env` file, overridden by the process env."""

    values: Mapping[str, str]
    env_file: Path
    problems: list[str] = field(default_factory=list)

    def expand(self, text: str) -> Substitution:
        if "${" not in text:
            return Substitution(text)
        missing: list[str] = []
        malformed: list[str] = []

        def replace(match: re.Match[str]) -> str:
            escaped, body = match.group(1), match.group(2)
            if escaped:
                return "${" + body + "}"
            name, has_default, default = body.partition(":-")
            if not _NAME.fullmatch(name):
                malformed.append(body)
                return match.group(0)
            value = self.values.get(name)
            if has_default and not value:
                return default
            if value is None:
                missing.append(name)
                return ""
            return value

        expanded = _REFERENCE.sub(replace, text)
        return Substitution(expanded, tuple(missing), tuple(malformed), expanded != text)


def load_environment(config_path: Path, environ: Mapping[str, str] | None) -> Environment:
    """Merge `<config dir>/.env` under `environ` (the process environment by default).

    The process environment wins so a one-off `OPENAI_API_KEY=... axo run` overrides the
    file, as with every other dotenv-aware tool.
    """
    env_file = config_path.parent / ".env"
    process = os.environ if environ is None else environ
    merged: dict[str, str] = {}
    problems: list[str] = []
    if env_file.is_file():
        try:
            merged.update(read_env_file(env_file, process))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            problems.append(f"{env_file} could not be read ({error}); its variables are ignored")
    merged.update(process)
    return Environment(merged, env_file, problems)


def read_env_file(env_file: Path, process: Mapping[str, str]) -> dict[str, str]:
    """The variables a `.env` file sets, `${NAME}` in its values expanded as python-dotenv
    does (earlier lines of the file first, then `process`).

    python-dotenv's own expansion copies the whole environment once per line, quadratic in
    the file's length; this does the same in one linear pass.
    """
    values: dict[str, str | None] = {}
    raw = dotenv_values(env_file, encoding="utf-8", interpolate=False)
    for name, value in raw.items():
        if value is not None and "${" in value:
            value = _DOTENV_REFERENCE.sub(lambda m: _lookup(m, values, process), value)
        values[name] = value
    return {name: value for name, value in values.items() if value is not None}


def _lookup(
    match: re.Match[str], values: Mapping[str, str | None], process: Mapping[str, str]
) -> str:
    name = match.group("name")
    if name in values:
        return values[name] or ""  # a bare `NAME` line (no `=`) expands to nothing
    if name in process:
        return process[name]
    return match.group("default") or ""
