"""ping as a WebAssembly component (componentize-py, world `agent` of docs/wit/axo.wit).

Every 500 ms it sends a `request` "ping N" to the agent named pong and logs the answers.
N counts on across restarts and redeploys: it lives in the agent's kv state.
"""

import json

import wit_world
from wit_world.imports import host

PERIOD_MS = 500


class WitWorld(wit_world.WitWorld):
    def __init__(self) -> None:
        self.count = 0

    def init(self) -> None:
        saved = host.kv_get("count")
        self.count = int(saved) if saved else 0
        host.set_timer(PERIOD_MS, True)
        host.log(host.Level.INFO, f"ping is up: a ping to pong every {PERIOD_MS} ms")

    def handle_timer(self, id: int) -> None:
        self.count += 1
        host.kv_set("count", str(self.count).encode())
        host.log(host.Level.INFO, f"Sending ping {self.count} to pong")
        message = {"performative": "request", "receivers": ["pong"], "content": f"ping {self.count}"}
        host.send(json.dumps(message))

    def handle_message(self, message: str) -> None:
        received = json.loads(message)
        if received["performative"] == "inform":
            host.log(host.Level.INFO, f"Received {received.get('content')}")
        elif received["performative"] == "failure":
            host.log(host.Level.WARN, "pong did not answer (is it deployed?); pinging on")

    def stop(self) -> None:
        host.log(host.Level.INFO, "ping stops")
