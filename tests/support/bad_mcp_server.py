"""A tiny MCP server over stdio that misbehaves on purpose, one way per mode.

Plain JSON-RPC lines (no SDK), so each fault is exactly the one named:
    good        behaves (tools `echo` and `big`), the control case
    garbage     writes non-JSON lines to stdout before and after answering
    exit        exits at once, before the handshake
    hang        never answers `initialize`
    huge        `echo` answers with a 10 MB text
    bad-schema  lists one tool whose inputSchema is not an object schema, and `echo`
    vanish      exits in the middle of a `tools/call`, without answering
"""

from __future__ import annotations

import json
import os
import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "good"

ECHO = {
    "name": "echo",
    "description": "Echo the text back.",
    "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
}


def send(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def answer(request_id: object, result: dict[str, object]) -> None:
    send({"jsonrpc": "2.0", "id": request_id, "result": result})


def tools() -> list[dict[str, object]]:
    if MODE == "bad-schema":
        return [{"name": "broken", "description": "bad", "inputSchema": "not a schema"}, ECHO]
    return [ECHO]


def call(request_id: object, params: dict[str, object]) -> None:
    if MODE == "vanish":
        os._exit(3)
    arguments = params.get("arguments") or {}
    text = str(arguments.get("text", "")) if isinstance(arguments, dict) else ""
    if MODE == "huge":
        text = "x" * (10 * 1024 * 1024)
    answer(request_id, {"content": [{"type": "text", "text": text}], "isError": False})


def main() -> None:
    if MODE == "exit":
        sys.exit(1)
    if MODE == "garbage":
        sys.stdout.write("this is not JSON-RPC\n{broken json\n")
        sys.stdout.flush()
    for line in sys.stdin:
        message = json.loads(line)
        method, request_id = message.get("method"), message.get("id")
        if method == "initialize":
            if MODE == "hang":
                time.sleep(3600)
            answer(
                request_id,
                {
                    "protocolVersion": message["params"]["protocolVersion"],
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": f"bad-{MODE}", "version": "0"},
                },
            )
        elif method == "tools/list":
            answer(request_id, {"tools": tools()})
        elif method == "tools/call":
            call(request_id, message.get("params") or {})
        elif method == "ping":
            answer(request_id, {})
        elif request_id is not None:
            send(
                {
                    "jsonrpc": "2.0",
                    "id": request_id,
                    "error": {"code": -32601, "message": f"no method {method}"},
                }
            )
        if MODE == "garbage":
            sys.stdout.write("more garbage\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
