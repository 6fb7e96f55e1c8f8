;; pong: answers every `request` with an `inform` "pong" to its sender (ABI v1, docs/abi.md).
;; WebAssembly text: axo compiles it itself, so no toolchain is needed.
(module
  (import "axo" "send" (func $send (param i32 i32) (result i32)))
  (import "axo" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)

  ;; Constants below 1024; the reply is built at 1024; messages arrive at 4096.
  (data (i32.const 0) "\"request\"")                                         ;; 9 bytes
  (data (i32.const 16) "\"sender\"")                                         ;; 8 bytes
  (data (i32.const 32) "\"reply_with\"")                                     ;; 12 bytes
  (data (i32.const 48) "{\"performative\":\"inform\",\"receivers\":[\"")    ;; 39 bytes
  (data (i32.const 96) "\"],\"content\":\"pong\",\"in_reply_to\":\"")      ;; 35 bytes
  (data (i32.const 144) "\"}")                                               ;; 2 bytes
  (data (i32.const 160) "Received ping, sending pong back")                  ;; 32 bytes
  (global $reply i32 (i32.const 1024))
  (global $inbox i32 (i32.const 4096))

  ;; The host copies each message to the inbox; memory grows to fit it.
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

  ;; The offset of `needle` in [ptr, ptr+len), or -1.
  (func $find (param $ptr i32) (param $len i32) (param $needle i32) (param $nlen i32)
              (result i32)
    (local $i i32) (local $j i32)
    (block $none
      (loop $at
        (br_if $none (i32.gt_s (i32.add (local.get $i) (local.get $nlen)) (local.get $len)))
        (local.set $j (i32.const 0))
        (block $differs
          (loop $byte
            (if (i32.ge_u (local.get $j) (local.get $nlen))
              (then (return (local.get $i))))
            (br_if $differs
              (i32.ne (i32.load8_u (i32.add (i32.add (local.get $ptr) (local.get $i)) (local.get $j)))
                      (i32.load8_u (i32.add (local.get $needle) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $byte)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $at)))
    (i32.const -1))

  ;; Copy `len` bytes from `from` to `out`; returns the end of the copy.
  (func $put (param $out i32) (param $from i32) (param $len i32) (result i32)
    (memory.copy (local.get $out) (local.get $from) (local.get $len))
    (i32.add (local.get $out) (local.get $len)))

  ;; Copy the string value of the field quoted at `key` (still JSON-escaped) to `out`;
  ;; returns the end of the copy, or -1 when the field is missing or does not fit.
  (func $put_field (param $out i32) (param $ptr i32) (param $len i32) (param $key i32)
                   (param $klen i32) (result i32)
    (local $start i32) (local $end i32)
    (local.set $start (call $find (local.get $ptr) (local.get $len) (local.get $key)
                                  (local.get $klen)))
    (if (i32.lt_s (local.get $start) (i32.const 0)) (then (return (i32.const -1))))
    (local.set $start (i32.add (local.get $start) (local.get $klen)))
    ;; skip the colon and spaces up to the opening quote
    (block $found
      (loop $skip
        (br_if $found (i32.ge_s (local.get $start) (local.get $len)))
        (br_if $found (i32.eq (i32.load8_u (i32.add (local.get $ptr) (local.get $start)))
                              (i32.const 34)))
        (local.set $start (i32.add (local.get $start) (i32.const 1)))
        (br $skip)))
    (local.set $start (i32.add (local.get $start) (i32.const 1)))
    (local.set $end (local.get $start))
    (block $closed
      (loop $scan
        (br_if $closed (i32.ge_s (local.get $end) (local.get $len)))
        (br_if $closed (i32.eq (i32.load8_u (i32.add (local.get $ptr) (local.get $end)))
                               (i32.const 34)))
        ;; a backslash escapes the next byte (an escaped quote is not the end)
        (if (i32.eq (i32.load8_u (i32.add (local.get $ptr) (local.get $end))) (i32.const 92))
          (then (local.set $end (i32.add (local.get $end) (i32.const 1)))))
        (local.set $end (i32.add (local.get $end) (i32.const 1)))
        (br $scan)))
    (if (i32.gt_s (local.get $end) (local.get $len)) (then (return (i32.const -1))))
    ;; the reply area ends at the inbox
    (if (i32.gt_u (i32.add (local.get $out) (i32.sub (local.get $end) (local.get $start)))
                  (i32.sub (global.get $inbox) (i32.const 64)))
      (then (return (i32.const -1))))
    (call $put (local.get $out) (i32.add (local.get $ptr) (local.get $start))
               (i32.sub (local.get $end) (local.get $start))))

  (func (export "handle_message") (param $ptr i32) (param $len i32) (result i32)
    (local $out i32)
    ;; Only a request is answered: answering a failure could ping-pong failures forever.
    (if (i32.lt_s (call $find (local.get $ptr) (local.get $len) (i32.const 0) (i32.const 9))
                  (i32.const 0))
      (then (return (i32.const 0))))
    (local.set $out (call $put (global.get $reply) (i32.const 48) (i32.const 39)))
    (local.set $out (call $put_field (local.get $out) (local.get $ptr) (local.get $len)
                                     (i32.const 16) (i32.const 8)))
    (if (i32.lt_s (local.get $out) (i32.const 0)) (then (return (i32.const 1))))
    (local.set $out (call $put (local.get $out) (i32.const 96) (i32.const 35)))
    (local.set $out (call $put_field (local.get $out) (local.get $ptr) (local.get $len)
                                     (i32.const 32) (i32.const 12)))
    (if (i32.lt_s (local.get $out) (i32.const 0)) (then (return (i32.const 1))))
    (local.set $out (call $put (local.get $out) (i32.const 144) (i32.const 2)))
    (call $log (i32.const 1) (i32.const 160) (i32.const 32))
    (if (result i32)
        (i32.eqz (call $send (global.get $reply) (i32.sub (local.get $out) (global.get $reply))))
      (then (i32.const 0))
      (else (i32.const 1)))))
