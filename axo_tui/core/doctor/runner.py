"""Run every check concurrently inside one egress-audit window and collect the report.

The network checks start first (they spend their time waiting), the file and metadata checks
run on worker threads meanwhile, so the whole doctor takes about as long as the slowest
provider, capped by the network timeout. Rows come out in a fixed order, whatever order the
checks finish in. A check that raises becomes a `fail` row: the doctor never crashes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from axo_tui.core.config import Config, ProviderConfig, ProviderKind
from axo_tui.core.doctor import (
    a2a_peers,
    egress,
    embedded,
    environment,
    mcp_servers,
    otlp,
    project,
    providers,
)
from axo_tui.core.doctor.model import (
    CheckResult,
    DoctorOptions,
    DoctorReport,
    ExtraCheck,
    Status,
    fail,
)

Pending = Awaitable[Sequence[CheckResult]]


def run_doctor(options: DoctorOptions, *, extra_checks: Sequence[ExtraCheck] = ()) -> DoctorReport:
    """Run the doctor to completion (starts and closes its own event loop: asyncio's own,
    whatever loop policy the process installed, see `run_doctor_async`)."""
    with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
        return runner.run(run_doctor_async(options, extra_checks=extra_checks))


async def run_doctor_async(
    options: DoctorOptions, *, extra_checks: Sequence[ExtraCheck] = ()
) -> DoctorReport:
    """Run the doctor on the running loop, or, when that loop is not asyncio's own, on an
    asyncio loop of its own on a worker thread: the egress audit sees the sockets Python's
    `socket` module opens, and other loops (uvloop) open theirs in C, where it sees nothing.
    It would then report "no network connections" for checks that did connect."""
    if not isinstance(asyncio.get_running_loop(), asyncio.BaseEventLoop):
        return await asyncio.to_thread(run_doctor, options, extra_checks=extra_checks)
    return await _run_checks(options, extra_checks)


async def _run_checks(options: DoctorOptions, extra_checks: Sequence[ExtraCheck]) -> DoctorReport:
    started = time.perf_counter()
    allowed: list[egress.Endpoint] = []
    quiet_names: list[str] = []
    with egress.EgressAudit() as audit:
        loaded = await asyncio.to_thread(project.load_project, options.config, options.search_dir)
        config = loaded.config
        if config is not None:
            allowed = _endpoints(config)
            quiet_names = [config.server.host]
        pending: list[Pending] = []
        # The slow, waiting checks first, so their timeouts run while the rest works.
        if config is not None:
            pending += _provider_checks(config, options)
        pending += _machine_checks(config, broken=loaded.result.status is Status.FAIL)
        if config is not None:
            pending += _project_checks(config, options)
            pending.append(_guarded("mcp", mcp_servers.check_mcp_servers(config)))
            timeout = options.network_timeout
            pending.append(_guarded("a2a", a2a_peers.check_a2a_peers(config, timeout=timeout)))
            pending.append(_guarded(otlp.NAME, otlp.check_otlp(config, timeout=timeout)))
        pending += [_guarded("extra", check()) for check in extra_checks]
        groups = list(await asyncio.gather(*pending))
        if options.deep:
            # After the quick checks, and one at a time: numpy, chromadb and llama.cpp break
            # when first imported from several threads at once, and on a small machine the
            # engines would only fight over the same cores anyway.
            for deep_check in _deep_checks(config):
                groups.append(await deep_check)
    results = [loaded.result, *(result for group in groups for result in group)]
    results.append(egress.judge(audit, allowed, local_names=quiet_names))
    return DoctorReport(tuple(_in_order(results)), time.perf_counter() - started)


_ORDER = (
    "python",
    "packages",
    "config",
    "data_dir",
    "embedded_model",
    "embedder",
    "llama_cpp",
    "api_key:",
    "provider:",
    "server_port",
    "mcp:",
    "a2a:",
    "otlp",
    "deep:",
)


def _in_order(results: list[CheckResult]) -> list[CheckResult]:
    """Machine first, then project, providers, deep checks, anything else, and egress last."""

    def rank(result: CheckResult) -> int:
        if result.name == "egress":
            return len(_ORDER) + 1
        for index, prefix in enumerate(_ORDER):
            if result.name == prefix or (prefix.endswith(":") and result.name.startswith(prefix)):
                return index
        return len(_ORDER)

    return sorted(results, key=rank)  # stable: rows of one kind keep the config's order


def _machine_checks(config: Config | None, *, broken: bool) -> list[Pending]:
    """Python, packages and the embedded models.

    Args:
        config: the project's config, if it loaded.
        broken: the config exists but did not load, so what it needs is unknown.
    """
    uses = providers.used_providers(config) if config is not None else []
    local_uses = [u for u in uses if u.cfg.kind is ProviderKind.LOCAL]
    # With no project at all, the embedded model is what a new one runs on: required.
    no_project = config is None and not broken
    needs_embedded = no_project or any(u.required and not u.cfg.model_path for u in local_uses)
    needs_llama = no_project or any(u.required for u in local_uses)
    return [
        _thread("python", lambda: [environment.check_python()]),
        _thread("packages", lambda: [environment.check_packages()]),
        _thread("embedded_model", lambda: [embedded.check_embedded_model(required=needs_embedded)]),
        _thread("embedder", lambda: [embedded.check_embedder()]),
        _thread("llama_cpp", lambda: [environment.check_llama_cpp(required=needs_llama)]),
    ]


def _endpoints(config: Config) -> list[egress.Endpoint]:
    try:
        found = providers.endpoints(config) + mcp_servers.mcp_endpoints(config)
        return found + a2a_peers.a2a_endpoints(config) + otlp.otlp_endpoints(config)
    except Exception:  # e.g. httpx missing: the packages row reports that, and nothing connects
        return []


def _project_checks(config: Config, options: DoctorOptions) -> list[Pending]:
    data_dir = options.data_dir if options.data_dir is not None else config.state_dir
    return [
        _thread("data_dir", lambda: [project.check_data_dir(data_dir)]),
        _thread(
            "server_port", lambda: [project.check_port(config.server.host, config.server.port)]
        ),
    ]


def _provider_checks(config: Config, options: DoctorOptions) -> list[Pending]:
    pending: list[Pending] = []
    for use in providers.used_providers(config):
        pending.append(_guarded(f"provider:{use.cfg.name}", _one_provider(config, use, options)))
    return pending


async def _one_provider(
    config: Config, use: providers.ProviderUse, options: DoctorOptions
) -> list[CheckResult]:
    if use.cfg.kind is ProviderKind.LOCAL:
        return [embedded.check_local_provider(use.cfg, required=use.required)]
    key = providers.check_api_key(config, use)
    reach = await providers.check_provider(
        use, timeout=options.network_timeout, key_missing=key is not None and key.missing
    )
    return [reach] if key is None else [key.result, reach]


def _deep_checks(config: Config | None) -> list[Pending]:
    """Unstarted coroutines: the caller awaits them in turn."""
    uses = providers.used_providers(config) if config is not None else []
    models = {u.cfg.model_path: u.cfg for u in uses if u.cfg.kind is ProviderKind.LOCAL}
    if not models:
        models = {None: embedded.embedded_provider()}
    pending: list[Pending] = [_guarded("deep:model", _deep_model(cfg)) for cfg in models.values()]
    pending += [
        _thread("deep:embedder", lambda: [embedded.deep_embedder()]),
        _thread("deep:wasmtime", lambda: [embedded.deep_wasmtime()]),
        _thread("deep:chromadb", lambda: [embedded.deep_chromadb()]),
    ]
    return pending


async def _deep_model(cfg: ProviderConfig) -> list[CheckResult]:
    return [await embedded.deep_local_model(cfg)]


def _thread(name: str, check: Callable[[], list[CheckResult]]) -> Pending:
    """A blocking check on a worker thread (file reads, metadata, imports)."""
    return _guarded(name, asyncio.to_thread(check))


async def _guarded(name: str, pending: Awaitable[Sequence[CheckResult]]) -> list[CheckResult]:
    try:
        return list(await pending)
    except Exception as exc:
        return [_crashed(name, exc)]


def _crashed(name: str, exc: BaseException) -> CheckResult:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    summary = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return fail(
        name,
        f"the check itself failed ({summary})",
        "this is a bug in axo doctor; please report it with this message",
    )
