/**
 * STDIO: newline-delimited JSON-RPC on stdin/stdout. One process, one legacy
 * session. Nothing but protocol is written to stdout.
 */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { LazyAbort } from "../protocol/cancellation.js";
import type { MessageChannel } from "../protocol/channel.js";
import { invalidRequest, parseError } from "../protocol/errors.js";
import {
  classifyMessage,
  failure,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from "../protocol/jsonrpc.js";
import { handleLegacyNotification, handleLegacyRequest, handleLegacyResponse } from "../protocol/legacy/dispatch.js";
import { LegacySession } from "../protocol/legacy/session.js";
import { handleModernRequest } from "../protocol/modern/dispatch.js";
import { metaProtocolVersion } from "../protocol/modern/meta.js";
import type { ServerCore } from "../protocol/server-core.js";
import { allowsBatches } from "../protocol/versions.js";

export interface StdioOptions {
  input?: Readable;
  output?: Writable;
  /** How long to wait for in-flight requests after stdin ends. Default 10 s. */
  shutdownGraceMs?: number;
}

export interface StdioHandle {
  /** Resolves once stdin has ended and in-flight requests are done (or cancelled). */
  readonly closed: Promise<void>;
  /** Stops reading and cancels what is in flight after the grace period. */
  close(): Promise<void>;
}

export function serveStdio(server: ServerCore, options: StdioOptions = {}): StdioHandle {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const grace = options.shutdownGraceMs ?? 10_000;
  const write = (message: JsonRpcMessage | JsonRpcMessage[]): void => {
    output.write(`${JSON.stringify(message)}\n`);
  };
  const channel: MessageChannel = { send: write };
  const session = new LegacySession(undefined, channel, server.sessionOptions);
  server.attachSession(session);
  const pending = new Set<Promise<unknown>>();
  // Modern requests in flight, for notifications/cancelled (no session holds them).
  const modernInflight = new Map<string | number, LazyAbort>();
  const listens = new Set<string | number>();

  const handleModern = async (request: JsonRpcRequest): Promise<JsonRpcResponse | undefined> => {
    if (modernInflight.has(request.id)) {
      return failure(request.id, invalidRequest(`request id ${JSON.stringify(request.id)} is already in use`).toJSON());
    }
    const cancel = new LazyAbort();
    modernInflight.set(request.id, cancel);
    if (request.method === "subscriptions/listen") listens.add(request.id);
    try {
      const outcome = await handleModernRequest(server, {
        request,
        channel,
        cancel,
        auth: undefined,
      });
      return outcome?.response;
    } finally {
      modernInflight.delete(request.id);
      listens.delete(request.id);
    }
  };

  const handleOne = (value: unknown): Promise<JsonRpcResponse | undefined> | JsonRpcResponse | undefined => {
    const m = classifyMessage(value);
    switch (m.kind) {
      case "request":
        // Each request picks its era: modern ones name their version in _meta.
        return metaProtocolVersion(m.message.params) !== undefined
          ? handleModern(m.message)
          : handleLegacyRequest(server, session, m.message, channel, undefined);
      case "notification": {
        const cancelled = m.message.method === "notifications/cancelled" ? m.message.params?.requestId : undefined;
        const modern = cancelled === undefined ? undefined : modernInflight.get(cancelled as string | number);
        if (modern) modern.abort(new Error(String(m.message.params?.reason ?? "Cancelled by the client")));
        else handleLegacyNotification(server, session, m.message);
        return undefined;
      }
      case "response":
        handleLegacyResponse(server, session, m.message);
        return undefined;
      default:
        return failure(m.id, m.error.toJSON());
    }
  };

  const track = <T>(p: Promise<T>): void => {
    pending.add(p);
    p.finally(() => pending.delete(p)).catch(() => {});
  };

  const onLine = (line: string): void => {
    if (line.trim().length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      write(failure(null, parseError("the line is not valid JSON").toJSON()));
      return;
    }
    if (Array.isArray(value)) {
      if (!allowsBatches(session.protocolVersion) || value.length === 0) {
        write(
          failure(
            null,
            invalidRequest(
              value.length === 0
                ? "empty batch"
                : `JSON-RPC batches are not supported in protocol version ${session.protocolVersion}`,
            ).toJSON(),
          ),
        );
        return;
      }
      track(
        Promise.all(value.map(handleOne)).then((answers) => {
          const responses = answers.filter((a): a is JsonRpcResponse => a !== undefined);
          if (responses.length > 0) write(responses);
        }),
      );
      return;
    }
    const answer = handleOne(value);
    if (answer instanceof Promise) track(answer.then((a) => a && write(a)));
    else if (answer) write(answer);
  };

  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on("line", onLine);

  let finish: () => void;
  const closed = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let shuttingDown = false;
  const shutdown = async (): Promise<void> => {
    if (shuttingDown) return closed;
    shuttingDown = true;
    lines.close();
    // Subscriptions never end by themselves; with stdin gone nobody listens.
    for (const [id, controller] of modernInflight) if (listens.has(id)) controller.abort(new Error("stdin closed"));
    const deadline = Date.now() + grace;
    while (pending.size > 0 && Date.now() < deadline) {
      await Promise.race([
        Promise.allSettled([...pending]),
        new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now()))),
      ]);
    }
    session.close();
    for (const controller of modernInflight.values()) controller.abort(new Error("stdin closed"));
    server.detachSession(session);
    finish();
    return closed;
  };
  lines.on("close", () => void shutdown());
  return { closed, close: shutdown };
}
