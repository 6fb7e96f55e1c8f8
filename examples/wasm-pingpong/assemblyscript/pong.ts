// pong: answers every `request` "ping N" with an `inform` "pong N" to its sender.
import { INFO, allocMessage, field, log, send, takeMessage } from "./axo";

export function alloc(len: i32): usize {
  return allocMessage(len);
}

export function handle_message(ptr: usize, len: i32): i32 {
  const json = takeMessage(ptr, len);
  const performative = field(json, "performative");
  const sender = field(json, "sender");
  if (performative === null || sender === null) return 1;
  if (performative != "request") return 0;
  const received = field(json, "content");
  const content = received === null ? "ping" : received;
  log(INFO, "Received " + content + ", sending pong back");
  const number = content.startsWith("ping") ? content.substring(4) : "";
  const replyWith = field(json, "reply_with");
  const inReplyTo = replyWith === null ? "null" : '"' + replyWith + '"';
  const reply = '{"performative":"inform","receivers":["' + sender + '"],"content":"pong' + number + '","in_reply_to":' + inReplyTo + "}";
  return send(reply) == 0 ? 0 : 1;
}
