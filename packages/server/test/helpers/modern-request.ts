/** Sending modern (2026-07-28) requests straight into dispatch, for unit tests. */
import { expect } from "vitest";
import type { AuthInfo } from "../../src/auth.js";
import { LazyAbort } from "../../src/protocol/cancellation.js";
import type { MessageChannel } from "../../src/protocol/channel.js";
import type { JsonRpcRequest } from "../../src/protocol/jsonrpc.js";
import { handleModernRequest, type ModernOutcome } from "../../src/protocol/modern/dispatch.js";
import type { ServerCore } from "../../src/protocol/server-core.js";
import type { ClientCapabilities } from "../../src/protocol/types.js";

export interface SendOptions {
  caps?: ClientCapabilities;
  meta?: Record<string, unknown>;
  auth?: AuthInfo;
  cancel?: LazyAbort;
  version?: string;
}

/**
 * A `send(method, params?, options?)` that wraps params in the modern
 * envelope (numbered ids, `defaultCaps` unless the call says otherwise) and
 * dispatches them to the server and channel current at call time.
 */
export function modernSender(
  current: () => { server: ServerCore; channel: MessageChannel },
  defaultCaps: ClientCapabilities = {},
) {
  let nextId = 0;
  const request = (method: string, params: Record<string, unknown>, o: SendOptions): JsonRpcRequest => ({
    jsonrpc: "2.0",
    id: ++nextId,
    method,
    params: {
      ...params,
      _meta: {
        "io.modelcontextprotocol/protocolVersion": o.version ?? "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { name: "dispatch-test-client", version: "1.0.0" },
        "io.modelcontextprotocol/clientCapabilities": o.caps ?? defaultCaps,
        ...o.meta,
      },
    },
  });
  const send = (method: string, params: Record<string, unknown> = {}, o: SendOptions = {}) => {
    const { server, channel } = current();
    return handleModernRequest(server, {
      request: request(method, params, o),
      channel,
      cancel: o.cancel ?? new LazyAbort(),
      auth: o.auth,
    });
  };
  return { send, request, reset: () => (nextId = 0) };
}

/** The result of an outcome (which must be a 200 success). */
export function resultOf(o: ModernOutcome | undefined): Record<string, unknown> {
  if (!o || !("result" in o.response)) throw new Error(`expected a result, got ${JSON.stringify(o)}`);
  expect(o.status).toBe(200);
  return o.response.result;
}

/** The JSON-RPC error of an outcome. */
export function errorOf(o: ModernOutcome | undefined) {
  if (!o || !("error" in o.response)) throw new Error(`expected an error, got ${JSON.stringify(o)}`);
  return o.response.error;
}
