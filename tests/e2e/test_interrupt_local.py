"""Ctrl+C, or an exit, while the embedded model is generating: a clean exit, never a SIGSEGV.

Freeing the llama.cpp model, or letting the interpreter shut down, while a worker thread was
still inside llama.cpp crashed `axo workflow run --stream` in 4 of 4 tries. These tests start
real processes, let the model start writing, then interrupt them for real.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from tests.support.cli import axo_command, clean_env

REPO = Path(__file__).resolve().parents[2]
TRIES = 3
STORY = "Tell me a very long story about a lighthouse keeper and her cat, in detail."

try:
    import llama_cpp  # noqa: F401

    HAVE_LLAMA = True
except ImportError:  # pragma: no cover - setup.sh installs it
    HAVE_LLAMA = False

pytestmark = [
    pytest.mark.slow,  # each try loads the model and generates for a few seconds
    pytest.mark.timeout(600),
    pytest.mark.skipif(not HAVE_LLAMA, reason="llama_cpp is not importable; setup.sh builds it"),
]


class _Reader:
    """Collects a pipe's text on a thread; `wait_for` returns once the text holds a marker."""

    def __init__(self, pipe: object) -> None:
        self.text = ""
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: object) -> None:
        for chunk in iter(lambda: pipe.read1(4096), b""):  # type: ignore[attr-defined]
            with self._changed:
                self.text += chunk.decode("utf-8", errors="replace")
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, condition: object, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: condition(self.text), timeout)  # type: ignore[operator]

    def finish(self) -> str:
        self._thread.join(30)
        return self.text


def _generating(text: str) -> bool:
    """The greeter has streamed a few characters of its reply."""
    _, marker, after = text.partition("[greeter] ")
    return bool(marker) and len(after.strip()) >= 3


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "hello"
    # Without the example's own state, should a user have run it in this checkout.
    shutil.copytree(REPO / "examples" / "hello", project, ignore=shutil.ignore_patterns(".axo"))
    config = project / "axo.yaml"
    # Longer replies: the interrupt must land while tokens are still coming.
    config.write_text(config.read_text().replace("max_tokens: 256", "max_tokens: 1024"))
    return project


def test_ctrl_c_during_a_streamed_workflow_exits_cleanly_and_keeps_the_run(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path)
    env = clean_env(PYTHONUNBUFFERED="1")
    for attempt in range(TRIES):
        process = subprocess.Popen(
            [*axo_command(), "workflow", "run", "hello", "--stream", "-i", STORY],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = _Reader(process.stdout), _Reader(process.stderr)
        try:
            started = out.wait_for(_generating, 240)
            assert started, f"try {attempt}: no streamed text\n{out.text}\n{err.text}"
            process.send_signal(signal.SIGINT)
            code = process.wait(120)
        finally:
            if process.poll() is None:
                process.kill()
        stderr = err.finish()
        out.finish()
        # The readers saw end-of-file; close the pipes (warnings are errors in this suite).
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()
        assert code != -signal.SIGSEGV, f"try {attempt}: segfault\n{stderr}"
        assert code == 130, f"try {attempt}: exit {code}\n{stderr}"
        assert "interrupted" in stderr
        for crash in ("Traceback", "Fatal Python error", "Segmentation fault"):
            assert crash not in stderr, stderr
    listed = subprocess.run(
        [*axo_command(), "runs", "list", "--json"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    runs = json.loads(listed.stdout)
    assert [run["target"] for run in runs] == ["hello"] * TRIES
    assert all(run["input"] == STORY for run in runs)


SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from axo_tui.core.config.schema import ProviderConfig, ProviderKind
    from axo_tui.core.providers.base import ChatRequest, Message, TextDelta
    from axo_tui.core.providers.local import LocalProvider

    kept = []

    async def main():
        # Unhooked, the stream is never closed by asyncio.run: its worker thread is still
        # generating when the interpreter exits, as after a crash in the caller.
        sys.set_asyncgen_hooks(firstiter=None, finalizer=None)
        provider = LocalProvider(ProviderConfig(name="local", kind=ProviderKind.LOCAL))
        request = ChatRequest(model="", messages=(Message("user", sys.argv[1]),), max_tokens=2000)
        stream = provider.stream(request)
        kept.append(stream)
        while True:
            chunk = await anext(stream)
            if isinstance(chunk, TextDelta) and chunk.text.strip():
                print("generating", flush=True)
                return

    asyncio.run(main())
    sys.exit(0)
    """
)


def test_exiting_while_the_model_generates_does_not_crash(tmp_path: Path) -> None:
    # The exit hook alone must stop the worker before the model and the interpreter go.
    for attempt in range(TRIES):
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, STORY],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert "generating" in done.stdout, done.stderr
        assert done.returncode != -signal.SIGSEGV, f"try {attempt}: segfault\n{done.stderr}"
        assert done.returncode == 0, f"try {attempt}: exit {done.returncode}\n{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
