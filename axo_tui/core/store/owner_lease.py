"""The owner lease: which process drives a run, and whether that process is still alive.

Each runtime holds a lease while it runs; the journal records the lease's owner id on the
runs it starts. A run still `running` whose owner is dead was cut by a crash (`resume`), and
`axo gc` tidies the lock files such owners left.

A process that hosts the project (`axo serve`, `axo dev`) also announces it beside its lock
(`announce_host`): the CLI finds it (`find_host`) and talks to it over its API instead of
opening a second runtime on the same journal. The announcement is trusted only while the
lease is held, so a killed host's file is stale at once, whatever its pid became.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from axo_tui.core.base.atomic_files import atomic_write
from axo_tui.core.base.ids import new_id
from axo_tui.core.store.journal import JournalError
from axo_tui.core.store.private_files import private_dir


class OwnerLease:
    """This process's claim on the runs it starts: an exclusively locked file.

    The lock is released by the kernel when the process dies, however it dies, so "is the
    owner of this run alive?" is "can I lock its file?", with no pid reuse or clock to trust.
    """

    def __init__(self, owner: str, path: Path, fd: int | None) -> None:
        self.owner = owner
        self.path = path
        self._fd = fd

    @classmethod
    def acquire(cls, state_dir: Path) -> OwnerLease:
        owner = new_id()
        directory = state_dir / "owners"
        path = directory / f"{owner}.lock"
        try:
            private_dir(directory)
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        except OSError as exc:
            raise JournalError(
                f"{directory}: cannot create this process's lock file ({exc.strerror or exc}); "
                "make the data directory writable or choose another --data-dir"
            ) from exc
        if sys.platform != "win32":
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"{os.getpid()}\n".encode())
        return cls(owner, path, fd)

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            _host_file(self.path.parent.parent, self.owner).unlink()  # before the lock goes
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None


def owner_alive(state_dir: Path, owner: str | None) -> bool:
    """Whether the process that owns a run still runs. Unknown owners are dead."""
    if owner is None or sys.platform == "win32":
        return False
    import fcntl

    path = state_dir / "owners" / f"{owner}.lock"
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False  # no lock file: the owner released it, or it never existed
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True  # somebody holds it: the owner is alive (perhaps this very process)
    else:
        with contextlib.suppress(OSError):
            path.unlink()  # a dead owner's file: tidy it away
        return False
    finally:
        os.close(fd)


HOST_SUFFIX = ".host.json"


@dataclass(frozen=True)
class ProjectHost:
    """The process hosting a project, as it announced itself."""

    owner: str
    pid: int
    holder: str
    """What it is, in the words a user typed: `axo serve`, `axo dev`, `axo dev --serve`."""
    url: str | None
    """Where its HTTP API answers on this machine; None: it does not serve one."""
    since: float


def _host_file(state_dir: Path, owner: str) -> Path:
    return state_dir / "owners" / f"{owner}{HOST_SUFFIX}"


def announce_host(state_dir: Path, owner: str, holder: str, url: str | None = None) -> None:
    """Say that the process holding lease `owner` hosts the project (and serves its API at
    `url`). Private (0600) like the rest of the data directory; removed with the lease."""
    record = {"owner": owner, "pid": os.getpid(), "holder": holder, "url": url}
    record["since"] = round(time.time(), 3)
    try:
        atomic_write(
            _host_file(state_dir, owner), json.dumps(record).encode(), sync_directory=False
        )
    except OSError as exc:
        raise JournalError(
            f"{state_dir / 'owners'}: cannot record that this process hosts the project "
            f"({exc.strerror or exc}); make the data directory writable"
        ) from exc


def find_host(state_dir: Path) -> ProjectHost | None:
    """The live process hosting the project in `state_dir`, if any (a serving one first).
    Announcements of dead processes are removed on the way."""
    found: list[ProjectHost] = []
    with contextlib.suppress(OSError):
        for path in sorted((state_dir / "owners").glob(f"*{HOST_SUFFIX}")):
            owner = path.name.removesuffix(HOST_SUFFIX)
            if not owner_alive(state_dir, owner):
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            host = _read_host(path, owner)
            if host is not None:
                found.append(host)
    found.sort(key=lambda host: (host.url is None, -host.since))
    return found[0] if found else None


def _read_host(path: Path, owner: str) -> ProjectHost | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        url = data.get("url")
        return ProjectHost(
            owner=owner,
            pid=int(data["pid"]),
            holder=str(data["holder"]),
            url=str(url) if url else None,
            since=float(data.get("since", 0.0)),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # being replaced this very moment, or not ours to understand
