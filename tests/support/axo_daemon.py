"""`axo serve` as a user runs it, a real process on a free port, and the `axo` CLI a user
types beside it (a subprocess in the project's folder): for the tests of one process owning
a project."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.cli import RESEARCH, axo_command, clean_env

URL = re.compile(r"listening on (http://\S+)")


@contextmanager
def axo_serve(
    project: Path, *args: str, words: tuple[str, ...] = ("serve",), **env: str
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`axo serve` (or other `words` for it, e.g. `server start`) on a free port."""
    process = subprocess.Popen(
        [*axo_command(), "--config", str(project), *words, "--port", "0", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=clean_env(**env),
    )
    assert process.stderr is not None
    with process:  # its pipe is closed at the end
        try:
            line = process.stderr.readline()
            found = URL.search(line)
            assert found, f"no start-up line: {line!r}"
            yield process, found.group(1)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(30)


@contextmanager
def serving(directory: Path, **env: str) -> Iterator[str]:
    with axo_serve(directory / "axo.yaml", **env) as (_process, url):
        yield url


def axo(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*axo_command(), *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def project(directory: Path, text: str = RESEARCH) -> Path:
    directory.mkdir(parents=True)
    (directory / "axo.yaml").write_text(text, encoding="utf-8")
    return directory


def run_owners(directory: Path) -> set[str]:
    with sqlite3.connect(directory / ".axo" / "axo.db") as db:
        return {row[0] for row in db.execute("SELECT owner FROM runs")}
