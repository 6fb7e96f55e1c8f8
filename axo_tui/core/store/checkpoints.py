"""Per-agent checkpoints: a small JSON file after every turn, written atomically.

Layout: `<state_dir>/checkpoints/<agent>/NNNNNN.json`, numbered upwards, the last `keep` (3)
kept. A checkpoint holds what the journal does not: the agent's behaviour state (consecutive
failures, an open circuit), and a summary of its sessions and token totals, so a restarted
agent, or `axo agents status` in another process, knows where it stood.

Writes are atomic: a temp file in the same directory, fsync, rename to the final name. A
reader therefore sees either the previous checkpoint or the new one, never half of one, even
across a kill -9 or a power cut. Reading walks from the newest file down and falls back past
any file that is damaged (truncated, garbage, the wrong agent), with a warning; a damaged
store never blocks start-up.

What a kill -9 needs and what a power cut needs differ. A killed process loses nothing it
handed to the kernel: the rename alone makes the new checkpoint visible and whole. A power
cut can also lose what the kernel had not yet written: the file's data (hence the fsync
before the rename: a name that survives always points at whole data) and the rename itself
(a directory entry). The directory is fsynced when it is created, not after every write: a
power cut may therefore lose the newest checkpoint's name and leave the previous one as the
newest, the same loss the journal accepts (WAL with synchronous=NORMAL keeps every commit
across a kill, and may lose the last ones to a power cut). On ext4 and XFS the next file
fsync commits the metadata log, earlier renames included, so at most the newest is lost.
This halves the fsync cost of a turn.

Numbering and pruning do not list the directory on every write: the store remembers each
agent's next number (listing once per agent and process, and again if the expected name is
taken, e.g. by `axo agents restart` in another process) and removes the file that falls out
of the last `keep` by its name. A full prune (stale temp files, leftovers of a crash between
rename and prune) runs on the first write per agent and every PRUNE_SWEEP_EVERY writes.
"""

from __future__ import annotations

import contextlib
import errno
import json
import time
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from axo_tui.core.base import jsonfast
from axo_tui.core.base.atomic_files import atomic_write, fsync_directory
from axo_tui.core.base.errors import AxoError
from axo_tui.core.store.private_files import private_dir

CHECKPOINT_VERSION = 1
DEFAULT_KEEP = 3
MAX_SESSIONS = 32
"""Sessions remembered per agent (the most recent); run sessions would grow without end."""
PRUNE_SWEEP_EVERY = 64
"""Writes between full prunes (listing the directory); in between, one known file goes."""
MAX_CHECKPOINT_BYTES = 1 << 20
"""A checkpoint is a few hundred bytes; anything this large is not one of ours."""


class CheckpointError(AxoError):
    """A checkpoint could not be written; the message names the file or directory and a fix."""


@dataclass(frozen=True)
class AgentCheckpoint:
    """An agent's state after a turn."""

    agent_id: str
    seq: int = 0
    """The file number; 0 until written."""
    written_at: float = 0.0
    activation_id: str | None = None
    run_id: str | None = None
    session_id: str | None = None
    """The session of the last turn."""
    sessions: dict[str, int] = field(default_factory=dict)
    """Message count of each recent session, oldest first (at most MAX_SESSIONS)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    """Totals over the agent's life, as the ledger recorded them."""
    activations: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    """Failures that count as crashes (not budget refusals) since the last success."""
    last_error: str | None = None
    circuit_open_until: float | None = None
    """Wall-clock time until which the agent is degraded and refuses activations."""

    def evolve(self, **changes: Any) -> AgentCheckpoint:
        """`dataclasses.replace` without its per-call look at the fields: this runs after
        every turn, and replace cost more than the rest of the bookkeeping (there is no
        __post_init__ to run)."""
        unknown = changes.keys() - _FIELD_NAMES
        if unknown:
            raise TypeError(f"AgentCheckpoint has no field {', '.join(sorted(unknown))}")
        clone = object.__new__(AgentCheckpoint)
        clone.__dict__.update(self.__dict__, **changes)
        return clone

    def degraded(self, now: float | None = None) -> bool:
        if self.circuit_open_until is None:
            return False
        return (time.time() if now is None else now) < self.circuit_open_until

    def to_json(self) -> dict[str, Any]:
        return {
            "version": CHECKPOINT_VERSION,
            "agent_id": self.agent_id,
            "seq": self.seq,
            "written_at": self.written_at,
            "activation_id": self.activation_id,
            "run_id": self.run_id,
            "session_id": self.session_id,
            "sessions": dict(self.sessions),
            "usage": {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
            },
            "activations": self.activations,
            "failures": self.failures,
            "consecutive_failures": self.consecutive_failures,
            "last_error": self.last_error,
            "circuit_open_until": self.circuit_open_until,
        }

    @classmethod
    def from_json(cls, data: Any, agent_id: str) -> AgentCheckpoint:
        """Parse and check a checkpoint; ValueError names what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("version") != CHECKPOINT_VERSION:
            raise ValueError(f"unknown version {data.get('version')!r}")
        if data.get("agent_id") != agent_id:
            raise ValueError(f"belongs to agent {data.get('agent_id')!r}")
        usage = data.get("usage")
        sessions = data.get("sessions")
        if not isinstance(usage, dict) or not isinstance(sessions, dict):
            raise ValueError("usage or sessions missing")
        try:
            return cls(
                agent_id=agent_id,
                seq=_int(data["seq"]),
                written_at=float(data["written_at"]),
                activation_id=_opt_str(data.get("activation_id")),
                run_id=_opt_str(data.get("run_id")),
                session_id=_opt_str(data.get("session_id")),
                sessions={str(k): _int(v) for k, v in sessions.items()},
                prompt_tokens=_int(usage["prompt_tokens"]),
                completion_tokens=_int(usage["completion_tokens"]),
                activations=_int(data["activations"]),
                failures=_int(data["failures"]),
                consecutive_failures=_int(data["consecutive_failures"]),
                last_error=_opt_str(data.get("last_error")),
                circuit_open_until=_opt_float(data.get("circuit_open_until")),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"missing or mistyped field {exc}") from None

    def with_session(self, session_id: str, length: int) -> dict[str, int]:
        """`sessions` with this session moved to the newest end, capped."""
        sessions = dict(self.sessions)  # copied in C, then the one entry moved
        sessions.pop(session_id, None)
        sessions[session_id] = length
        while len(sessions) > MAX_SESSIONS:
            del sessions[next(iter(sessions))]
        return sessions


_FIELD_NAMES = frozenset(f.name for f in fields(AgentCheckpoint))


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"expected a non-negative integer, got {value!r}")
    return value


def _opt_str(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _opt_float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class LoadedCheckpoint:
    """The newest readable checkpoint (None when there is none) and what was skipped."""

    checkpoint: AgentCheckpoint | None
    path: Path | None
    warnings: tuple[str, ...] = ()


class CheckpointStore:
    """The checkpoints of every agent under one directory."""

    def __init__(self, root: Path, *, keep: int = DEFAULT_KEEP) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self.root = root
        self.keep = keep
        # agent -> (next number, writes until the next full prune). Callers serialise the
        # writes of one agent (the supervisor holds a lock per agent).
        self._next: dict[str, tuple[int, int]] = {}

    def agent_dir(self, agent_id: str) -> Path:
        # Config ids are already safe file names; quoting protects programmatic callers.
        return self.root / quote(agent_id, safe="")

    def agents(self) -> list[str]:
        """Agents that have a checkpoint directory."""
        from urllib.parse import unquote

        try:
            return sorted(unquote(p.name) for p in self.root.iterdir() if p.is_dir())
        except OSError:
            return []

    def files(self, agent_id: str) -> list[Path]:
        """Checkpoint files of one agent, oldest first (by number, not by name)."""
        try:
            entries = list(self.agent_dir(agent_id).iterdir())
        except OSError:
            return []
        numbered = [(int(p.stem), p) for p in entries if p.suffix == ".json" and p.stem.isdigit()]
        return [p for _, p in sorted(numbered)]

    def load(self, agent_id: str) -> LoadedCheckpoint:
        """The newest checkpoint that reads back whole; never raises."""
        warnings: list[str] = []
        directory = self.agent_dir(agent_id)
        if directory.exists() and not directory.is_dir():
            return LoadedCheckpoint(
                None, None, (f"{directory}: is not a directory; agent '{agent_id}' starts fresh",)
            )
        candidates = list(reversed(self.files(agent_id)))
        for index, path in enumerate(candidates):
            try:
                checkpoint = self._read(path, agent_id)
            except ValueError as exc:
                fallback = candidates[index + 1].name if index + 1 < len(candidates) else None
                warnings.append(
                    f"{path}: damaged checkpoint ({exc}); "
                    + (f"falling back to {fallback}" if fallback else "starting fresh")
                )
                continue
            return LoadedCheckpoint(checkpoint, path, tuple(warnings))
        return LoadedCheckpoint(None, None, tuple(warnings))

    def _read(self, path: Path, agent_id: str) -> AgentCheckpoint:
        try:
            with path.open("rb") as file:
                raw = file.read(MAX_CHECKPOINT_BYTES + 1)
        except OSError as exc:
            raise ValueError(f"unreadable: {exc.strerror or exc}") from None
        if len(raw) > MAX_CHECKPOINT_BYTES:
            raise ValueError("too large to be a checkpoint")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
        checkpoint = AgentCheckpoint.from_json(data, agent_id)
        return replace(checkpoint, seq=int(path.stem))

    def write(self, checkpoint: AgentCheckpoint) -> AgentCheckpoint:
        """Write the agent's next checkpoint and prune old ones. Returns it with its number.

        Raises:
            CheckpointError: the directory or the disk refused; the previous checkpoint is
                intact (the new one was never renamed into place).
        """
        agent_id = checkpoint.agent_id
        directory = self.agent_dir(agent_id)
        known = self._next.get(agent_id)
        if known is None:
            try:
                created = not directory.is_dir()
                private_dir(directory)
            except OSError as exc:
                raise CheckpointError(_explain(directory, exc, directory)) from exc
            if created:
                fsync_directory(directory.parent)  # the new directory's own name survives
            known = (self._listed_next(agent_id), 0)
        seq, until_sweep = known
        # A checkpoint adopted from disk (written by another process) may be ahead of us.
        seq = max(seq, checkpoint.seq + 1)
        path = directory / f"{seq:06d}.json"
        if path.exists():  # another process wrote meanwhile: number from what is there
            seq = max(seq, self._listed_next(agent_id))
            path = directory / f"{seq:06d}.json"
        stamped = checkpoint.evolve(seq=seq, written_at=time.time())
        # One line, sorted keys, by orjson: this runs on a writer thread that competes with
        # the turns for the GIL, so the cheapest encoder wins. `jq` pretty-prints it.
        data = jsonfast.dumps_bytes(stamped.to_json(), sort_keys=True)
        # The file that falls out of the last `keep` becomes the new one's temp file: creating
        # a file cost the kernel more than the rest of the write (fsync included).
        doomed = None if until_sweep <= 0 else directory / f"{seq - self.keep:06d}.json"
        try:
            atomic_write(path, data, sync_directory=False, recycle=doomed)
        except OSError as exc:
            if self._next.pop(agent_id, None) is not None and isinstance(exc, FileNotFoundError):
                return self.write(checkpoint)  # the directory went (`axo gc`): make it again
            raise CheckpointError(_explain(path, exc, directory)) from exc
        if until_sweep <= 0:
            self.prune(agent_id)
            until_sweep = PRUNE_SWEEP_EVERY
        self._next[agent_id] = (seq + 1, until_sweep - 1)
        return stamped

    def _listed_next(self, agent_id: str) -> int:
        existing = self.files(agent_id)
        return int(existing[-1].stem) + 1 if existing else 1

    def prune(self, agent_id: str, keep: int | None = None, *, dry_run: bool = False) -> list[Path]:
        """Remove all but the newest `keep` checkpoints, and temp files a crash left behind.
        Returns what was (or, with `dry_run`, would be) removed."""
        keep = self.keep if keep is None else keep
        files = self.files(agent_id)
        doomed = files[: max(0, len(files) - keep)]
        with contextlib.suppress(OSError):
            doomed += [
                p
                for p in self.agent_dir(agent_id).iterdir()
                if p.name.endswith(".tmp") and time.time() - p.stat().st_mtime > 60
            ]
        if not dry_run:
            for path in doomed:
                with contextlib.suppress(OSError):
                    path.unlink()
        return doomed


def _explain(path: Path, exc: OSError, directory: Path) -> str:
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"{path}: cannot write the checkpoint: no space left on the device. Free some "
            "space (`axo gc` removes old runs); the previous checkpoint is kept."
        )
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return (
            f"{directory}: cannot write checkpoints: the directory is read-only "
            f"({exc.strerror}). Make it writable, or choose another --data-dir / AXO_DATA_DIR."
        )
    if code in (errno.ENOTDIR, errno.EEXIST):
        return f"{directory}: cannot write checkpoints: a file is in the way ({exc.strerror})."
    return f"{path}: cannot write the checkpoint: {exc.strerror or exc}"
