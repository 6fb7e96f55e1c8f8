"""A real `axo serve` process, started as a service manager starts it: no terminal (a new
session, stdin closed), on a free port, its log read as it is written (so a chatty log never
fills the pipe and blocks it). Tests observe it over its HTTP API."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.support.cli import axo_command, clean_env

URL = re.compile(r"listening on (http://\S+)")
T = TypeVar("T")


class ServeProcess:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, name="axo serve log", daemon=True)
        self._reader.start()
        self.url = self.wait_for(self._url, 60, "the start-up line")

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def _url(self) -> str | None:
        for line in list(self.lines):
            found = URL.search(line)
            if found:
                return found.group(1)
        return None

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.url}{path}", timeout=30)
        response.raise_for_status()
        return response.json()

    def wait_for(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:
        """Poll `probe` until it gives a value; fail naming `what`, with the log, if the
        process ends first or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            found = probe()
            if found is not None and found is not False:
                return found
            if self.process.poll() is not None:
                self._reader.join(5)
                raise AssertionError(f"axo serve ended waiting for {what}:\n{self.log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}:\n{self.log}")
            time.sleep(0.05)

    def exit_code(self, timeout: float = 30) -> int:
        """Wait for the process to end; its log is complete after this."""
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code


@contextmanager
def serve_process(project: Path, *args: str, **env: str) -> Iterator[ServeProcess]:
    """`axo serve --port 0` on the project at `project` (its axo.yaml) until the block ends
    (killed then if still running)."""
    process = subprocess.Popen(
        [*axo_command(), "--config", str(project), "serve", "--port", "0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(**env),
        start_new_session=True,  # no controlling terminal, as under systemd
    )
    try:
        yield ServeProcess(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)
        if process.stderr is not None:
            process.stderr.close()
