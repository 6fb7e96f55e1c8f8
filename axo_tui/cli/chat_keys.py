"""Ctrl+C and Ctrl+D for `axo chat --plain`, as in `ollama run`.

Ctrl+C becomes an `asyncio.Event` instead of a KeyboardInterrupt, so a turn in flight can be
stopped and the chat go on; at the prompt it quits. Stdin is read on the event loop where the
loop can watch it (a terminal, a pipe): a thread blocked in `readline` would keep the process
alive after a Ctrl+C until the next Enter. End of input (Ctrl+D) reads as "".
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Iterator
from typing import TypeVar

T = TypeVar("T")


@contextlib.contextmanager
def ctrl_c_as_event() -> Iterator[asyncio.Event]:
    """An event set on each SIGINT while the block runs (where the loop can take signals;
    elsewhere SIGINT stays a KeyboardInterrupt)."""
    loop = asyncio.get_running_loop()
    pressed = asyncio.Event()
    try:
        loop.add_signal_handler(signal.SIGINT, pressed.set)
    except (NotImplementedError, RuntimeError, ValueError):  # Windows, not the main thread
        yield pressed
        return
    try:
        yield pressed
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def unless_pressed(awaitable: Awaitable[T], pressed: asyncio.Event) -> tuple[bool, T | None]:
    """Await `awaitable` unless Ctrl+C comes first: (False, its result), or (True, None)
    with the awaitable cancelled and the press consumed."""
    task = asyncio.ensure_future(awaitable)
    waiter = asyncio.ensure_future(pressed.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task.done():
        return False, task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    pressed.clear()
    return True, None


class StdinLines:
    """Lines of stdin, decoded; "" at the end of input."""

    def __init__(self) -> None:
        self._pending = b""
        self._encoding = getattr(sys.stdin, "encoding", None) or "utf-8"
        self._fd = self._watchable_fd()

    @staticmethod
    def _watchable_fd() -> int | None:
        """Stdin's descriptor if the loop can wait on it; regular files (never blocking
        anyway) and replaced streams are read with `readline` instead."""
        try:
            fd = sys.stdin.fileno()
        except (AttributeError, OSError, ValueError):
            return None
        loop = asyncio.get_running_loop()
        try:
            loop.add_reader(fd, lambda: None)
        except (OSError, ValueError, NotImplementedError):
            return None
        loop.remove_reader(fd)
        return fd

    async def readline(self) -> str:
        if self._fd is None:
            return await asyncio.to_thread(sys.stdin.readline)
        while b"\n" not in self._pending:
            chunk = await self._read(self._fd)
            if not chunk:
                line, self._pending = self._pending, b""
                return line.decode(self._encoding, errors="replace")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return (line + b"\n").decode(self._encoding, errors="replace")

    @staticmethod
    async def _read(fd: int) -> bytes:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[bytes] = loop.create_future()

        def read() -> None:
            if ready.done():
                return
            try:
                ready.set_result(os.read(fd, 65536))
            except OSError:  # a terminal gone (EIO): the end of input
                ready.set_result(b"")

        loop.add_reader(fd, read)
        try:
            return await ready
        finally:
            loop.remove_reader(fd)
