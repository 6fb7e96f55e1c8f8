"""The providers agents use: reachable, serving the models the config names, keys in place.

Each provider is asked for its model list once, with a short timeout and no retries: a
doctor that waits two minutes for a dead host (the runtime's patience) is no help. API keys
are only ever reported as set or not and where they come from; their text never appears in a
message, and anything a server echoes back is scrubbed of them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from axo_tui.core.base.redact import REDACTED, redact_secrets, redact_url
from axo_tui.core.config import Config, ProviderConfig, ProviderKind
from axo_tui.core.doctor.egress import Endpoint
from axo_tui.core.doctor.model import CheckResult, fail_or_warn, ok, warn

if TYPE_CHECKING:
    from axo_tui.core.providers.httpbase import HttpProvider

HTTP_KINDS = frozenset(
    {ProviderKind.OLLAMA, ProviderKind.OPENAI, ProviderKind.ANTHROPIC, ProviderKind.GEMINI}
)

CLOUD_KEY_VARS: dict[str, str] = {
    "api.openai.com": "OPENAI_API_KEY",
    "api.anthropic.com": "ANTHROPIC_API_KEY",
    "generativelanguage.googleapis.com": "GEMINI_API_KEY",
    "openrouter.ai": "OPENROUTER_API_KEY",
    "api.mistral.ai": "MISTRAL_API_KEY",
    "api.groq.com": "GROQ_API_KEY",
    "api.together.xyz": "TOGETHER_API_KEY",
    "api.deepseek.com": "DEEPSEEK_API_KEY",
    "api.fireworks.ai": "FIREWORKS_API_KEY",
    "api.x.ai": "XAI_API_KEY",
}
"""Hosted APIs that refuse every request without a key, and the variable people keep it in."""

_KIND_KEY_VARS = {
    ProviderKind.ANTHROPIC: "ANTHROPIC_API_KEY",
    ProviderKind.GEMINI: "GEMINI_API_KEY",
}
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class ProviderUse:
    """A provider the project depends on, and the models asked of it."""

    cfg: ProviderConfig
    required: bool
    """True when an agent names it; False when it is only someone's fallback."""
    models: tuple[str, ...]
    agents_without_model: tuple[str, ...] = ()


def used_providers(config: Config) -> list[ProviderUse]:
    """Providers agents name, then their fallbacks, in the order the config declares them."""
    by_name = {p.name: p for p in config.providers}
    required = {agent.provider for agent in config.agents}
    reachable = set(required)
    pending = list(required)
    while pending:
        cfg = by_name.get(pending.pop())
        if cfg is not None and cfg.fallback and cfg.fallback not in reachable:
            reachable.add(cfg.fallback)
            pending.append(cfg.fallback)
    uses: list[ProviderUse] = []
    for cfg in config.providers:
        if cfg.name not in reachable:
            continue
        models: dict[str, None] = {}
        without: list[str] = []
        for agent in config.agents:
            if agent.provider == cfg.name:
                model = agent.model or cfg.model
                if model:
                    models[model] = None
                else:
                    without.append(agent.id)
        if cfg.name not in required and cfg.model:
            models[cfg.model] = None
        uses.append(ProviderUse(cfg, cfg.name in required, tuple(models), tuple(without)))
    return uses


def base_url(cfg: ProviderConfig) -> str:
    """Where an HTTP provider's requests go: its `base_url`, else its kind's default."""
    if cfg.base_url:
        return cfg.base_url.rstrip("/")
    # The defaults live with the adapters; importing them costs httpx, which the checks of an
    # HTTP provider load anyway.
    if cfg.kind is ProviderKind.OLLAMA:
        from axo_tui.core.providers.ollama import DEFAULT_BASE_URL
    elif cfg.kind is ProviderKind.OPENAI:
        from axo_tui.core.providers.openai import DEFAULT_BASE_URL
    elif cfg.kind is ProviderKind.ANTHROPIC:
        from axo_tui.core.providers.anthropic import DEFAULT_BASE_URL
    elif cfg.kind is ProviderKind.GEMINI:
        from axo_tui.core.providers.gemini import DEFAULT_BASE_URL
    else:
        return ""
    return DEFAULT_BASE_URL


def endpoints(config: Config) -> list[Endpoint]:
    """Every configured HTTP provider's host and port: where the doctor may connect."""
    found: list[Endpoint] = []
    for cfg in config.providers:
        if cfg.kind not in HTTP_KINDS:
            continue
        parts = urlsplit(base_url(cfg))
        if parts.hostname:
            default_port = 443 if parts.scheme == "https" else 80
            found.append(Endpoint(parts.hostname.lower(), parts.port or default_port))
    return found


def _host(cfg: ProviderConfig) -> str:
    return (urlsplit(base_url(cfg)).hostname or "").lower()


def key_variable(cfg: ProviderConfig) -> str | None:
    """The conventional variable for this provider's key, or None if it needs no key."""
    if cfg.kind in _KIND_KEY_VARS:
        return _KIND_KEY_VARS[cfg.kind]
    if cfg.kind is ProviderKind.OPENAI:
        host = _host(cfg)
        for cloud, variable in CLOUD_KEY_VARS.items():
            if host == cloud or host.endswith("." + cloud):
                return variable
    return None


# -- API keys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyCheck:
    result: CheckResult
    missing: bool
    """No key at all: contacting the provider would only earn a 401."""


def check_api_key(config: Config, use: ProviderUse) -> KeyCheck | None:
    """`api_key:NAME` for a provider that needs a key; None for one that does not."""
    cfg = use.cfg
    variable = key_variable(cfg)
    if variable is None:
        return None
    name = f"api_key:{cfg.name}"
    raw = _raw_api_key(config.path, cfg.name)
    names = _VARIABLE.findall(raw) if raw else []
    env_file = config.project_dir / ".env"
    if not cfg.api_key:
        if names:
            what = f"`${{{names[0]}}}` in axo.yaml is not set"
            fix = f"export {names[0]}=... in your shell, or add `{names[0]}=...` to {env_file}"
        else:
            what = f"provider `{cfg.name}` has no api_key in axo.yaml"
            fix = (
                f"add `api_key: ${{{variable}}}` under providers.{cfg.name} in axo.yaml, then "
                f"`export {variable}=...` or put `{variable}=...` in {env_file}"
            )
        return KeyCheck(fail_or_warn(use.required, name, f"no API key: {what}", fix), True)
    return KeyCheck(_key_present(name, variable, names, env_file), False)


def _key_present(name: str, variable: str, names: list[str], env_file: Path) -> CheckResult:
    source = _key_source(names, env_file)
    if source is None:
        return warn(
            name,
            "API key set, written directly in axo.yaml (it ends up in backups and commits)",
            f"move it to {env_file} as `{variable}=...` and write `api_key: ${{{variable}}}`",
        )
    where, found = source
    if where == "environment":
        return ok(name, f"API key set (from environment variable {found})")
    mode = stat.S_IMODE(env_file.stat().st_mode)
    if mode & 0o077:
        return warn(
            name,
            f"API key set (from {found} in {env_file}), but that file is readable by others "
            f"(mode {mode:04o})",
            f"chmod 600 {env_file}",
        )
    return ok(name, f"API key set (from {found} in {env_file})")


def _key_source(names: list[str], env_file: Path) -> tuple[str, str] | None:
    """("environment" or "env-file", variable) the key came from; None if written in the YAML.

    The process environment wins over `.env`, as it does when the config is loaded.
    """
    for variable in names:
        if os.environ.get(variable):
            return "environment", variable
    if names and env_file.is_file():
        from axo_tui.core.config.envsubst import read_env_file

        values = read_env_file(env_file, os.environ)  # linear, unlike dotenv's expansion
        for variable in names:
            if values.get(variable):
                return "env-file", variable
    return None


def _raw_api_key(path: Path, provider: str) -> str | None:
    """The `api_key` text as written, before `${VAR}` substitution (None if absent)."""
    import yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    providers = document.get("providers") if isinstance(document, dict) else None
    settings = providers.get(provider) if isinstance(providers, dict) else None
    raw = settings.get("api_key") if isinstance(settings, dict) else None
    return raw if isinstance(raw, str) else None


# -- reachability ------------------------------------------------------------------------------


async def check_provider(use: ProviderUse, *, timeout: float, key_missing: bool) -> CheckResult:
    """`provider:NAME`: reachable, and serving every model the agents ask of it."""
    cfg = use.cfg
    name = f"provider:{cfg.name}"
    if cfg.kind is ProviderKind.SCRIPTED:
        return ok(name, "scripted replies (no model, no network)")
    if cfg.kind not in HTTP_KINDS:
        return ok(name, f"{cfg.kind.value} provider (nothing to contact)")
    url = redact_url(base_url(cfg))  # shown, never used: a `user:pass@` stays out of the report
    role = "" if use.required else " (fallback)"
    if key_missing:
        return warn(
            name, f"{url}{role} not contacted: it has no API key", f"see api_key:{cfg.name}"
        )
    if use.agents_without_model:
        agents = ", ".join(use.agents_without_model)
        return fail_or_warn(
            use.required,
            name,
            f"no model chosen for agent(s) {agents}",
            f"set `model:` on those agents or on providers.{cfg.name} in axo.yaml",
        )
    try:
        listed = await asyncio.wait_for(_list_models(cfg, timeout), timeout + 0.5)
    except TimeoutError:
        return fail_or_warn(
            use.required,
            name,
            f"{url}{role} did not answer within {timeout:g} s",
            _unreachable_fix(cfg),
        )
    except Exception as exc:
        message, fix = _explain_failure(cfg, exc, timeout)
        return fail_or_warn(use.required, name, _redact(message, cfg) + role, fix)
    return _compare_models(use, url + role, listed)


async def _list_models(cfg: ProviderConfig, timeout: float) -> list[str]:
    # No retries and a short timeout: the doctor reports the state now, it does not wait it out.
    quick = dataclasses.replace(cfg, timeout_secs=timeout, max_retries=0)
    provider = _adapter(quick)
    try:
        if cfg.kind is ProviderKind.OLLAMA or cfg.kind is ProviderKind.OPENAI:
            models: list[str] = await provider.list_models()  # type: ignore[attr-defined]
            return models
        from axo_tui.core.providers.httpbase import join_versioned

        if cfg.kind is ProviderKind.ANTHROPIC:
            # The listing pages at 20 by default; 1000 is its maximum page.
            url = join_versioned(provider.base_url, "v1", "models") + "?limit=1000"
            return _ids(await provider.request_json("GET", url), "data", "id")
        url = join_versioned(provider.base_url, "v1beta", "models") + "?pageSize=1000"
        names = _ids(await provider.request_json("GET", url), "models", "name")
        return [n.removeprefix("models/") for n in names]
    finally:
        await provider.aclose()


def _adapter(cfg: ProviderConfig) -> HttpProvider:
    if cfg.kind is ProviderKind.OLLAMA:
        from axo_tui.core.providers.ollama import OllamaProvider

        return OllamaProvider(cfg)
    if cfg.kind is ProviderKind.OPENAI:
        from axo_tui.core.providers.openai import OpenAIProvider

        return OpenAIProvider(cfg)
    if cfg.kind is ProviderKind.ANTHROPIC:
        from axo_tui.core.providers.anthropic import AnthropicProvider

        return AnthropicProvider(cfg)
    from axo_tui.core.providers.gemini import GeminiProvider

    return GeminiProvider(cfg)


def _ids(listing: Any, collection: str, key: str) -> list[str]:
    items = listing.get(collection, []) if isinstance(listing, dict) else []
    return [str(item[key]) for item in items if isinstance(item, dict) and key in item]


def _compare_models(use: ProviderUse, where: str, listed: list[str]) -> CheckResult:
    cfg = use.cfg
    name = f"provider:{cfg.name}"
    if cfg.kind is ProviderKind.OLLAMA:
        have = {_ollama_name(m) for m in listed}
        missing = [m for m in use.models if _ollama_name(m) not in have]
    else:
        have = {m.lower() for m in listed}
        missing = [m for m in use.models if m.lower() not in have]
    count = f"{len(listed)} model{'' if len(listed) == 1 else 's'} available"
    if not missing:
        wanted = ", ".join(use.models)
        return ok(name, f"{where}: {wanted} present ({count})" if wanted else f"{where}: {count}")
    shown = ", ".join(sorted(listed)[:5]) + (", ..." if len(listed) > 5 else "")
    offered = f" (it has: {shown})" if listed else " (it has no models)"
    missing_text = ", ".join(missing)
    if cfg.kind is ProviderKind.OLLAMA:
        return fail_or_warn(
            use.required,
            name,
            f"{where} is up but model {missing_text} is not pulled{offered}",
            " && ".join(f"ollama pull {m}" for m in missing),
        )
    if cfg.kind in (ProviderKind.ANTHROPIC, ProviderKind.GEMINI):
        # Their listings leave out aliases (`claude-sonnet-4-0`, `gemini-flash-latest`) that
        # the API accepts, so an unlisted name is only suspicious.
        return warn(
            name,
            f"{where} is up but does not list model {missing_text}{offered}",
            "if it is an alias this is fine; otherwise correct `model:` in axo.yaml",
        )
    return fail_or_warn(
        use.required,
        name,
        f"{where} is up but does not serve model {missing_text}{offered}",
        "set `model:` in axo.yaml to one of the ids it serves, or load that model on the server",
    )


def _ollama_name(model: str) -> str:
    """`llama3.2` and `llama3.2:latest` name the same Ollama model."""
    model = model.strip().lower()
    last = model.rsplit("/", 1)[-1]
    return model if ":" in last else f"{model}:latest"


def _explain_failure(cfg: ProviderConfig, exc: BaseException, timeout: float) -> tuple[str, str]:
    """(message, fix) for a failed listing, from the chain of exceptions behind it."""
    import httpx

    from axo_tui.core.providers.base import ProviderError

    url = redact_url(getattr(exc, "url", None) or base_url(cfg))
    status = exc.status if isinstance(exc, ProviderError) else None
    if isinstance(exc.__cause__, httpx.TimeoutException):
        return f"{url} did not answer within {timeout:g} s", _unreachable_fix(cfg)
    if status in (401, 403):
        variable = key_variable(cfg) or "the key's variable"
        return (
            f"{url} rejected the API key (HTTP {status})",
            f"check the key in {variable} (or providers.{cfg.name}.api_key) is valid and active",
        )
    if status == 404:
        return (
            f"{url} does not exist on that server (HTTP 404)",
            f"check providers.{cfg.name}.base_url in axo.yaml",
        )
    if status is not None:
        return (
            str(exc).removeprefix(f"{cfg.name}: "),
            "try again later; the server reported an error",
        )
    cause = _root_os_error(exc)
    if isinstance(cause, ConnectionRefusedError):
        return f"cannot connect to {url}: connection refused", _unreachable_fix(cfg)
    if cause is not None and type(cause).__name__ == "gaierror":
        return (
            f"cannot connect to {url}: host name not found ({cause.strerror or cause})",
            "check the host in base_url and your network / DNS",
        )
    if cause is not None:
        return f"cannot connect to {url}: {cause.strerror or cause}", _unreachable_fix(cfg)
    text = str(exc).removeprefix(f"{cfg.name}: ") or type(exc).__name__
    return text, _unreachable_fix(cfg)


def _root_os_error(exc: BaseException) -> OSError | None:
    found: OSError | None = None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            found = current
        current = current.__cause__ or current.__context__
    return found


def _unreachable_fix(cfg: ProviderConfig) -> str:
    if cfg.kind is ProviderKind.OLLAMA:
        return f"start Ollama (`ollama serve`), or fix providers.{cfg.name}.base_url in axo.yaml"
    if _host(cfg) in ("127.0.0.1", "localhost", "::1"):
        return f"start the server, or fix providers.{cfg.name}.base_url in axo.yaml"
    return f"check your network and providers.{cfg.name}.base_url in axo.yaml"


def _redact(text: str, cfg: ProviderConfig) -> str:
    """Scrub the key from text a server may have echoed it in, and credentials from URLs."""
    for secret in _secrets(cfg):
        text = text.replace(secret, REDACTED)
    return redact_secrets(text)


def _secrets(cfg: ProviderConfig) -> Iterable[str]:
    if cfg.api_key and len(cfg.api_key) >= 4:
        yield cfg.api_key
    password = urlsplit(cfg.base_url or "").password  # a server may echo it without the URL
    if password and len(password) >= 4:
        yield password
    for header, value in cfg.headers:
        if header.lower() in ("authorization", "x-api-key", "api-key") and len(value) >= 4:
            yield value
            yield value.removeprefix("Bearer ").strip()
