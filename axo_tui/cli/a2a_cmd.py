"""`axo a2a card URL`: a remote A2A agent's card, fetched and checked as a `provider: a2a`
agent's is at its first turn (the same errors, naming the URL)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from axo_tui.cli import output
from axo_tui.cli.framework import AxoTyper

a2a_app = AxoTyper(
    name="a2a",
    help="A2A: remote agents' cards (serving: `a2a: {expose: true}` under `axo serve`).",
    no_args_is_help=True,
)


def register(app: AxoTyper) -> None:
    app.add_typer(a2a_app)


@a2a_app.command("card")
def card(
    url: Annotated[
        str,
        typer.Argument(
            help="The agent's base URL (the card is at URL/.well-known/agent-card.json)."
        ),
    ],
    header: Annotated[
        list[str] | None,
        typer.Option("--header", "-H", help="A header to send, as `Name: value` (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the card as JSON.")] = False,
) -> None:
    """Fetch a remote A2A agent's card, check it, and show it."""
    import asyncio

    from axo_tui.core.a2a.peer import Peer, PeerError, card_summary

    headers = {}
    for item in header or []:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            output.error(f"--header {item!r} is not `Name: value`")
            raise typer.Exit(2)
        headers[name.strip()] = value.strip()

    async def fetch() -> dict[str, object]:
        peer = Peer("card", url, headers=headers, timeout_secs=15)
        try:
            return card_summary(await peer.card())
        finally:
            await peer.aclose()

    try:
        found = asyncio.run(fetch())
    except PeerError as exc:
        output.error(str(exc).replace("remote agent 'card' at ", ""))
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(found, indent=2))
        return
    output.print_line(f"{found.get('name')} {found.get('version', '')}".strip(), style="bold")
    if found.get("description"):
        output.print_line(str(found["description"]))
    capabilities = found.get("capabilities") or {}
    streaming = isinstance(capabilities, dict) and capabilities.get("streaming", False)
    output.print_line(f"streaming: {'yes' if streaming else 'no'}")
    for interface in found.get("supportedInterfaces") or []:  # type: ignore[attr-defined]
        output.print_line(
            f"  {interface.get('protocolBinding')} {interface.get('protocolVersion', '')}: "
            f"{interface.get('url')}"
        )
    schemes = found.get("securitySchemes") or {}
    output.print_line(f"auth: {', '.join(schemes) if schemes else 'none'}")  # type: ignore[arg-type]
    for skill in found.get("skills") or []:  # type: ignore[attr-defined]
        output.print_line(f"  skill {skill.get('id')}: {skill.get('description', '')}")
