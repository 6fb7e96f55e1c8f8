"""`axo deploy FILE.wasm --name N`, `axo undeploy N`, `axo send RECEIVER PERFORMATIVE CONTENT`.

Against a running `axo serve` (or `--remote`) these go through its HTTP API, so the live
agents change at once. With nothing serving the project, `deploy` checks the module here and
records it in the data directory (the next `axo dev` or `axo serve` starts it), and `send`
starts the project's runtime for the one exchange.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from axo_tui.cli import output
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import data_dir, load_project, with_runtime
from axo_tui.cli.remote import ApiClient, RemoteError, fail, remote_for, run_remote

if TYPE_CHECKING:
    from axo_tui.core.runtime.runtime import Runtime

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (shape: docs/cli.md).")]


def register(app: AxoTyper) -> None:
    app.command("deploy")(deploy)
    app.command("undeploy")(undeploy)
    app.command("send")(send)


def deploy(
    ctx: typer.Context,
    module: Annotated[Path, typer.Argument(metavar="FILE.wasm", help="The module to deploy.")],
    name: Annotated[str, typer.Option("--name", help="The agent's name.")],
    fuel: Annotated[int | None, typer.Option("--fuel", min=1, help="Fuel per message.")] = None,
    memory: Annotated[
        int | None, typer.Option("--memory", min=1, max=4096, help="Memory cap, MB.")
    ] = None,
    timeout: Annotated[
        int | None, typer.Option("--timeout", min=1, help="Deadline per message, ms.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Deploy a WebAssembly agent (ABI v1, docs/abi.md); an existing NAME is replaced in place
    (messages in flight finish on the old module, queued ones go to the new; its key-value
    state carries over)."""
    from axo_tui.core.wasm.limits import WasmLimits

    try:
        data = module.read_bytes()
    except OSError as exc:
        output.error(f"cannot read {module}: {exc.strerror or exc}")
        raise typer.Exit(1) from None
    defaults = WasmLimits()
    limits = WasmLimits(
        fuel=fuel or defaults.fuel,
        memory_mb=memory or defaults.memory_mb,
        timeout_ms=timeout or defaults.timeout_ms,
    )
    remote = remote_for(ctx, runtime_needed=True)
    if remote is not None:
        import base64

        from axo_tui.serve.http.host import MAX_MODULE_BASE64

        encoded = base64.b64encode(data).decode()
        if len(encoded) > MAX_MODULE_BASE64:
            output.error(
                f"{module} is {len(data) / 2**20:.1f} MiB: a deploy through the API takes at "
                f"most {MAX_MODULE_BASE64 * 3 // 4 // 2**20} MiB",
                hint="stop the server and deploy into the project directly",
            )
            raise typer.Exit(1)
        body = {"module_base64": encoded, "limits": limits.to_dict()}

        async def job(api: ApiClient) -> Any:
            return await api.call("PUT", f"/api/wasm/agents/{name}", body=body)

        try:
            result = run_remote(remote, job)
        except RemoteError as exc:
            fail(exc)
        _print_deployed(result, as_json, live=True)
        return
    result = _deploy_here(ctx, name, data, limits)
    _print_deployed(result, as_json, live=False)


def _deploy_here(ctx: typer.Context, name: str, data: bytes, limits: Any) -> dict[str, Any]:
    """Check the module as a deploy would (compile, imports, exports), then record it."""
    from axo_tui.core.wasm.abi import WasmDeployError
    from axo_tui.core.wasm.deployments import DeploymentStore
    from axo_tui.core.wasm.engine import WasmEngine

    config = load_project(ctx)
    wasm_dir = data_dir(ctx, config) / "wasm"
    if any(agent.id == name for agent in config.agents):
        output.error(f"'{name}' is an agent of axo.yaml", hint="deploy under another --name")
        raise typer.Exit(1)
    engine = WasmEngine(wasm_dir / "cache")
    try:
        compiled = engine.compile(data)
    except WasmDeployError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None
    store = DeploymentStore(wasm_dir)
    replaced = any(d.name == name for d, _ in store.load())
    store.save(name, compiled.sha256, data, limits)
    return {"name": name, "sha256": compiled.sha256, "replaced": replaced}


def _print_deployed(result: dict[str, Any], as_json: bool, *, live: bool) -> None:
    if as_json:
        print(json.dumps(result, indent=2))
        return
    verb = "replaced" if result["replaced"] else "deployed"
    where = "" if live else " (starts with the next `axo dev` or `axo serve`)"
    output.print_line(f"{result['name']}: {verb}, sha256 {result['sha256'][:12]}{where}")


def undeploy(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The WASM agent to stop.")],
) -> None:
    """Stop a deployed WASM agent (its queued messages get a `failure`); its key-value state
    is kept for a later deploy of the same name."""
    remote = remote_for(ctx, runtime_needed=True)
    if remote is not None:

        async def job(api: ApiClient) -> Any:
            return await api.call("POST", f"/api/wasm/agents/{name}/undeploy")

        try:
            run_remote(remote, job)
        except RemoteError as exc:
            fail(exc)
        output.print_line(f"{name}: undeployed")
        return
    from axo_tui.core.wasm.deployments import DeploymentStore

    config = load_project(ctx)
    store = DeploymentStore(data_dir(ctx, config) / "wasm")
    known = [d.name for d, _ in store.load()]
    if name not in known:
        output.error(
            f"no deployed WASM agent '{name}'", hint=f"deployed: {', '.join(known) or 'none'}"
        )
        raise typer.Exit(1)
    store.remove(name)
    output.print_line(f"{name}: undeployed")


def send(
    ctx: typer.Context,
    receiver: Annotated[str, typer.Argument(metavar="RECEIVER", help="The agent to send to.")],
    performative: Annotated[
        str, typer.Argument(metavar="PERFORMATIVE", help="request, inform, cfp, query-if, ...")
    ],
    content: Annotated[
        str, typer.Argument(metavar="CONTENT", help="Text, or JSON (an object, a number...).")
    ],
    wait: Annotated[
        float, typer.Option("--wait", min=0, max=300, help="Seconds to wait for a reply.")
    ] = 10.0,
    as_json: JsonOption = False,
) -> None:
    """Send one FIPA-ACL message as `user` and print the reply (docs/abi.md)."""
    from axo_tui.core.acl.message import Performative

    try:
        chosen = Performative(performative)
    except ValueError:
        known = ", ".join(p.value for p in Performative)
        output.error(f"'{performative}' is not a FIPA performative", hint=f"one of: {known}")
        raise typer.Exit(1) from None
    try:
        value: Any = json.loads(content)
    except ValueError:
        value = content
    remote = remote_for(ctx, runtime_needed=True)
    if remote is not None:
        body = {
            "receiver": receiver,
            "performative": chosen.value,
            "content": value,
            "wait_secs": wait,
        }

        async def job(api: ApiClient) -> Any:
            return await api.call("POST", "/api/messages", body=body, wait=True)

        try:
            result = run_remote(remote, job)
        except RemoteError as exc:
            fail(exc)
    else:

        async def action(rt: Runtime) -> dict[str, Any]:
            from axo_tui.core.acl.message import AclMessage
            from axo_tui.core.runtime.messaging import USER

            assert rt.messaging is not None
            message = AclMessage(chosen, USER, (receiver,), value)
            sent, reply = await rt.messaging.send(message, wait_secs=wait)
            return {"sent": sent.to_dict(), "reply": None if reply is None else reply.to_dict()}

        result = with_runtime(ctx, action)
    _print_exchange(result, as_json, wait)


def _print_exchange(result: dict[str, Any], as_json: bool, wait: float) -> None:
    if as_json:
        print(json.dumps(result, indent=2))
        return
    sent, reply = result["sent"], result["reply"]
    output.print_line(
        f"sent {sent['performative']} to {', '.join(sent['receivers'])} "
        f"(conversation {sent['conversation_id']})"
    )
    if reply is None:
        output.print_line(f"no reply within {wait:g} s", style="yellow")
        return
    style = "red" if reply["performative"] in ("failure", "refuse", "not-understood") else None
    output.print_line(
        f"{reply['sender']}: {reply['performative']} {json.dumps(reply['content'])}", style=style
    )
