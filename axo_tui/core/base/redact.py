"""Credentials inside URLs, scrubbed from any text before it is shown or stored.

A `base_url` like `http://user:pass@host/v1` or `https://host/v1?api_key=...` carries a secret
that would otherwise travel into error messages, `axo doctor`, the journal, checkpoints and
logs. Provider errors, config errors and the doctor all pass their text through here, so the
rule lives in one place. Only the display changes: requests still use the configured URL.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#]*@")
"""`scheme://` then the userinfo up to the last `@` before the path: a password may hold `@`."""

_SECRET_PARAMS = (
    "api[_-]?key|apikey|key|access[_-]?token|token|auth|authorization|secret|client[_-]?secret"
    "|password|passwd|pass|sig|signature|x-goog-api-key"
)
_SECRET_QUERY = re.compile(rf"(?i)([?&;](?:{_SECRET_PARAMS})=)[^&#\s'\"<>]*")


def redact_secrets(text: str) -> str:
    """`text` with URL userinfo and secret-bearing query values replaced by `[redacted]`."""
    if "@" not in text and "=" not in text:
        return text  # the common case: nothing that could hold a credential
    text = _USERINFO.sub(rf"\1{REDACTED}@", text)
    return _SECRET_QUERY.sub(rf"\1{REDACTED}", text)


def redact_url(url: str | None) -> str:
    """A URL fit to show: its credentials (userinfo, `?api_key=`, `?key=`, ...) redacted."""
    return redact_secrets(url) if url else ""
