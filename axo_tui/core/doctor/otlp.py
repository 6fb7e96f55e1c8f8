"""`axo doctor`: does the OTLP collector in `observability.otlp_endpoint` answer?

One bounded POST of an empty export request (a valid OTLP/protobuf message with no spans)
to the collector's `/v1/traces`: a collector answers it 200 and records nothing. Tracing is
optional, so a silent collector is a `warn`: runs work, their spans are only dropped.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from axo_tui.core.base.redact import redact_url
from axo_tui.core.config import Config
from axo_tui.core.doctor.egress import Endpoint
from axo_tui.core.doctor.model import CheckResult, ok, warn
from axo_tui.core.telemetry.endpoints import otlp_traces_url

NAME = "otlp"
_FIX = "start the collector, or fix observability.otlp_endpoint in axo.yaml"


def otlp_endpoints(config: Config) -> list[Endpoint]:
    """The collector's host and port, where the doctor (and every traced run) may connect."""
    endpoint = config.observability.otlp_endpoint
    parts = urlsplit(endpoint or "")
    if not parts.hostname:
        return []
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return [Endpoint(parts.hostname.lower(), port, role="OTLP collector")]


async def check_otlp(config: Config, *, timeout: float) -> list[CheckResult]:
    """A row `otlp` when an endpoint is configured: it answered, or why not."""
    endpoint = config.observability.otlp_endpoint
    if not endpoint:
        return []
    import httpx

    url = otlp_traces_url(endpoint)
    shown = redact_url(url)
    if not otlp_endpoints(config):
        return [warn(NAME, f"observability.otlp_endpoint is not a URL: {shown}", _FIX)]
    try:
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            response = await client.post(
                url, content=b"", headers={"Content-Type": "application/x-protobuf"}
            )
    except httpx.TimeoutException:
        return [warn(NAME, f"OTLP collector {shown} did not answer within {timeout:g} s", _FIX)]
    except (httpx.HTTPError, OSError) as exc:
        reason = _reason(exc)
        return [warn(NAME, f"cannot reach OTLP collector {shown}: {reason}", _FIX)]
    if response.is_success:
        return [ok(NAME, f"OTLP collector {shown} answers (HTTP {response.status_code})")]
    return [
        warn(
            NAME,
            f"{shown} answered HTTP {response.status_code}: not an OTLP/HTTP collector",
            "point observability.otlp_endpoint at the collector's OTLP HTTP port "
            "(4318 by default), not its gRPC one",
        )
    ]


def _reason(exc: BaseException) -> str:
    """The OS's words for the deepest error behind `exc` (`connection refused`)."""
    current: BaseException | None = exc
    found = str(exc) or type(exc).__name__
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, OSError) and current.strerror:
            found = current.strerror
        current = current.__cause__ or current.__context__
    return found
