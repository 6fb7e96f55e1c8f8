"""The owner lease: which process drives a run, and whether that process is still alive.

Each runtime holds a lease while it runs; the journal records the lease's owner id on the
runs it starts. A run still `running` whose owner is dead was cut by a crash (`resume`), and
`axo gc` tidies the lock files such owners left.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

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
