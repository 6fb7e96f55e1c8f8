// ping: every 500 ms, sends a `request` "ping N" to the agent named pong, and logs the
// answers. N counts on across restarts and redeploys: it lives in the agent's kv state.
import { INFO, WARN, allocMessage, field, kvGet, kvSet, log, send, setTimer, takeMessage } from "./axo";

let count: i32 = 0;

export function alloc(len: i32): usize {
  return allocMessage(len);
}

export function init(): i32 {
  const saved = kvGet("count");
  count = saved === null ? 0 : I32.parseInt(saved);
  setTimer(500, true);
  log(INFO, "ping is up: a ping to pong every 500 ms");
  return 0;
}

export function handle_timer(id: i32): i32 {
  count++;
  kvSet("count", count.toString());
  log(INFO, "Sending ping " + count.toString() + " to pong");
  const message = '{"performative":"request","receivers":["pong"],"content":"ping ' + count.toString() + '"}';
  return send(message) == 0 ? 0 : 1;
}

export function handle_message(ptr: usize, len: i32): i32 {
  const json = takeMessage(ptr, len);
  const performative = field(json, "performative");
  if (performative === null) return 1;
  if (performative == "inform") {
    const content = field(json, "content");
    log(INFO, "Received " + (content === null ? "pong" : content));
  } else if (performative == "failure") {
    log(WARN, "pong did not answer (is it deployed?); pinging on");
  }
  return 0;
}
