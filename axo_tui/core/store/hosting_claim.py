"""The claim to host a project with an API: one `axo serve` (or `axo dev --serve`) at a
time. The host announces itself with `owner_lease.announce_host`; this lock makes "is the
project hosted?" and "then I host it" one step for processes starting at the same moment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from axo_tui.core.store.journal import JournalError
from axo_tui.core.store.private_files import private_dir


class HostingClaim:
    """The right to host a project with an API (`axo serve`, `axo dev --serve`): an
    exclusive lock on `owners/hosting.claim`, held until `release` or the process ends.
    Taken before the `find_host` check, it makes that check and the start that follows one
    step: two hosts started at the same moment cannot both pass."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    @classmethod
    def take(cls, state_dir: Path) -> HostingClaim | None:
        """The claim, or None while another process holds it. Not named `*.lock`: `axo gc`
        tidies those, and must not remove this file under a process about to lock it."""
        if sys.platform == "win32":
            return cls(None)
        import fcntl

        directory = state_dir / "owners"
        try:
            private_dir(directory)
            fd = os.open(directory / "hosting.claim", os.O_CREAT | os.O_RDWR, 0o600)
        except OSError as exc:
            raise JournalError(
                f"{directory}: cannot create the hosting claim ({exc.strerror or exc}); "
                "make the data directory writable or choose another --data-dir"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        return cls(fd)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
