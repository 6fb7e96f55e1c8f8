"""A Python component for the host's tests (world `agent` of docs/wit/axo.wit).

A `request` "count" adds one to the kv key `n` and answers with an `inform` of the new value;
a `request` "raise" raises (an uncaught exception traps: the instance is poisoned); a
`request` "spin" loops forever (its deadline ends it).
"""

import json

import wit_world
from wit_world.imports import host


class WitWorld(wit_world.WitWorld):
    def init(self) -> None:
        host.log(host.Level.INFO, "counter is up")

    def handle_timer(self, id: int) -> None:
        pass

    def handle_message(self, message: str) -> None:
        received = json.loads(message)
        if received["content"] == "raise":
            raise RuntimeError("asked to raise")
        while received["content"] == "spin":
            pass
        saved = host.kv_get("n")
        n = (int(saved) if saved else 0) + 1
        host.kv_set("n", str(n).encode())
        reply = {"performative": "inform", "receivers": [received["sender"]], "content": n}
        host.send(json.dumps(reply))

    def stop(self) -> None:
        host.log(host.Level.INFO, "counter stops")
