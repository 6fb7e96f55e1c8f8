;; ping: every 500 ms sends a `request` "ping" to the agent named pong, and logs the answers
;; (ABI v1, docs/abi.md). WebAssembly text: axo compiles it itself, so no toolchain is needed.
(module
  (import "axo" "send" (func $send (param i32 i32) (result i32)))
  (import "axo" "log" (func $log (param i32 i32 i32)))
  (import "axo" "set_timer" (func $set_timer (param i32 i32) (result i32)))
  (memory (export "memory") 1)

  (data (i32.const 0) "\"inform\"")                                ;; 8 bytes
  (data (i32.const 16) "\"failure\"")                              ;; 9 bytes
  (data (i32.const 32) "{\"performative\":\"request\",\"receivers\":[\"pong\"],\"content\":\"ping\"}")  ;; 64
  (data (i32.const 128) "Sending ping to pong")                    ;; 20 bytes
  (data (i32.const 160) "Received pong")                           ;; 13 bytes
  (data (i32.const 192) "pong did not answer (is it deployed?); pinging on")  ;; 49 bytes
  (data (i32.const 256) "ping is up: a ping to pong every 500 ms") ;; 39 bytes
  (global $inbox i32 (i32.const 4096))

  (func (export "alloc") (param $len i32) (result i32)
    (local $pages i32)
    (local.set $pages
      (i32.shr_u (i32.add (i32.add (global.get $inbox) (local.get $len)) (i32.const 65535))
                 (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then (return (i32.const 0))))))
    (global.get $inbox))

  ;; Whether `needle` occurs in [ptr, ptr+len).
  (func $contains (param $ptr i32) (param $len i32) (param $needle i32) (param $nlen i32)
                  (result i32)
    (local $i i32) (local $j i32)
    (block $none
      (loop $at
        (br_if $none (i32.gt_s (i32.add (local.get $i) (local.get $nlen)) (local.get $len)))
        (local.set $j (i32.const 0))
        (block $differs
          (loop $byte
            (if (i32.ge_u (local.get $j) (local.get $nlen)) (then (return (i32.const 1))))
            (br_if $differs
              (i32.ne (i32.load8_u (i32.add (i32.add (local.get $ptr) (local.get $i)) (local.get $j)))
                      (i32.load8_u (i32.add (local.get $needle) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $byte)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $at)))
    (i32.const 0))

  (func (export "init") (result i32)
    (drop (call $set_timer (i32.const 500) (i32.const 1)))
    (call $log (i32.const 1) (i32.const 256) (i32.const 39))
    (i32.const 0))

  (func (export "handle_timer") (param $id i32) (result i32)
    (call $log (i32.const 1) (i32.const 128) (i32.const 20))
    (if (result i32) (i32.eqz (call $send (i32.const 32) (i32.const 64)))
      (then (i32.const 0))
      (else (i32.const 1))))

  (func (export "handle_message") (param $ptr i32) (param $len i32) (result i32)
    (if (call $contains (local.get $ptr) (local.get $len) (i32.const 0) (i32.const 8))
      (then (call $log (i32.const 1) (i32.const 160) (i32.const 13))))
    (if (call $contains (local.get $ptr) (local.get $len) (i32.const 16) (i32.const 9))
      (then (call $log (i32.const 2) (i32.const 192) (i32.const 49))))
    (i32.const 0)))
