"""A fresh machine: install axo as the README says, then run it with the network forbidden.

1. A new virtual environment in a temporary directory, filled by `scripts/setup.sh` (the very
   script `make dev` / `make test` run) through its `AXO_VENV` variable. This step may use
   the network: it is the install. pip's cache and setup.sh's llama.cpp wheel cache make every
   run after the first one quick.
2. Every `axo` command after that runs under a network guard: a `sitecustomize.py` on the
   child's PYTHONPATH installs an audit hook (PEP 578) that refuses any socket connection,
   datagram or name lookup beyond loopback, and logs the attempt. The test first proves the
   guard bites, then requires that no command ever tripped it. Where the machine allows it
   (`unshare -rn`), the commands also run in a network namespace with only loopback up, which
   takes the network away from native code too (llama.cpp, chromadb's core), where an audit
   hook cannot see.
3. `axo init` (the `hello` template, which uses the embedded `local` provider as it comes);
   `axo doctor` and `axo doctor --deep` pass; `axo workflow run hello`
   returns text the embedded model wrote.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "scripts" / "setup.sh"

pytestmark = [
    pytest.mark.slow,
    # The first run on a machine builds llama.cpp (~10 min on 2 cores); later runs take ~2 min.
    pytest.mark.timeout(3600),
]

GUARD_MESSAGE = "axo-test-network-guard"

GUARD_SOURCE = f'''
"""Installed by tests/e2e/test_fresh_machine.py: no network beyond loopback for this process."""
import ipaddress
import os
import shutil
import socket
import sys

_LOG = os.environ.get("AXO_TEST_GUARD_LOG")
_LOCAL_NAMES = {{"localhost", "localhost.localdomain", "ip6-localhost", ""}}


def _loopback(host):
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _literal(host):
    try:
        ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return True


def _refuse(what):
    message = "{GUARD_MESSAGE}: blocked " + what
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(f"{{os.getpid()}} {{' '.join(sys.argv)}}: {{message}}\\n")
    raise PermissionError(message)


def _guard(event, args):
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[1]
        if address is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        if not _loopback(address[0]):
            _refuse(f"{{event}} to {{address[0]}}:{{address[1]}}")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
        host = args[0]
        host = host.decode("ascii", "replace") if isinstance(host, bytes) else (host or "")
        if host.lower() not in _LOCAL_NAMES and not _literal(host):
            _refuse(f"lookup of {{host}}")


sys.addaudithook(_guard)
'''


def _step(capsys: pytest.CaptureFixture[str], label: str, seconds: float) -> None:
    # Timings go straight to the terminal: they are the point of watching this test.
    with capsys.disabled():
        print(f"\n[fresh machine] {label}: {seconds:.1f} s", flush=True)


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, float]]:
    """A new virtual environment with axo installed by scripts/setup.sh; (path, seconds)."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["AXO_VENV"] = str(venv)
    # The interpreter running the tests is one the project supports: build the venv from it.
    env["PYTHON"] = _base_python()
    started = time.perf_counter()
    result = subprocess.run(
        [str(SETUP)], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, f"setup.sh failed:\n{result.stdout}\n{result.stderr}"
    assert (venv / "bin" / "axo").is_file()
    yield venv, elapsed


def _base_python() -> str:
    """The system interpreter behind this virtual environment (a venv of a venv breaks pip)."""
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return str(base) if base.is_file() else "python3"


_NAMESPACE = ["unshare", "--user", "--map-root-user", "--net", "sh", "-c"]


def _network_namespace() -> list[str]:
    """A command prefix running its command in a new network namespace with loopback up.

    Empty where user namespaces are unavailable (some containers, hardened kernels): the audit
    hook guard still applies there.
    """
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return []
    probe = subprocess.run(
        [*_NAMESPACE, "ip link set lo up"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return []
    return [*_NAMESPACE, 'ip link set lo up && exec "$@"', "sh"]


class Offline:
    """Runs commands from the fresh venv with the network guard installed."""

    def __init__(self, venv: Path, workdir: Path) -> None:
        self.venv = venv
        guard_dir = workdir / "guard"
        guard_dir.mkdir()
        (guard_dir / "sitecustomize.py").write_text(GUARD_SOURCE)
        self.log = workdir / "guard.log"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("VIRTUAL_ENV", "PYTHON", "AXO_"))
            and key.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
        }
        self.env.update(
            PYTHONPATH=str(guard_dir),
            AXO_TEST_GUARD_LOG=str(self.log),
            PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            NO_COLOR="1",
        )
        self.prefix = _network_namespace()

    def run(self, *args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.prefix, *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def axo(self, *args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.venv / "bin" / "axo"), *args, cwd=cwd, timeout=timeout)

    def tripped(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


def test_fresh_install_runs_offline(
    fresh_venv: tuple[Path, float], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    venv, setup_seconds = fresh_venv
    _step(capsys, "scripts/setup.sh into a new venv", setup_seconds)
    offline = Offline(venv, tmp_path)
    python = str(venv / "bin" / "python")
    with capsys.disabled():
        isolation = "audit-hook guard" + (" + network namespace" if offline.prefix else "")
        print(f"[fresh machine] offline commands run under: {isolation}", flush=True)

    # The guard bites: a public address and a public name are refused in the child ...
    probe = offline.run(
        python,
        "-c",
        "import socket; socket.create_connection(('1.1.1.1', 443), timeout=3)",
        cwd=tmp_path,
    )
    assert probe.returncode != 0
    assert f"{GUARD_MESSAGE}: blocked socket.connect to 1.1.1.1:443" in probe.stderr
    probe = offline.run(
        python, "-c", "import socket; socket.getaddrinfo('pypi.org', 443)", cwd=tmp_path
    )
    assert f"{GUARD_MESSAGE}: blocked lookup of pypi.org" in probe.stderr
    # ... while loopback, which the tools may use among themselves, still works (inside the
    # child: a namespaced child has a loopback of its own).
    loopback = (
        "import socket\n"
        "server = socket.create_server(('127.0.0.1', 0))\n"
        "socket.create_connection(server.getsockname(), timeout=3).close()\n"
    )
    probe = offline.run(python, "-c", loopback, cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    assert len(offline.tripped()) == 2
    offline.log.unlink()

    # A new project from the hello template, which runs on the embedded model as it comes.
    started = time.perf_counter()
    result = offline.axo("init", "proj", "--template", "hello", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "proj"
    text = (project / "axo.yaml").read_text()
    assert "provider: &provider local" in text, "the hello template no longer uses `local`"
    _step(capsys, "axo init", time.perf_counter() - started)

    started = time.perf_counter()
    result = offline.axo("doctor", cwd=project)
    _step(capsys, "axo doctor", time.perf_counter() - started)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(offline.axo("doctor", "--json", cwd=project).stdout)
    status = {row["name"]: row for row in report["checks"]}
    for name in ("config", "embedded_model", "embedder", "llama_cpp", "provider:local"):
        assert status[name]["status"] == "ok", status[name]
    assert status["egress"]["message"] == "no network connections were made"

    started = time.perf_counter()
    result = offline.axo("doctor", "--deep", "--json", cwd=project, timeout=300)
    _step(capsys, "axo doctor --deep", time.perf_counter() - started)
    deep = {row["name"]: row for row in json.loads(result.stdout)["checks"]}
    for name in (
        "deep:embedded_model",
        "deep:embedder",
        "deep:wasmtime",
        "deep:chromadb",
        "egress",
    ):
        assert deep[name]["status"] == "ok", deep[name]
    assert result.returncode == 0, result.stdout + result.stderr

    started = time.perf_counter()
    result = offline.axo(
        "workflow",
        "run",
        "hello",
        "-i",
        "What is a lattice, in one sentence?",
        "--json",
        cwd=project,
        timeout=600,
    )
    _step(capsys, "axo workflow run hello (embedded model)", time.perf_counter() - started)
    assert result.returncode == 0, result.stdout + result.stderr
    run = json.loads(result.stdout)
    output = run["output"].strip()
    assert output, run
    assert "scripted" not in output and "Hello, and welcome" not in output, output
    assert run["usage"]["completion_tokens"] > 0
    with capsys.disabled():
        print(f"[fresh machine] the embedded model said: {output[:200]!r}", flush=True)

    # Nothing any command did reached for the network.
    assert offline.tripped() == []
