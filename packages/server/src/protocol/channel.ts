/** Where outgoing messages go: the seams between the protocol and a transport. */
import type { JsonRpcMessage } from "./jsonrpc.js";

/**
 * Carries messages to the client. A request's channel carries what relates to
 * that request (progress, logs, server→client requests); a session's channel
 * carries the rest (list changes, resource updates).
 */
export interface MessageChannel {
  send(message: JsonRpcMessage): void;
  /**
   * Ends the connection carrying this request's stream, when the transport
   * can resume it later (HTTP SSE polling); otherwise absent.
   */
  disconnect?(): void;
}

/** A channel that drops everything: for requests whose transport cannot carry extra messages. */
export const NULL_CHANNEL: MessageChannel = { send() {} };
