"""Numeric settings overridden from environment variables, shared by the runtime's policies."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, TypeVar

P = TypeVar("P")

log = logging.getLogger(__name__)


def apply_env_overrides(
    policy: P,
    env: Mapping[str, str],
    fields: Mapping[str, tuple[str, type[int] | type[float], float]],
) -> P:
    """`policy` (a frozen dataclass) with each `VAR -> (attribute, type, minimum)` that is set
    in `env` applied. A bad value is ignored with a warning: a typo in an environment
    variable must neither stop the runtime nor make it delete more than intended."""
    for name, (attr, kind, minimum) in fields.items():
        text = env.get(name)
        if text is None or not text.strip():
            continue
        try:
            value: Any = kind(text)
            if value < minimum:
                raise ValueError(f"must be at least {minimum:g}")
        except ValueError as exc:
            log.warning("ignoring %s=%r: %s", name, text, exc)
            continue
        policy = replace(policy, **{attr: value})  # type: ignore[type-var]
    return policy
