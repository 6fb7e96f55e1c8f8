"""The project: its config, where it keeps state, and the port its server would take."""

from __future__ import annotations

import errno
import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path

from axo_tui.core.config import Config, ConfigError, Problem, find_config, load_config
from axo_tui.core.doctor.model import CheckResult, Status, fail, ok, warn


@dataclass(frozen=True)
class LoadedProject:
    """The outcome of the `config` check, and the config when there is one to check further."""

    result: CheckResult
    config: Config | None


def load_project(explicit: Path | None, search_dir: Path) -> LoadedProject:
    """Find and load the config, reporting exactly the problems `axo validate` reports.

    No config in `search_dir` (and none asked for) is only a warning: the machine-wide checks
    are still worth running before a project exists.
    """
    try:
        path = find_config(explicit) if explicit is not None and explicit.is_dir() else explicit
        if path is None:
            path = _relative_to_cwd(find_config(search_dir))
        config = load_config(path)
    except ConfigError as exc:
        problems = tuple(exc.problems)
        if explicit is None and problems and problems[0].code == "no-config":
            return LoadedProject(
                warn(
                    "config",
                    f"no axo.yaml in {search_dir}: project checks skipped",
                    "run `axo init NAME` to create a project, or pass --config PATH",
                ),
                None,
            )
        return LoadedProject(_invalid(problems), None)
    warnings = tuple(config.warnings)
    summary = f"{path}: {_describe(config)}"
    if warnings:
        first = warnings[0]
        more = f" (and {len(warnings) - 1} more)" if len(warnings) > 1 else ""
        result = CheckResult(
            "config",
            Status.WARN,
            f"{summary}; {first.location}: {first.message}{more}",
            first.hint or None,
            warnings,
        )
        return LoadedProject(result, config)
    return LoadedProject(ok("config", summary), config)


def _invalid(problems: tuple[Problem, ...]) -> CheckResult:
    errors = [p for p in problems if p.severity == "error"] or list(problems)
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return CheckResult(
        "config",
        Status.FAIL,
        f"{first.location}: {first.message}{more}",
        first.hint or "run `axo validate` to see every problem",
        problems,
    )


def _relative_to_cwd(path: Path) -> Path:
    """`axo.yaml` rather than `/home/me/project/axo.yaml`, as `axo validate` shows it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def shown(path: Path) -> Path:
    """A path as a user would type it from here: relative below the current directory."""
    return _relative_to_cwd(path) if path.is_absolute() else path


def _describe(config: Config) -> str:
    parts = [
        _plural(len(config.agents), "agent"),
        _plural(len(config.workflows), "workflow"),
        _plural(len(config.providers), "provider"),
    ]
    return ", ".join(parts)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def check_data_dir(path: Path) -> CheckResult:
    """The state directory exists (or can be made), is writable, and only we can read it.

    Nothing is created here: the doctor observes. The directory holds transcripts and memory,
    hence the 0700 expectation.
    """
    name = "data_dir"
    path = shown(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        parent = _nearest_existing(path)
        if parent is not None and os.access(parent, os.W_OK | os.X_OK):
            return ok(name, f"{path} does not exist yet; it will be created on the first run")
        where = parent if parent is not None else path.anchor
        return fail(
            name,
            f"{path} does not exist and cannot be created ({where} is not writable)",
            f"create it yourself (`mkdir -p -m 700 {path}`) or choose another with --data-dir",
        )
    except OSError as exc:
        return fail(name, f"cannot inspect {path}: {exc.strerror or exc}", "check its permissions")
    if not stat.S_ISDIR(info.st_mode):
        return fail(
            name,
            f"{path} exists but is not a directory",
            "move the file away, or choose another data directory with --data-dir",
        )
    mode = stat.S_IMODE(info.st_mode)
    if not os.access(path, os.W_OK | os.X_OK):
        return fail(
            name,
            f"{path} is not writable by this user (mode {mode:04o})",
            f"chmod u+rwx {path}  (or fix its owner: chown $USER {path})",
        )
    if mode & 0o077:
        who = "anyone" if mode & 0o007 else "your group"
        return warn(
            name,
            f"{path} can be read by {who} (mode {mode:04o}); it holds transcripts and memory",
            f"chmod 700 {path}",
        )
    return ok(name, f"{path} (writable, mode {mode:04o})")


def _nearest_existing(path: Path) -> Path | None:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate if candidate.is_dir() else None
    return None


def check_port(host: str, port: int) -> CheckResult:
    """Whether `axo serve` could listen on `server.host:server.port` right now."""
    name = "server_port"
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        return warn(
            name,
            f"server.host {host!r} does not resolve here ({exc.strerror or exc})",
            "set server.host in axo.yaml to an address of this machine, e.g. 127.0.0.1",
        )
    family, kind, proto, _, address = infos[0]
    try:
        with socket.socket(family, kind, proto) as probe:
            # SO_REUSEADDR as a real server sets it: a port in TIME_WAIT is not "busy".
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return warn(
                name,
                f"{where} is already in use by another program; `axo serve` could not listen",
                f"stop that program (`ss -ltnp 'sport = :{port}'` shows it), or set "
                f"server.port in axo.yaml to a free port",
            )
        if exc.errno == errno.EACCES:
            return warn(
                name,
                f"not allowed to listen on {where} (ports below 1024 need privileges)",
                "set server.port in axo.yaml to 1024 or above",
            )
        return warn(
            name,
            f"cannot listen on {where}: {exc.strerror or exc}",
            "set server.host in axo.yaml to an address of this machine, e.g. 127.0.0.1",
        )
    return ok(name, f"{where} is free")
