"""A WAT guest that hands back what it got: it informs `receiver` with the whole incoming ACL
message (a JSON object, so it needs no escaping) as the content `{"wasm_saw": MESSAGE}`. A test
then reads, in whatever the guest's answer reaches, exactly what the guest was sent."""

from __future__ import annotations

import json

from tests.core.wasm.guests import SEND, _data, module

PREFIX_AT, SUFFIX_AT = 16, 1024


def echo_guest(receiver: str) -> bytes:
    prefix = json.dumps({"performative": "inform", "receiver": receiver})[:-1]
    prefix += ', "content": {"wasm_saw": '
    suffix = "}}"
    assert len(prefix) < SUFFIX_AT - PREFIX_AT
    # The message arrives at HEAP (64 KiB): the prefix goes just below it, in page 0, which
    # holds nothing else there; the suffix right after it, growing memory when it must.
    return module(
        f"""
 (func (export "handle_message") (param $at i32) (param $len i32) (result i32)
   (local $start i32) (local $end i32)
   (local.set $start (i32.sub (local.get $at) (i32.const {len(prefix)})))
   (memory.copy (local.get $start) (i32.const {PREFIX_AT}) (i32.const {len(prefix)}))
   (local.set $end (i32.add (local.get $at) (local.get $len)))
   (if (i32.gt_u (i32.add (local.get $end) (i32.const {len(suffix)}))
                 (i32.mul (memory.size) (i32.const 65536)))
     (then (drop (memory.grow (i32.const 1)))))
   (memory.copy (local.get $end) (i32.const {SUFFIX_AT}) (i32.const {len(suffix)}))
   (call $send (local.get $start)
               (i32.add (local.get $len) (i32.const {len(prefix) + len(suffix)}))))""",
        imports=SEND,
        data=_data(PREFIX_AT, prefix) + _data(SUFFIX_AT, suffix),
    )
