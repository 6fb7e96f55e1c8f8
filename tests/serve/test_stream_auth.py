"""`GET /ws` takes the token as a browser can send it (a subprotocol or a first message) or
as a header, never in the URL; web pages from other origins cannot open it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from tests.support.builders import agent
from tests.support.live_server import live_server

TOKEN = "s3cret"


async def first(ws: ClientConnection) -> dict[str, Any]:
    value = json.loads(await ws.recv())
    assert isinstance(value, dict)
    return value


async def closed_with(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_the_token_as_subprotocol_header_or_first_message(tmp_path: Path) -> None:
    async with live_server(tmp_path, [agent("a")], tokens=(TOKEN,)) as server:
        both = [Subprotocol("axo.v1"), Subprotocol(f"axo.bearer.{TOKEN}")]
        async with connect(server.ws, subprotocols=both) as ws:
            assert ws.subprotocol == "axo.v1"  # the token is not echoed when it need not be
            assert (await first(ws))["type"] == "subscribed"
        alone = [Subprotocol(f"axo.bearer.{TOKEN}")]
        async with connect(server.ws, subprotocols=alone) as ws:
            assert (await first(ws))["type"] == "subscribed"
        header = {"Authorization": f"Bearer {TOKEN}"}
        async with connect(server.ws, additional_headers=header) as ws:
            assert (await first(ws))["type"] == "subscribed"
        async with connect(server.ws) as ws:
            await ws.send(json.dumps({"type": "auth", "token": TOKEN}))
            assert (await first(ws))["type"] == "subscribed"


async def test_a_wrong_or_missing_token_is_refused_with_a_reason(tmp_path: Path) -> None:
    async with live_server(tmp_path, [agent("a")], tokens=(TOKEN,)) as server:
        async with connect(server.ws) as ws:
            await ws.send(json.dumps({"type": "auth", "token": "guess"}))
            assert await closed_with(ws) == (1008, "the token is wrong")
        wrong = [Subprotocol("axo.bearer.guess")]
        async with connect(server.ws, subprotocols=wrong) as ws:
            assert await closed_with(ws) == (1008, "the token is wrong")
        async with connect(server.ws) as ws:
            await ws.send(json.dumps({"type": "subscribe"}))
            code, reason = await closed_with(ws)
            assert code == 1008
            assert reason.startswith('authenticate first: send {"type": "auth"')


async def test_a_token_in_the_url_is_refused(tmp_path: Path) -> None:
    async with (
        live_server(tmp_path, [agent("a")], tokens=(TOKEN,)) as server,
        connect(f"{server.ws}?token={TOKEN}") as ws,
    ):
        code, reason = await closed_with(ws)
        assert code == 1008
        assert reason.startswith("never put the token in the URL")


async def test_only_loopback_and_listed_origins_may_open_it(tmp_path: Path) -> None:
    listed = "https://ui.example"
    async with live_server(tmp_path, [agent("a")], cors_origins=(listed,)) as server:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(server.ws, origin="https://evil.example"):  # type: ignore[arg-type]
                pass
        assert refused.value.response.status_code == 403
        for origin in ("http://localhost:5173", "http://127.0.0.1:8080", listed):
            async with connect(server.ws, origin=origin) as ws:  # type: ignore[arg-type]
                assert (await first(ws))["type"] == "subscribed"
