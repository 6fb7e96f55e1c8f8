"""WAT guests that call the `llm` or `tool` import once per message and keep what they got
in kv: the return code under "rc" (i32), the reply under "out", and the reason `last_error`
gives for a refusal under "err". `ask_guest` sends one a request and reads its kv back."""

from __future__ import annotations

import json
import struct
from typing import Any

from axo_tui.core.acl import AclMessage, Performative
from axo_tui.core.runtime.runtime import Runtime
from tests.core.wasm.guests import SEND, _data, module

OUT, CAP = 8192, 4096
IMPORTS = (
    SEND
    + '(import "axo" "llm" (func $llm (param i32 i32 i32 i32) (result i32)))'
    + '(import "axo" "tool" (func $tool (param i32 i32 i32 i32 i32 i32) (result i32)))'
    + '(import "axo" "last_error" (func $last_error (param i32 i32) (result i32)))'
    + '(import "axo" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))'
)


def asker(call: str, data: str, *, spin_after: bool = False, receiver: str = "user") -> bytes:
    """On every message: makes `call` (the wat of the llm or tool call), keeps its result
    under kv "rc" (i32), "out" (the reply) or "err" (`last_error`), then informs `receiver`
    `done` (`workflow` when it is a step of a run)."""
    spin = "(loop $l (br $l))" if spin_after else ""
    done = json.dumps({"performative": "inform", "receiver": receiver, "content": "done"})
    return module(
        f"""
 (func $fit (param $n i32) (result i32)
   (select (local.get $n) (i32.const {CAP}) (i32.lt_u (local.get $n) (i32.const {CAP}))))
 (func (export "handle_message") (param i32 i32) (result i32)
   (local $rc i32) (local $n i32)
   (local.set $rc {call})
   (i32.store (i32.const 4096) (local.get $rc))
   (drop (call $kv_set (i32.const 2048) (i32.const 2) (i32.const 4096) (i32.const 4)))
   (if (i32.ge_s (local.get $rc) (i32.const 0))
     (then (drop (call $kv_set (i32.const 2052) (i32.const 3) (i32.const {OUT})
                               (call $fit (local.get $rc)))))
     (else
       (local.set $n (call $last_error (i32.const {OUT}) (i32.const {CAP})))
       (if (i32.ge_s (local.get $n) (i32.const 0))
         (then (drop (call $kv_set (i32.const 2056) (i32.const 3) (i32.const {OUT})
                                   (call $fit (local.get $n))))))))
   {spin}
   (drop (call $send (i32.const 2100) (i32.const {len(done)})))
   (i32.const 0))""",
        imports=IMPORTS,
        data=data + _data(2048, "rc") + _data(2052, "out") + _data(2056, "err") + _data(2100, done),
    )


def llm_asker(prompt: str, **kwargs: Any) -> bytes:
    call = f"(call $llm (i32.const 16) (i32.const {len(prompt.encode())}) (i32.const {OUT}) (i32.const {CAP}))"
    return asker(call, _data(16, prompt), **kwargs)


def tool_asker(name: str, arguments: dict[str, Any], *, receiver: str = "user") -> bytes:
    args = json.dumps(arguments)
    call = (
        f"(call $tool (i32.const 16) (i32.const {len(name)}) (i32.const 1024) "
        f"(i32.const {len(args)}) (i32.const {OUT}) (i32.const {CAP}))"
    )
    return asker(call, _data(16, name) + _data(1024, args), receiver=receiver)


async def ask_guest(rt: Runtime, name: str = "asker") -> dict[str, Any]:
    """Send the guest `name` a request; once it answered, what it kept in kv."""
    assert rt.messaging is not None
    _, reply = await rt.messaging.send(
        AclMessage(Performative.REQUEST, "user", (name,), "go"), wait_secs=30
    )
    assert reply is not None and reply.performative is Performative.INFORM, reply
    kv = rt.messaging.host.kv
    rc = struct.unpack("<i", kv.get(name, b"rc") or b"\0\0\0\x80")[0]
    out, err = kv.get(name, b"out"), kv.get(name, b"err")
    return {"rc": rc, "out": out and out.decode(), "err": err and err.decode()}
