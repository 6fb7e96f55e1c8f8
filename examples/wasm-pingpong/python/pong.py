"""pong as a WebAssembly component (componentize-py, world `agent` of docs/wit/axo.wit).

It answers every `request` "ping N" with an `inform` "pong N" to its sender.
"""

import json

import wit_world
from wit_world.imports import host


class WitWorld(wit_world.WitWorld):
    def init(self) -> None:
        pass

    def handle_timer(self, id: int) -> None:
        pass

    def handle_message(self, message: str) -> None:
        received = json.loads(message)
        if received["performative"] != "request":
            return
        content = str(received.get("content", "ping"))
        host.log(host.Level.INFO, f"Received {content}, sending pong back")
        reply = {
            "performative": "inform",
            "receivers": [received["sender"]],
            "content": "pong" + content.removeprefix("ping"),
            "in_reply_to": received.get("reply_with"),
        }
        host.send(json.dumps(reply))

    def stop(self) -> None:
        pass
