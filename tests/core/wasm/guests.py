"""WAT guests for the WASM tests and benchmark, compiled with wasmtime's `wat2wasm`.

Each guest has ABI v1's exports; `alloc` always hands out the same buffer at HEAP (messages
are handled one at a time), growing memory when a message is larger than what is there.
"""

from __future__ import annotations

import json
from typing import Any

import wasmtime

HEAP = 65536

_ALLOC = f"""
 (func (export "alloc") (param $n i32) (result i32)
   (local $need i32)
   (local.set $need (i32.add (i32.const {HEAP}) (local.get $n)))
   (if (i32.gt_u (local.get $need) (i32.mul (memory.size) (i32.const 65536)))
     (then (if (i32.lt_s (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $need)
                 (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1)))
               (i32.const 0))
             (then (return (i32.const 0))))))
   (i32.const {HEAP}))
"""


def _data(offset: int, text: str) -> str:
    escaped = "".join(f"\\{b:02x}" for b in text.encode())
    return f'(data (i32.const {offset}) "{escaped}")'


def module(body: str, *, imports: str = "", data: str = "", pages: int = 2) -> bytes:
    wat = f"""(module
 {imports}
 (memory (export "memory") {pages})
 {data}
 {_ALLOC}
 {body})"""
    return wasmtime.wat2wasm(wat)


SEND = '(import "axo" "send" (func $send (param i32 i32) (result i32)))'
LOG = '(import "axo" "log" (func $log (param i32 i32 i32)))'


def replier(message: dict[str, Any], *, count: int = 1) -> bytes:
    """Sends `message` `count` times for every message it gets (ping, pong, echo)."""
    text = json.dumps(message)
    return module(
        f"""
 (func (export "handle_message") (param i32 i32) (result i32)
   (local $i i32)
   (block $done (loop $again
     (br_if $done (i32.ge_u (local.get $i) (i32.const {count})))
     (drop (call $send (i32.const 16) (i32.const {len(text.encode())})))
     (local.set $i (i32.add (local.get $i) (i32.const 1)))
     (br $again)))
   (i32.const 0))""",
        imports=SEND,
        data=_data(16, text),
    )


def silent() -> bytes:
    """Handles every message by doing nothing."""
    return module('(func (export "handle_message") (param i32 i32) (result i32) (i32.const 0))')


def counter(receiver: str) -> bytes:
    """Keeps a 4-byte count under kv key "n", adds one per message, logs, informs `receiver`."""
    note = json.dumps({"performative": "inform", "receiver": receiver, "content": "counted"})
    return module(
        f"""
 (func (export "handle_message") (param i32 i32) (result i32)
   (if (i32.ne (call $kv_get (i32.const 8) (i32.const 1) (i32.const 0) (i32.const 4))
               (i32.const 4))
     (then (i32.store (i32.const 0) (i32.const 0))))
   (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
   (drop (call $kv_set (i32.const 8) (i32.const 1) (i32.const 0) (i32.const 4)))
   (call $log (i32.const 1) (i32.const 12) (i32.const 7))
   (drop (call $send (i32.const 64) (i32.const {len(note)})))
   (i32.const 0))""",
        imports=SEND
        + LOG
        + '(import "axo" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))'
        + '(import "axo" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))',
        data=_data(8, "n") + _data(12, "counted") + _data(64, note),
    )


def hostile(kind: str) -> bytes:
    """Guests that misbehave in one way each (see tests/core/wasm/test_hostile.py)."""
    bodies = {
        "loop": "(loop $l (br $l)) (i32.const 0)",
        "trap": "unreachable",
        "stack": "(call $recurse (i32.const 0))",
        "memory": "(loop $l (drop (memory.grow (i32.const 16))) (br $l)) (i32.const 0)",
        "send-loop": "(loop $l (drop (call $send (i32.const 16) (i32.const {n}))) (br $l)) "
        "(i32.const 0)",
        "huge-send": "(call $send (i32.const 0) (i32.const 0x7fffffff))",
        "huge-log": "(call $log (i32.const 1) (i32.const 0) (i32.const 0x7fffff00)) (i32.const 0)",
        "fails": "(i32.const 7)",
    }
    note = json.dumps({"performative": "inform", "receiver": "probe", "content": "spam"})
    body = bodies[kind].replace("{n}", str(len(note)))
    return module(
        f"""
 (func $recurse (param i32) (result i32)
   (call $recurse (i32.add (local.get 0) (i32.const 1))))
 (func (export "handle_message") (param i32 i32) (result i32) {body})""",
        imports=SEND + LOG,
        data=_data(16, note),
    )


def importing(module_name: str, name: str) -> bytes:
    return module(
        '(func (export "handle_message") (param i32 i32) (result i32) (i32.const 0))',
        imports=f'(import "{module_name}" "{name}" (func (param i32)))',
    )


def caxton_echo(receiver: str) -> bytes:
    """Written against Caxton's host functions: logs, stores, loads and sends."""
    note = json.dumps({"performative": "inform", "receiver": receiver, "content": "caxton"})
    return module(
        f"""
 (func (export "handle_message") (param i32 i32) (result i32)
   (call $console_log (i32.const 16) (i32.const 6))
   (drop (call $store_data (i32.const 16) (i32.const 6) (i32.const 16) (i32.const 6)))
   (drop (call $load_data (i32.const 16) (i32.const 6) (i32.const 32) (i32.const 6)))
   (drop (call $now))
   (drop (call $send_message (i32.const 64) (i32.const {len(note)})))
   (i32.const 0))""",
        imports='(import "caxton" "send_message" (func $send_message (param i32 i32) (result i32)))'
        '(import "caxton" "console_log" (func $console_log (param i32 i32)))'
        '(import "caxton" "store_data" (func $store_data (param i32 i32 i32 i32) (result i32)))'
        '(import "caxton" "load_data" (func $load_data (param i32 i32 i32 i32) (result i32)))'
        '(import "caxton" "current_timestamp" (func $now (result i64)))',
        data=_data(16, "caxton") + _data(64, note),
    )


def slow_replier(message: dict[str, Any], spins: int) -> bytes:
    """Logs "start", spins `spins` times, then sends `message` (a message in flight)."""
    text = json.dumps(message)
    return module(
        f"""
 (func (export "handle_message") (param i32 i32) (result i32)
   (local $i i32)
   (call $log (i32.const 1) (i32.const 8) (i32.const 5))
   (block $done (loop $again
     (br_if $done (i32.ge_u (local.get $i) (i32.const {spins})))
     (local.set $i (i32.add (local.get $i) (i32.const 1)))
     (br $again)))
   (drop (call $send (i32.const 16) (i32.const {len(text.encode())})))
   (i32.const 0))""",
        imports=SEND + LOG,
        data=_data(8, "start") + _data(16, text),
    )


def timer_guest(receiver: str) -> bytes:
    """`init` sets a repeating 10 ms timer; every tick informs `receiver`; the third tick
    cancels it."""
    note = json.dumps({"performative": "inform", "receiver": receiver, "content": "tick"})
    return module(
        f"""
 (global $ticks (mut i32) (i32.const 0))
 (global $id (mut i32) (i32.const 0))
 (func (export "init") (result i32)
   (global.set $id (call $set_timer (i32.const 10) (i32.const 1))) (i32.const 0))
 (func (export "handle_timer") (param i32) (result i32)
   (global.set $ticks (i32.add (global.get $ticks) (i32.const 1)))
   (drop (call $send (i32.const 16) (i32.const {len(note)})))
   (if (i32.eq (global.get $ticks) (i32.const 3))
     (then (drop (call $cancel_timer (global.get $id)))))
   (i32.const 0))
 (func (export "handle_message") (param i32 i32) (result i32) (i32.const 0))""",
        imports=SEND
        + '(import "axo" "set_timer" (func $set_timer (param i32 i32) (result i32)))'
        + '(import "axo" "cancel_timer" (func $cancel_timer (param i32) (result i32)))',
        data=_data(16, note),
    )
