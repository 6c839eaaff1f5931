/**
 * A modern (2026-07-28) POST: one request, no session. Answered as JSON, or
 * as SSE once the handler sends notifications (progress, logs, subscription
 * events). The client closing the response cancels the request.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AuthInfo } from "../../auth.js";
import { LazyAbort } from "../../protocol/cancellation.js";
import { invalidRequest } from "../../protocol/errors.js";
import { classifyMessage, failure } from "../../protocol/jsonrpc.js";
import { handleModernRequest } from "../../protocol/modern/dispatch.js";
import { metaProtocolVersion } from "../../protocol/modern/meta.js";
import type { ServerCore } from "../../protocol/server-core.js";
import { isLegacyVersion } from "../../protocol/versions.js";
import { ModernHeaderChecks } from "./modern-headers.js";
import type { ResolvedHttpTransportOptions } from "./options.js";
import { PostResponder } from "./post-responder.js";

/**
 * Whether a POST body speaks the modern era: its `_meta` names a protocol
 * version, or its `MCP-Protocol-Version` header names one that is not a
 * legacy revision (even on `initialize`, which the modern era removed).
 * Batches and a live legacy session stay legacy.
 */
export function isModernPost(
  body: unknown,
  versionHeader: string | undefined,
  sessionHeader: string | undefined,
): boolean {
  if (Array.isArray(body) || sessionHeader !== undefined) return false;
  const params = (body as { params?: unknown } | null)?.params;
  if (metaProtocolVersion(params) !== undefined) return true;
  return versionHeader !== undefined && !isLegacyVersion(versionHeader.trim());
}

export async function answerModernPost(
  server: ServerCore,
  options: ResolvedHttpTransportOptions,
  req: FastifyRequest,
  reply: FastifyReply,
  accept: { json: boolean; sse: boolean },
  auth: AuthInfo | undefined,
): Promise<FastifyReply> {
  const m = classifyMessage(req.body);
  if (m.kind === "notification" || m.kind === "response") return reply.code(202).send();
  if (m.kind === "invalid") return reply.code(400).send(failure(m.id, m.error.toJSON()));
  const request = m.message;
  if (request.method.startsWith("notifications/")) {
    return reply.code(400).send(failure(request.id, invalidRequest("a notification must not have an id").toJSON()));
  }
  // Closing the response before it is complete cancels the request.
  // Closing the response before it is complete cancels the request. The
  // 'close' listener is added only once a handler watches its signal.
  const res = reply.raw;
  const cancel = new LazyAbort((watched) => {
    const gone = () => {
      if (!res.writableFinished) watched.abort(new Error("The client closed the response stream"));
    };
    if (res.destroyed) gone();
    else res.once("close", gone);
  });
  const responder = new PostResponder(reply, undefined, {
    acceptsSse: accept.sse,
    acceptsJson: accept.json,
    prime: false,
    keepAliveMs: options.keepAliveMs,
    retryMs: options.retryMs,
    eventIds: false,
  });
  const outcome = await handleModernRequest(server, {
    request,
    channel: responder,
    cancel,
    auth,
    checks: new ModernHeaderChecks(server, req.headers),
  });
  // No outcome: the client went away, and nothing more may be sent.
  if (!outcome) return reply;
  responder.finish([outcome.response], false, outcome.status);
  return reply;
}
