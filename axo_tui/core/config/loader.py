"""Entry points: find a config, read it safely, parse, build, validate.

Only `ConfigError` leaves this module. Hostile input (huge, binary, bombs, deep nesting)
is refused by cheap checks before or during parsing, so a bad file costs milliseconds.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from axo_tui.core.config.build import build_config
from axo_tui.core.config.build_providers import resolve_path
from axo_tui.core.config.checker import Checker
from axo_tui.core.config.envsubst import load_environment
from axo_tui.core.config.problems import ConfigError, Problem, sort_and_dedupe
from axo_tui.core.config.schema import Config
from axo_tui.core.config.yaml_compose import compose
from axo_tui.core.config.yaml_nodes import Map, Scalar, kind_name

MAX_BYTES = 2 * 1024 * 1024
"""A hand-written config is a few KB; anything past this is junk or an attack."""

CONFIG_NAMES = ("axo.yaml", "axo.yml", "axocoatl.yaml")

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

_WHOLE_FILE = (1, 1)
"""Where a problem with the whole content is reported: editors and `file:line:col` parsers
jump to a line, and every other problem names one."""


def find_config(start: Path) -> Path:
    """The config file in directory `start` (or `start` itself when it is a file).

    Raises:
        ConfigError: (code `no-config`) when the directory holds none of `CONFIG_NAMES`.
    """
    if start.is_file():
        return start
    for name in CONFIG_NAMES:
        candidate = start / name
        if candidate.is_file():
            return candidate
    names = ", ".join(CONFIG_NAMES)
    raise ConfigError(
        [
            Problem(
                str(start),
                0,
                0,
                f"no config file here (looked for {names})",
                "run `axo init` to create one, or pass `--config PATH`",
                "error",
                "no-config",
            )
        ]
    )


def load_config(
    path: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    extra_tools: Iterable[str] = (),
) -> Config:
    """Load and validate a config file.

    `environ` replaces the process environment for `${VAR}` substitution (tests, the
    server); the `.env` file beside the config is read either way. `extra_tools` names the
    tools a program embedding axo registers itself, which `tools:` may then list.

    Raises:
        ConfigError: with every problem found, when the file has at least one error.
    """
    config_path = Path(path)
    text = _read_text(config_path)
    return load_config_text(text, config_path, environ=environ, extra_tools=extra_tools)


def load_config_text(
    text: str,
    path: Path,
    *,
    environ: Mapping[str, str] | None = None,
    extra_tools: Iterable[str] = (),
) -> Config:
    """Like `load_config`, for text already in memory; `path` names it in messages and
    anchors relative paths and the `.env` lookup."""
    file = str(path)
    try:
        return _load(text, Path(path), environ, frozenset(extra_tools))
    except ConfigError:
        raise
    except Exception as error:
        raise ConfigError(
            [
                Problem(
                    file,
                    0,
                    0,
                    f"internal error while loading the config: {type(error).__name__}: {error}",
                    "this is a bug in axo; please report it with the config file",
                    "error",
                    "internal-error",
                )
            ]
        ) from error


def _fail(
    file: str, code: str, message: str, hint: str, line: int = 0, column: int = 0
) -> ConfigError:
    """One problem; line 0 only when there is no content to point at (no such file)."""
    return ConfigError([Problem(file, line, column, message, hint, "error", code)])


def _read_text(path: Path) -> str:
    file = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise _fail(
            file, "file-not-found", "config file not found", "check the path, or run `axo init`"
        ) from None
    except OSError as error:
        raise _fail(file, "unreadable", f"cannot read the config: {error.strerror}", "") from None
    if not stat.S_ISREG(info.st_mode):
        # A directory, FIFO or device: reading a FIFO would block forever.
        raise _fail(
            file,
            "unreadable",
            "not a regular file",
            "point at the YAML file itself, e.g. `axo.yaml`",
        )
    if info.st_size > MAX_BYTES:
        raise _too_large(file, info.st_size)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise _fail(file, "unreadable", f"cannot read the config: {error.strerror}", "") from None
    if len(data) > MAX_BYTES:
        raise _too_large(file, len(data))
    return _decode(data, file)


def _too_large(file: str, size: int) -> ConfigError:
    return _fail(
        file,
        "too-large",
        f"the config is {size / 1024 / 1024:.1f} MiB; the limit is {MAX_BYTES // 1024 // 1024} MiB",
        "is this the right file? A config is a few kilobytes of YAML",
        *_WHOLE_FILE,
    )


def _decode(data: bytes, file: str) -> str:
    if data.startswith(_UTF16_BOMS):
        raise _fail(
            file, "bad-encoding", "the config is UTF-16 encoded", "save the file as UTF-8", 1, 1
        )
    if b"\x00" in data:
        line, column = _position(data, data.index(b"\x00"))
        raise _binary(file, line, column)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # utf-8-sig drops a 3-byte BOM before decoding; offsets are into `data` regardless
        # of whether one was there only when none was.
        offset = error.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line, column = _position(data, offset)
        raise _fail(
            file,
            "bad-encoding",
            f"the config is not valid UTF-8 (byte 0x{data[offset]:02x})",
            "save the file as UTF-8; if it is binary, this is not a config file",
            line,
            column,
        ) from None


def _binary(file: str, line: int, column: int) -> ConfigError:
    return _fail(
        file,
        "binary-file",
        "the config contains NUL bytes: it looks like a binary file",
        "point axo at the YAML config (e.g. `axo.yaml`)",
        line,
        column,
    )


def _position(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    return before.count(b"\n") + 1, offset - (before.rfind(b"\n") + 1) + 1


def _text_position(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _check_text(text: str, file: str) -> None:
    if len(text) > MAX_BYTES:
        raise _too_large(file, len(text))
    if "\x00" in text:
        raise _binary(file, *_text_position(text, text.index("\x00")))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        line, column = _text_position(text, error.start)
        raise _fail(
            file,
            "bad-encoding",
            "the config holds text that is not valid Unicode (a lone surrogate)",
            "save the file as UTF-8",
            line,
            column,
        ) from None


def _load(
    text: str, path: Path, environ: Mapping[str, str] | None, extra_tools: frozenset[str]
) -> Config:
    file = str(path)
    _check_text(text, file)
    if text.startswith("\ufeff"):
        text = text[1:]
    root, problems = compose(text, file)
    if not problems and (root is None or (isinstance(root, Scalar) and root.value is None)):
        raise _fail(
            file,
            "empty-file",
            "the config is empty",
            "add at least an `agents:` section; `axo init` writes a starter config",
            *_WHOLE_FILE,
        )
    if root is None:
        raise ConfigError(sort_and_dedupe(problems))
    if not isinstance(root, Map):
        problems.append(
            Problem(
                file,
                root.line,
                root.column,
                f"the top level must be a mapping of sections, found {kind_name(root)}",
                "start with sections such as `agents:`, `workflows:` and `providers:`",
                "error",
                "not-a-mapping",
            )
        )
        raise ConfigError(sort_and_dedupe(problems))
    absolute = path.absolute()
    env = load_environment(absolute, environ)
    checker = Checker(file, env, extra_tools)
    checker.problems.extend(problems)
    for message in env.problems:
        checker.warn(None, "bad-env-file", message, "fix or remove the .env file")
    config = build_config(checker, root, absolute)
    found = sort_and_dedupe(checker.problems)
    if any(problem.severity == "error" for problem in found):
        raise ConfigError(found)
    return replace(config, warnings=tuple(found))


def readable_state_dir(path: Path) -> Path:
    """Where the project at config `path` keeps its state, found even when the config is
    invalid: its top-level `data_dir` if that is plain text (no `${VAR}`), else `.axo`
    beside it. Commands that only read the state use it while the config is being fixed.
    """
    default = path.parent / ".axo"
    try:
        root, _ = compose(_read_text(path).removeprefix("\ufeff"), str(path))
    except ConfigError:
        return default
    if not isinstance(root, Map):
        return default
    for key, value in root.entries:
        if key.text != "data_dir" or not isinstance(value, Scalar):
            continue
        if isinstance(value.value, str) and value.value and "${" not in value.text:
            return resolve_path(value.text, path.parent)
    return default
