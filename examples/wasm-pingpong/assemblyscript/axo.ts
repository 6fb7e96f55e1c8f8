// The axo WASM agent ABI v1 for AssemblyScript guests (docs/abi.md).
// AssemblyScript strings are UTF-16; the ABI speaks UTF-8, so every string is converted
// at the boundary: messages decoded on the way in, encoded on the way out.

@external("axo", "send")
declare function host_send(ptr: usize, len: i32): i32;
@external("axo", "log")
declare function host_log(level: i32, ptr: usize, len: i32): void;
@external("axo", "kv_get")
declare function host_kv_get(key: usize, key_len: i32, out: usize, cap: i32): i32;
@external("axo", "kv_set")
declare function host_kv_set(key: usize, key_len: i32, value: usize, value_len: i32): i32;
@external("axo", "set_timer")
declare function host_set_timer(delay_ms: i32, repeat: i32): i32;

export const INFO: i32 = 1;
export const WARN: i32 = 2;

/** Memory for a message the host is about to copy in; `takeMessage` frees it. */
export function allocMessage(len: i32): usize {
  return heap.alloc(<usize>max(len, 1));
}

/** The message at (ptr, len) as a string; its buffer is freed. */
export function takeMessage(ptr: usize, len: i32): string {
  const text = String.UTF8.decodeUnsafe(ptr, <usize>len);
  heap.free(ptr);
  return text;
}

export function send(json: string): i32 {
  const bytes = String.UTF8.encode(json);
  return host_send(changetype<usize>(bytes), bytes.byteLength);
}

export function log(level: i32, text: string): void {
  const bytes = String.UTF8.encode(text);
  host_log(level, changetype<usize>(bytes), bytes.byteLength);
}

export function kvGet(key: string): string | null {
  const name = String.UTF8.encode(key);
  const out = new ArrayBuffer(256);
  const len = host_kv_get(changetype<usize>(name), name.byteLength, changetype<usize>(out), 256);
  if (len < 0 || len > 256) return null;
  return String.UTF8.decode(out.slice(0, len));
}

export function kvSet(key: string, value: string): void {
  const name = String.UTF8.encode(key);
  const bytes = String.UTF8.encode(value);
  host_kv_set(changetype<usize>(name), name.byteLength, changetype<usize>(bytes), bytes.byteLength);
}

export function setTimer(delayMs: i32, repeat: bool): i32 {
  return host_set_timer(delayMs, repeat ? 1 : 0);
}

/** The raw (still JSON-escaped) text of the string field `key`, or null when it is absent or
 * not a string. A quoted key cannot occur inside a JSON string, whose quotes are escaped. */
export function field(json: string, key: string): string | null {
  const at = json.indexOf('"' + key + '"');
  if (at < 0) return null;
  let i = at + key.length + 2;
  while (i < json.length && (json.charAt(i) == " " || json.charAt(i) == ":")) i++;
  if (i >= json.length || json.charAt(i) != '"') return null;
  const start = i + 1;
  for (i = start; i < json.length && json.charAt(i) != '"'; i++) {
    if (json.charAt(i) == "\\") i++;
  }
  return json.substring(start, i);
}
