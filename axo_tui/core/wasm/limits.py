"""Per-agent limits: fuel, memory and wall-clock time for each handler call (docs/abi.md)."""

from __future__ import annotations

from dataclasses import dataclass

from axo_tui.core.base.errors import AxoError

MIB = 1 << 20


class LimitsError(AxoError):
    """A limit that is not a positive number."""


@dataclass(frozen=True)
class WasmLimits:
    fuel: int = 100_000_000
    """Fuel for one handler call (about one unit per wasm instruction)."""
    memory_mb: int = 64
    """The instance's linear memory cap, for its whole life."""
    timeout_ms: int = 100
    """Wall-clock deadline for one handler call, enforced by epoch interruption."""
    sends_per_call: int = 100
    """`send`s one handler call may make; further ones are refused (ERR_RATE_LIMITED)."""

    def __post_init__(self) -> None:
        for name in ("fuel", "memory_mb", "timeout_ms", "sends_per_call"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise LimitsError(f"limits.{name} must be a positive whole number, not {value!r}")

    def to_dict(self) -> dict[str, int]:
        return {
            "fuel": self.fuel,
            "memory_mb": self.memory_mb,
            "timeout_ms": self.timeout_ms,
            "sends_per_call": self.sends_per_call,
        }


@dataclass(frozen=True)
class RestartPolicy:
    failure_threshold: int = 3
    cooldown_secs: float = 60.0
    backoff_base_secs: float = 1.0
    backoff_cap_secs: float = 30.0

    def backoff(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        return min(self.backoff_cap_secs, self.backoff_base_secs * 2.0 ** (failures - 1))
