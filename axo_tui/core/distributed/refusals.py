"""Why a NATS server did not take a connection, said in the project's terms: which setting it
refused (the token, the credentials, the user in the URL, the client certificate) or which
certificate could not be trusted, and the key to fix. Never the secret itself.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from axo_tui.core.config.nats_schema import NatsSettings
from axo_tui.core.distributed.creds import CredsError, load_creds

_CLIENT_CERT_REJECTED = ("UNKNOWN_CA", "BAD_CERTIFICATE", "CERTIFICATE_UNKNOWN", "DECRYPT_ERROR")
_NOT_TLS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG")
_CLOSED = ("connection lost", "unexpected eof", "eof occurred", "connection reset")


def refusal(url: str, failures: Sequence[BaseException], settings: NatsSettings) -> str:
    """What the server at `url` refused, from the exceptions of one connection attempt (the
    client reports some through its error callback, then raises another)."""
    for exc in failures:
        said = _said(url, exc, settings)
        if said is not None:
            return said
    for exc in failures:
        if isinstance(exc, ConnectionRefusedError | TimeoutError):
            return _plain(exc) or "no answer"
    for exc in failures:
        if _plain(exc).lower().startswith(_CLOSED) and _cert(settings) is not None:
            return (
                "closed the connection after the TLS handshake: it does not trust the client "
                f"certificate {_cert(settings)} (`lattice.nats.tls.cert`); give one signed by "
                "a CA the server's `tls.ca_file` names"
            )
    texts = [_plain(exc) for exc in failures if _plain(exc)]
    return texts[-1] if texts else "the connection failed"


def _said(url: str, exc: BaseException, settings: NatsSettings) -> str | None:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _untrusted(url, exc, settings)
    text = _plain(exc)
    if isinstance(exc, ssl.SSLError):
        upper = text.upper()
        if "CERTIFICATE_REQUIRED" in upper:
            return (
                "asks for a client certificate: set `lattice.nats.tls.cert` and `tls.key` "
                "(a certificate its CA signed, and its key)"
            )
        if any(code in upper for code in _CLIENT_CERT_REJECTED):
            return (
                f"refused the client certificate {_cert(settings)} (`lattice.nats.tls.cert`): "
                f"{_reason(exc)}; give one signed by a CA the server trusts"
            )
        if any(code in upper for code in _NOT_TLS):
            return (
                "does not speak TLS on that port (`lattice.nats.tls` is set): use the server's "
                "TLS port, or drop `tls`"
            )
    if "authorization violation" in text.lower() or type(exc).__name__ == "AuthorizationError":
        return _unauthorized(url, settings)
    if "secure connection" in text.lower() and "required" in text.lower():
        return "requires TLS: add `lattice.nats.tls` (its `ca`), or use a `tls://` URL"
    return None


def _untrusted(url: str, exc: ssl.SSLCertVerificationError, settings: NatsSettings) -> str:
    reason = exc.verify_message or _reason(exc)
    host = urlsplit(url).hostname or url
    if "mismatch" in reason.lower() or "not valid for" in reason.lower():
        return (
            f"showed a certificate that is not for `{host}` ({reason}): connect by a name or "
            "address the certificate lists"
        )
    ca = settings.tls.ca if settings.tls is not None else None
    if ca is not None:
        return (
            f"showed a certificate the CA {ca} (`lattice.nats.tls.ca`) did not sign "
            f"({reason}): give the CA that signed the server's certificate"
        )
    return (
        f"showed a certificate no CA of this system trusts ({reason}): set "
        "`lattice.nats.tls.ca` to the CA that signed it"
    )


def _unauthorized(url: str, settings: NatsSettings) -> str:
    parts = urlsplit(url)
    if settings.token:
        what = "the token (`lattice.nats.token`)"
    elif settings.credentials is not None:
        return (
            f"refused the credentials in {settings.credentials} (`lattice.nats.credentials`): "
            f"Authorization Violation; {_creds_hint(settings.credentials)}"
        )
    elif parts.username or parts.password:
        what = "the user and password in the server's URL"
    else:
        return (
            "requires credentials (Authorization Violation): set `lattice.nats.token` or "
            "`credentials`, or a user and password in the URL"
        )
    return f"refused {what}: Authorization Violation; give the one the server expects"


def _creds_hint(path: Path) -> str:
    """In operator mode a server takes a user only of an account its resolver knows."""
    try:
        account = load_creds(path).account
    except (CredsError, ImportError):
        account = ""
    of = f" {account}" if account else ""
    return (
        f"the server must know the user's account{of}: give creds of an account its operator "
        "signed and its resolver holds"
    )


def _cert(settings: NatsSettings) -> str | None:
    cert = settings.tls.cert if settings.tls is not None else None
    return str(cert) if cert is not None else None


def _reason(exc: ssl.SSLError) -> str:
    return str(exc.reason or exc).replace("_", " ").lower() if exc.reason else _plain(exc)


def _plain(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text).replace("nats: ", "").strip("'")
