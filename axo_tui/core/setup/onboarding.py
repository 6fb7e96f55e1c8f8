"""What `axo onboard` knows without asking: which providers this machine can use, and how to
turn a project template into a config for the one the user picks.

Headless (no UI imports): the CLI asks the questions and writes the files; this module
detects, decides and renders text.

    detection = detect()                      # Ollama and its models, API keys, embedded model
    choice = make_choice("ollama", detection, model="llama3.2")
    text = configure_yaml(template_text, choice)
    config = validate_text(text, directory / "axo.yaml", choice)

Secrets: only the *names* of variables that are set are ever recorded. Configs reference a key
as `${OPENAI_API_KEY}`, so the key itself is never written to a file nor shown.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from axo_tui.core.base.errors import AxoError
from axo_tui.core.base.redact import redact_url

if TYPE_CHECKING:
    from axo_tui.core.config import Config

OLLAMA_HOST_ENV = "OLLAMA_HOST"
OLLAMA_DEFAULT_PORT = 11434
DETECT_TIMEOUT = 1.5
"""Seconds to wait for Ollama: a local server answers in milliseconds, and a wizard that
hangs on a dead host is worse than one that says "not running"."""
SUGGESTED_OLLAMA_MODEL = "llama3.2"

LOCAL = "local"
OLLAMA = "ollama"
SCRIPTED = "scripted"
"""The provider every shipped template starts with (canned replies, runs anywhere)."""


class OnboardingError(AxoError):
    """The choice cannot work as asked; `hint` says what to do instead."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


# -- what the machine offers -------------------------------------------------------------------


@dataclass(frozen=True)
class CloudProvider:
    """A hosted API axo can talk to, and the variables people keep its key in."""

    name: str
    kind: str
    label: str
    key_variables: tuple[str, ...]
    default_model: str
    base_url: str | None = None
    """None: the kind's own default endpoint."""


CLOUD_PROVIDERS: tuple[CloudProvider, ...] = (
    CloudProvider("openai", "openai", "OpenAI", ("OPENAI_API_KEY",), "gpt-4o-mini"),
    CloudProvider(
        "anthropic", "anthropic", "Anthropic", ("ANTHROPIC_API_KEY",), "claude-3-5-haiku-latest"
    ),
    CloudProvider(
        "gemini",
        "gemini",
        "Google Gemini",
        ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
        "gemini-2.0-flash",
    ),
    CloudProvider(
        "openrouter",
        "openai",
        "OpenRouter",
        ("OPENROUTER_API_KEY",),
        "openai/gpt-4o-mini",
        "https://openrouter.ai/api/v1",
    ),
    CloudProvider(
        "mistral",
        "openai",
        "Mistral",
        ("MISTRAL_API_KEY",),
        "mistral-small-latest",
        "https://api.mistral.ai/v1",
    ),
)
_CLOUD = {cloud.name: cloud for cloud in CLOUD_PROVIDERS}
PROVIDER_NAMES = (LOCAL, OLLAMA, *_CLOUD, SCRIPTED)


@dataclass(frozen=True)
class OllamaStatus:
    base_url: str
    reachable: bool
    models: tuple[str, ...] = ()
    error: str | None = None
    """Why it is not reachable, in one line."""


@dataclass(frozen=True)
class EmbeddedStatus:
    installed: bool
    """The GGUF is in place and llama-cpp-python is importable: `provider: local` runs."""
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class Detection:
    ollama: OllamaStatus
    api_keys: Mapping[str, str]
    """Cloud provider name -> the variable holding its key (never the key)."""
    embedded: EmbeddedStatus


def ollama_base_url(environ: Mapping[str, str] | None = None) -> str:
    """Where Ollama listens, read from `OLLAMA_HOST` the way the `ollama` CLI reads it.

    `OLLAMA_HOST` may be `host`, `host:port` or `scheme://host[:port]`; with no scheme the
    port defaults to 11434, with `http://` or `https://` to 80 or 443 (as Ollama does). A
    server bound to all interfaces (`0.0.0.0`, `::`) is reached on loopback.
    """
    env = os.environ if environ is None else environ
    raw = env.get(OLLAMA_HOST_ENV, "").strip().rstrip("/")
    if not raw:
        return f"http://127.0.0.1:{OLLAMA_DEFAULT_PORT}"
    scheme, sep, rest = raw.partition("://")
    default_port = {"http": 80, "https": 443}.get(scheme, OLLAMA_DEFAULT_PORT)
    if not sep:
        scheme, rest, default_port = "http", raw, OLLAMA_DEFAULT_PORT
    parts = urlsplit(f"{scheme}://{rest}")
    host = parts.hostname or "127.0.0.1"
    try:
        port = parts.port or default_port
    except ValueError:  # `host:abc`: Ollama falls back to its default port too
        port = default_port
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}{parts.path}"


async def detect_ollama(base_url: str, *, timeout: float = DETECT_TIMEOUT) -> OllamaStatus:
    """Ask the server at `base_url` for its models (`/api/tags`), once, without retries."""
    from axo_tui.core.config import ProviderConfig, ProviderKind
    from axo_tui.core.providers.base import ProviderError
    from axo_tui.core.providers.ollama import OllamaProvider

    cfg = ProviderConfig(
        name=OLLAMA, kind=ProviderKind.OLLAMA, base_url=base_url, timeout_secs=timeout
    )
    provider = OllamaProvider(cfg)
    try:
        models = await provider.list_models()
    except ProviderError as exc:
        return OllamaStatus(base_url, False, error=str(exc).removeprefix(f"{OLLAMA}: "))
    finally:
        await provider.aclose()
    return OllamaStatus(base_url, True, tuple(dict.fromkeys(models)))


def detect_api_keys(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Cloud provider name -> the first of its key variables that is set and not blank."""
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for cloud in CLOUD_PROVIDERS:
        for variable in cloud.key_variables:
            if env.get(variable, "").strip():
                found[cloud.name] = variable
                break
    return found


def detect_embedded() -> EmbeddedStatus:
    """Whether the embedded model can run, decided by the doctor's own checks (so the two
    never disagree): the GGUF is installed and llama-cpp-python can be imported."""
    from axo_tui.core.doctor.embedded import check_embedded_model
    from axo_tui.core.doctor.environment import check_llama_cpp
    from axo_tui.core.doctor.model import Status

    model = check_embedded_model(required=True)
    if model.status is not Status.OK:
        return EmbeddedStatus(False, model.message, model.fix)
    engine = check_llama_cpp(required=True)
    if engine.status is not Status.OK:
        return EmbeddedStatus(False, engine.message, engine.fix)
    return EmbeddedStatus(True, model.message)


def detect(
    environ: Mapping[str, str] | None = None,
    *,
    ollama_url: str | None = None,
    timeout: float = DETECT_TIMEOUT,
) -> Detection:
    """Everything at once. Starts its own event loop (call it from synchronous code)."""
    import asyncio

    url = ollama_url or ollama_base_url(environ)
    ollama = asyncio.run(detect_ollama(url, timeout=timeout))
    return Detection(ollama, detect_api_keys(environ), detect_embedded())


# -- the offer and the choice ------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """One line of the provider menu."""

    name: str
    label: str
    ready: bool
    """False: offered for completeness, but it will not run as things are (a note says why)."""


def offers(detection: Detection) -> list[Offer]:
    """What the menu shows: only what was detected, plus the two that need nothing."""
    embedded = detection.embedded
    found: list[Offer] = [
        Offer(
            LOCAL,
            "embedded model, offline, no keys"
            + ("" if embedded.installed else f" (not ready: {embedded.detail})"),
            embedded.installed,
        )
    ]
    ollama = detection.ollama
    if ollama.reachable:
        if ollama.models:
            shown = ", ".join(ollama.models[:3]) + (", ..." if len(ollama.models) > 3 else "")
            found.append(Offer(OLLAMA, f"Ollama at {redact_url(ollama.base_url)} ({shown})", True))
        else:
            found.append(
                Offer(
                    OLLAMA, f"Ollama at {redact_url(ollama.base_url)} (no models pulled yet)", False
                )
            )
    for cloud in CLOUD_PROVIDERS:
        variable = detection.api_keys.get(cloud.name)
        if variable is not None:
            found.append(Offer(cloud.name, f"{cloud.label} (key in ${variable})", True))
    found.append(Offer(SCRIPTED, "canned replies: a demo that needs no model", True))
    return found


def default_provider(detection: Detection) -> str:
    """The embedded model when it is installed (it always works offline), else Ollama with a
    model, else the scripted demo, which runs anywhere."""
    if detection.embedded.installed:
        return LOCAL
    if detection.ollama.models:
        return OLLAMA
    return SCRIPTED


@dataclass(frozen=True)
class ProviderChoice:
    """The provider a new project's agents will use, and how to declare it."""

    name: str
    kind: str
    model: str | None = None
    base_url: str | None = None
    key_variable: str | None = None
    """The variable `api_key` refers to, e.g. `OPENAI_API_KEY`."""
    notes: tuple[str, ...] = field(default=())
    """Warnings for the user: it will not run until they act (start Ollama, set a key)."""

    @property
    def summary(self) -> str:
        """`ollama (llama3.2 at http://127.0.0.1:11434)`: what a person needs to recognise it."""
        details = [
            d for d in (self.model, self.base_url and f"at {redact_url(self.base_url)}") if d
        ]
        return f"{self.name} ({' '.join(details)})" if details else self.name


def make_choice(
    name: str,
    detection: Detection,
    *,
    model: str | None = None,
    base_url: str | None = None,
) -> ProviderChoice:
    """Settle every detail of provider `name`, from the flags and what was detected.

    Raises:
        OnboardingError: unknown provider, an option that does not apply, or no model to use.
    """
    if name in (LOCAL, SCRIPTED):
        for flag, value in (("--model", model), ("--base-url", base_url)):
            if value:
                raise OnboardingError(
                    f"{flag} does not apply to the {name} provider",
                    f"drop {flag}, or choose ollama or a hosted provider",
                )
        notes: tuple[str, ...] = ()
        if name == LOCAL and not detection.embedded.installed:
            fix = detection.embedded.fix or "run ./scripts/setup.sh"
            notes = (f"the embedded model cannot run yet: {detection.embedded.detail}; {fix}",)
        return ProviderChoice(name, name, notes=notes)
    if name == OLLAMA:
        return _ollama_choice(detection.ollama, model, base_url)
    check_provider_name(name)
    return _cloud_choice(_CLOUD[name], detection, model, base_url)


def check_provider_name(name: str) -> None:
    """Raises OnboardingError, with a did-you-mean, unless `name` is a provider onboard knows."""
    if name in PROVIDER_NAMES:
        return
    import difflib

    close = difflib.get_close_matches(name, PROVIDER_NAMES, n=1)
    hint = f"did you mean `{close[0]}`? " if close else ""
    raise OnboardingError(
        f"unknown provider `{name}`", f"{hint}choose one of: {', '.join(PROVIDER_NAMES)}"
    )


def _ollama_choice(status: OllamaStatus, model: str | None, base_url: str | None) -> ProviderChoice:
    url = (base_url or status.base_url).rstrip("/")
    shown = redact_url(url)
    notes: list[str] = []
    if not status.reachable:
        notes.append(f"Ollama is not answering at {shown}: start it with `ollama serve`")
    if model is None:
        if not status.models:
            raise OnboardingError(
                f"no Ollama model to use: {'none pulled' if status.reachable else 'not running'}"
                f" at {shown}",
                f"`ollama pull {SUGGESTED_OLLAMA_MODEL}` (and `ollama serve`), or pass --model",
            )
        model = status.models[0]
    elif status.reachable and not _ollama_has(status.models, model):
        notes.append(f"Ollama at {shown} has no model `{model}`: `ollama pull {model}`")
    return ProviderChoice(OLLAMA, OLLAMA, model=model, base_url=url, notes=tuple(notes))


def _ollama_has(models: tuple[str, ...], model: str) -> bool:
    # `llama3.2` and `llama3.2:latest` are the same model to Ollama.
    def tagged(name: str) -> str:
        return name if ":" in name else f"{name}:latest"

    return tagged(model) in {tagged(m) for m in models}


def _cloud_choice(
    cloud: CloudProvider,
    detection: Detection,
    model: str | None,
    base_url: str | None,
) -> ProviderChoice:
    variable = detection.api_keys.get(cloud.name)
    notes: list[str] = []
    if variable is None and base_url is None:
        # The hosted API refuses every request without a key: reference the conventional
        # variable anyway, so setting it (shell or .env) is all that is left to do.
        variable = cloud.key_variables[0]
        notes.append(f"{variable} is not set: export it, or put it in the project's .env")
    # A custom endpoint (a proxy, LM Studio, vLLM) may need no key; reference one only if set.
    return ProviderChoice(
        cloud.name,
        cloud.kind,
        model=model or cloud.default_model,
        base_url=(base_url or cloud.base_url or "").rstrip("/") or None,
        key_variable=variable,
        notes=tuple(notes),
    )


def default_model(name: str, detection: Detection) -> str | None:
    """The model the wizard proposes for provider `name` (None: the provider takes none)."""
    if name == OLLAMA:
        return detection.ollama.models[0] if detection.ollama.models else None
    cloud = _CLOUD.get(name)
    return cloud.default_model if cloud is not None else None


# -- the files ---------------------------------------------------------------------------------

# The template's marked provider line, with or without a YAML anchor:
# `    provider: &provider local  # <- the one line to change: ...`. Agents that follow the
# anchor (`provider: *provider`) change with it.
_PROVIDER_LINE = re.compile(
    r"^(?P<lead>[ \t]*(?:-[ \t]+)?provider:[ \t]*(?:&[\w.-]+[ \t]+)?)(?P<current>[A-Za-z][\w.-]*)"
    r"(?P<rest>[ \t]*#[^\n]*the one line to change[^\n]*)$",
    re.MULTILINE,
)
_ANY_PROVIDER_LINE = re.compile(r"^[ \t]*(?:-[ \t]+)?provider:", re.MULTILINE)
_PROVIDERS_SECTION = re.compile(r"^providers:[ \t]*(?:#.*)?$", re.MULTILINE)


def configure_yaml(text: str, choice: ProviderChoice) -> str:
    """The template's `axo.yaml` with every agent switched to `choice`, and its settings.

    Edits the text rather than re-dumping parsed YAML, so the template's comments, anchors
    and layout (the teaching part of a starter project) survive.

    Raises:
        OnboardingError: the template has no marked `provider:` line to switch.
    """
    marked = _PROVIDER_LINE.search(text)
    if marked is None and _ANY_PROVIDER_LINE.search(text) is None:
        return text  # no agent runs on a provider (a template of WebAssembly agents)
    if marked is None:
        raise OnboardingError(
            "the template has no marked `provider:` line to switch",
            "create the project with `axo init`, then set the provider in axo.yaml by hand",
        )
    if marked.group("current") == choice.name:
        return text
    switched, _ = _PROVIDER_LINE.subn(rf"\g<lead>{choice.name}\g<rest>", text)
    # The template's own header names the provider it ships with; say what changed above it.
    switched = (
        f"# Set up by `axo onboard`: every agent uses the `{choice.name}` provider.\n" + switched
    )
    entry = _provider_entry(choice)
    if not entry:
        return switched
    block = "\n".join(entry)
    section = _PROVIDERS_SECTION.search(switched)
    if section is None:
        return switched.rstrip("\n") + f"\n\nproviders:\n{block}\n"
    at = section.end()
    return f"{switched[:at]}\n{block}{switched[at:]}"


def _provider_entry(choice: ProviderChoice) -> list[str]:
    """The `providers:` lines for `choice`; none when the kind's defaults are all it needs."""
    settings: list[str] = []
    if choice.kind != choice.name:
        settings.append(f"kind: {choice.kind}")
    if choice.base_url:
        # JSON strings are valid YAML double-quoted scalars: any URL stays one string.
        settings.append(f"base_url: {json.dumps(choice.base_url)}")
    if choice.key_variable:
        settings.append(f"api_key: ${{{choice.key_variable}}}  # from the environment or .env")
    if choice.model:
        settings.append(f"model: {json.dumps(choice.model)}")
    if not settings:
        return []
    return [
        "  # Chosen with `axo onboard`. Agents without a `model:` of their own use this one.",
        f"  {choice.name}:",
        *(f"    {line}" for line in settings),
    ]


_OTHER_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY")


def env_example(choice: ProviderChoice) -> str:
    """`.env.example`: the variables this project needs (names only, values left empty)."""
    lines = [
        "# Copy to .env (it stays out of git) and fill in what your providers need.",
        "# axo reads .env beside axo.yaml; the process environment wins over it.",
        "# Reference a variable in axo.yaml as ${NAME}, e.g. `api_key: ${OPENAI_API_KEY}`.",
        "",
    ]
    if choice.key_variable:
        lines += [
            f"# Needed by the `{choice.name}` provider (see axo.yaml):",
            f"{choice.key_variable}=",
            "",
        ]
    elif choice.name == OLLAMA:
        lines += ["# The `ollama` provider needs no key: axo.yaml has its base_url.", ""]
    else:
        lines += [f"# The `{choice.name}` provider needs nothing from here.", ""]
    others = [name for name in _OTHER_KEYS if name != choice.key_variable]
    lines += ["# For hosted providers you may add later:", *(f"# {name}=" for name in others)]
    return "\n".join(lines) + "\n"


def validate_text(
    text: str, path: Path, choice: ProviderChoice, *, environ: Mapping[str, str] | None = None
) -> Config:
    """Load `text` as the config at `path` and check every agent got `choice`.

    Raises:
        ConfigError: the config does not load (its problems name the file and line).
        OnboardingError: it loads, but an agent still uses another provider.
    """
    from axo_tui.core.config import load_config_text

    config = load_config_text(text, path, environ=environ)
    return _check_switched(config, choice)


def validate_project(
    path: Path, choice: ProviderChoice, *, environ: Mapping[str, str] | None = None
) -> Config:
    """`validate_text` for the file as written on disk (with its `.env`, if any)."""
    from axo_tui.core.config import load_config

    return _check_switched(load_config(path, environ=environ), choice)


def _check_switched(config: Config, choice: ProviderChoice) -> Config:
    from axo_tui.core.config.schema import AgentKind

    stray = [
        agent.id
        for agent in config.agents
        if agent.provider != choice.name and agent.kind is not AgentKind.WASM  # no provider
    ]
    if stray:
        raise OnboardingError(
            f"agent(s) {', '.join(stray)} in {config.path} do not use `{choice.name}`",
            f"set `provider: {choice.name}` on them in axo.yaml",
        )
    return config
