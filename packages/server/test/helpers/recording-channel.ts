/** A message channel that records what is sent and lets a test await the next message. */
import type { MessageChannel } from "../../src/protocol/channel.js";
import type { JsonRpcMessage } from "../../src/protocol/jsonrpc.js";

export interface RecordingChannel extends MessageChannel {
  readonly sent: JsonRpcMessage[];
  /** Resolves with the first message sent from now on (or already waiting unread). */
  next(): Promise<JsonRpcMessage>;
}

export function recordingChannel(): RecordingChannel {
  const sent: JsonRpcMessage[] = [];
  let read = 0;
  let waiter: ((m: JsonRpcMessage) => void) | undefined;
  return {
    sent,
    send(message) {
      sent.push(message);
      if (waiter) {
        const w = waiter;
        waiter = undefined;
        read++;
        w(message);
      }
    },
    next() {
      if (read < sent.length) return Promise.resolve(sent[read++] as JsonRpcMessage);
      return new Promise((resolve) => {
        waiter = resolve;
      });
    },
  };
}
