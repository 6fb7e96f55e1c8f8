"""Caxton's three-minute quick start, word for word with `axo` for `caxton`: start the server
(`axo server start`), deploy `examples/ping.wasm` and `examples/pong.wasm` (the C agents
`make examples` builds, compiled from source here), see them in `axo agents list`, follow
their logs and watch them exchange messages."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from tests.support.axo_daemon import axo_serve
from tests.support.cli import axo_command, clean_env
from tests.support.wasm_guests import GuestBuilds, session_builds


@pytest.fixture(scope="session")
def guest_builds(tmp_path_factory: pytest.TempPathFactory) -> GuestBuilds:
    return session_builds(tmp_path_factory)


def axo(cwd: Path, *words: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*axo_command(), *words],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


class Follower:
    """`axo logs ... --follow` as a process: its lines, waited on as they come."""

    def __init__(self, cwd: Path, *words: str) -> None:
        self.process = subprocess.Popen(
            [*axo_command(), *words],
            cwd=cwd,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_for(self, agent: str, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """The first line of `agent` matching `pattern` (a regular expression)."""

        def found() -> re.Match[str] | None:
            for line in self.lines:
                match = re.search(pattern, line)
                if match and re.search(rf"\b{agent}\b", line[: match.start()]):
                    return match
            return None

        with self._cond:
            assert self._cond.wait_for(lambda: found() is not None, timeout), self.lines
            match = found()
            assert match is not None
            return match

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(30)
        self._reader.join(30)  # it ends at the pipe's end
        assert self.process.stdout is not None
        self.process.stdout.close()


def test_deploy_ping_and_pong_then_follow_their_logs(
    tmp_path: Path, guest_builds: GuestBuilds
) -> None:
    project = tmp_path / "quickstart"
    (project / "examples").mkdir(parents=True)
    (project / "axo.yaml").write_text("name: quickstart\n", encoding="utf-8")
    for name in ("ping", "pong"):
        shutil.copy(guest_builds.agent("c", name), project / "examples" / f"{name}.wasm")

    # 1. Start the server
    with axo_serve(project / "axo.yaml", words=("server", "start")):
        # 2. Deploy agents that talk to each other
        for name in ("ping", "pong"):
            deployed = axo(project, "deploy", f"examples/{name}.wasm", "--name", name)
            assert deployed.returncode == 0, deployed.stderr
        listed = axo(project, "agents", "list")
        assert listed.returncode == 0, listed.stderr
        assert re.search(r"^ping\s+\(wasm, deployed, sha256 [0-9a-f]{12}\)", listed.stdout, re.M)
        assert re.search(r"^pong\s+\(wasm, deployed, sha256 [0-9a-f]{12}\)", listed.stdout, re.M)
        # 3. Watch them communicate
        follower = Follower(project, "logs", "--agents", "ping,pong", "--follow")
        try:
            # pong may come up after ping's first pings (they get failure replies): the first
            # ping pong answers is some N, and ping hears pong N back.
            answered = follower.wait_for("pong", r"Received ping (\d+), sending pong back")
            n = int(answered.group(1))
            follower.wait_for("ping", rf"Received pong {n}$")
            # ... forever: later pings are answered too.
            follower.wait_for("ping", rf"Sending ping {n + 2} to pong")
            follower.wait_for("ping", rf"Received pong {n + 2}$")
        finally:
            follower.stop()
