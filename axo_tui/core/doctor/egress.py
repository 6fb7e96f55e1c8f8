"""Proof that nothing phones home: record every network destination the process touches.

While an `EgressAudit` is active, a CPython audit hook (PEP 578) records each outgoing socket
connection, datagram and name lookup made anywhere in this process, by any thread or library,
not just by axo's own code. The doctor runs its checks inside one audit window and then judges
every destination against the configured providers.

Two details make the verdict exact:

- A connection names an IP address, while the config names hosts. During the window
  `socket.getaddrinfo` is wrapped to remember which names resolved to which addresses, so a
  connection to 104.18.x.y is recognised as api.openai.com when that is what was looked up.
  (Reading the answers afterwards would be wrong: round-robin DNS hands out other addresses.)
- Audit hooks cannot be removed, so one hook is installed per process, on first use, and does
  nothing unless a window is open. Native code that opens sockets without going through
  Python's `socket` module is invisible to it; tests/e2e/test_fresh_machine.py covers that
  side by running axo in a network namespace with only loopback.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from axo_tui.core.doctor.model import CheckResult, fail, ok

Action = Literal["connect", "send", "lookup"]


@dataclass(frozen=True)
class Destination:
    """Somewhere the process tried to reach."""

    action: Action
    host: str
    """An IP address for `connect` and `send`, a name (or address) for `lookup`."""
    port: int | None = None

    def __str__(self) -> str:
        where = _join_host_port(self.host, self.port) if self.port else self.host
        return f"looked up {where}" if self.action == "lookup" else f"{self.action} {where}"


@dataclass(frozen=True)
class Endpoint:
    """A place the config allows traffic to: a provider's host and port, or another
    configured destination, named by its `role` (the OTLP collector)."""

    host: str
    port: int
    role: str = field(default="", compare=False)
    """Empty for a provider (or MCP server); else what the egress row calls it."""

    def __str__(self) -> str:
        where = _join_host_port(self.host, self.port)
        return f"{self.role} {where}" if self.role else where


def _join_host_port(host: str, port: int | None) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class EgressAudit:
    """Use as `with EgressAudit() as audit:`; then `audit.destinations`, `audit.resolved`."""

    def __init__(self) -> None:
        self.destinations: list[Destination] = []
        self.resolved: dict[str, set[str]] = {}
        """Host name (lower case) -> the addresses it resolved to during the window."""
        self._original_getaddrinfo: Any = None

    def __enter__(self) -> EgressAudit:
        global _active
        _install_hook()
        with _lock:
            if _active is not None:
                raise RuntimeError("an egress audit is already running in this process")
            _active = self
        self._original_getaddrinfo = socket.getaddrinfo
        socket.getaddrinfo = self._recording_getaddrinfo
        return self

    def __exit__(self, *exc: object) -> None:
        global _active
        socket.getaddrinfo = self._original_getaddrinfo
        with _lock:
            _active = None

    def _recording_getaddrinfo(self, host: Any, *args: Any, **kwargs: Any) -> Any:
        results = self._original_getaddrinfo(host, *args, **kwargs)
        try:
            name = _text(host)
            if name:
                addresses = self.resolved.setdefault(name.lower(), set())
                for *_, sockaddr in results:
                    addresses.add(str(sockaddr[0]))
        except Exception:  # bookkeeping must never break the lookup it watches
            pass
        return results

    def record(self, destination: Destination) -> None:
        self.destinations.append(destination)  # list.append is atomic: no lock needed


_active: EgressAudit | None = None
_lock = threading.Lock()
_installed = False

_CONNECT_EVENTS = {"socket.connect": "connect", "socket.sendto": "send", "socket.sendmsg": "send"}
_LOOKUP_EVENTS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex")


def _install_hook() -> None:
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


def _hook(event: str, args: tuple[Any, ...]) -> None:
    # Runs for every audited event in the process (imports, opens, ...): bail out fast.
    audit = _active
    if audit is None or not event.startswith("socket."):
        return
    try:
        destination = _destination(event, args)
    except Exception:  # an audit hook must never break the operation it watches
        return
    if destination is not None:
        audit.record(destination)


def _destination(event: str, args: tuple[Any, ...]) -> Destination | None:
    action = _CONNECT_EVENTS.get(event)
    if action is not None:
        sock, address = args[0], args[1]
        # AF_UNIX paths and socket pairs are local IPC, not network traffic.
        if address is None or getattr(sock, "family", None) not in (
            socket.AF_INET,
            socket.AF_INET6,
        ):
            return None
        return Destination("send" if action == "send" else "connect", str(address[0]), address[1])
    if event in _LOOKUP_EVENTS:
        name = _text(args[0])
        return Destination("lookup", name) if name else None
    return None


def _text(host: Any) -> str:
    if isinstance(host, bytes):
        # Host names reach the resolver IDNA-encoded, which is plain ASCII.
        return host.decode("ascii", errors="replace")
    return host if isinstance(host, str) else ""


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
"""Names answered from /etc/hosts: looking them up sends nothing anywhere."""


def judge(
    audit: EgressAudit, allowed: Iterable[Endpoint], *, local_names: Iterable[str] = ()
) -> CheckResult:
    """`egress`: ok when every destination is an allowed endpoint, else fail naming the rest.

    Args:
        audit: a finished audit window.
        allowed: the configured providers' endpoints.
        local_names: further names whose lookup is not traffic (e.g. the server's own host).
    """
    endpoints = set(allowed)
    allowed_names = {e.host.lower() for e in endpoints}
    quiet_names = LOCAL_NAMES | {n.lower() for n in local_names}
    unexpected: list[str] = []
    reached: list[Endpoint] = []
    for destination in audit.destinations:
        if destination.action == "lookup":
            name = destination.host.lower().rstrip(".")
            if name in allowed_names or name in quiet_names or is_ip_literal(name):
                continue
            unexpected.append(str(destination))
            continue
        endpoint = _match(destination, endpoints, audit.resolved)
        if endpoint is None:
            unexpected.append(str(destination))
        else:
            reached.append(endpoint)
    if unexpected:
        listed = ", ".join(dict.fromkeys(unexpected))
        return fail(
            "egress",
            f"the checks reached beyond the configured providers: {listed}",
            "nothing but your providers should ever be contacted: report this as a bug "
            "(run with AXO_DEBUG=1 to see which check did it)",
        )
    if reached:
        # "providers" while only they were reached; else the roles name the others.
        what = "destinations" if any(e.role for e in reached) else "providers"
        listed = ", ".join(sorted({str(e) for e in reached}))
        return ok("egress", f"connected only to configured {what} ({listed})")
    return ok("egress", "no network connections were made")


def _match(
    destination: Destination, endpoints: set[Endpoint], resolved: dict[str, set[str]]
) -> Endpoint | None:
    address = destination.host.split("%")[0]  # drop an IPv6 zone id
    for endpoint in endpoints:
        if destination.port != endpoint.port:
            continue
        host = endpoint.host.lower()
        if address == host.strip("[]") or address in resolved.get(host, ()):
            return endpoint
    return None
