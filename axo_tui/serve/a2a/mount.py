"""Mounts each exposed target on `axo serve`'s app at `/a2a/<id>`:

- `GET /a2a/<id>/.well-known/agent-card.json`: its card (open, as discovery needs);
- `POST /a2a/<id>`: JSON-RPC (A2A 1.0, and 0.3 for requests without `A2A-Version: 1.0`);
- `/a2a/<id>/rest/...`: HTTP+JSON (`/message:send`, `/tasks/<task id>`, ...);
- `GET /a2a`: the exposed targets and their card URLs; `/.well-known/agent-card.json` is
  the card of the only target when exactly one is exposed.
Requests pass the app's Guard first: the bearer token, when one is set, as for the rest of
the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from a2a.server.request_handlers.response_helpers import agent_card_to_dict
from a2a.server.routes import create_jsonrpc_routes, create_rest_routes
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from axo_tui.serve.a2a.executor import RunExecutor
from axo_tui.serve.a2a.handler import TextOnlyRequestHandler
from axo_tui.serve.a2a.targets import CARD_PATH, PREFIX, Target, agent_card, exposed_targets
from axo_tui.serve.a2a.task_store import JournalTaskStore, TaskJournal
from axo_tui.serve.http.host import ServeHost


def mount(app: FastAPI, host: ServeHost) -> None:
    runtime = host.runtime
    targets = exposed_targets(runtime.config)
    if not targets:
        return
    journal = TaskJournal(runtime.state.journal_path)
    app.state.a2a_tasks = journal
    bearer = bool(host.settings.tokens)

    def card_endpoint(target: Target) -> Callable[[Request], Awaitable[Response]]:
        async def card(request: Request) -> Response:
            base = str(request.base_url).rstrip("/")
            found = agent_card(runtime.config, target, base, bearer=bearer)
            return JSONResponse(agent_card_to_dict(found))

        return card

    for target in targets:
        executor = RunExecutor(runtime, target, journal)
        store = JournalTaskStore(journal, f"{target.kind}:{target.id}", executor.reconcile)
        placeholder = agent_card(runtime.config, target, "http://127.0.0.1", bearer=bearer)
        handler = TextOnlyRequestHandler(executor, store, placeholder)
        app.router.routes.extend(
            create_jsonrpc_routes(handler, target.path, enable_v0_3_compat=True)
        )
        inner = Starlette(
            routes=[
                Route(CARD_PATH, card_endpoint(target), methods=["GET"]),
                *create_rest_routes(handler, enable_v0_3_compat=True, path_prefix="/rest"),
            ]
        )
        app.mount(target.path, inner)

    async def listing(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "agents": [
                    {
                        "id": t.id,
                        "kind": t.kind,
                        "url": base + t.path,
                        "card": base + t.path + CARD_PATH,
                    }
                    for t in targets
                ]
            }
        )

    app.router.routes.append(Route(PREFIX, listing, methods=["GET"]))
    if len(targets) == 1:
        app.router.routes.append(Route(CARD_PATH, card_endpoint(targets[0]), methods=["GET"]))
