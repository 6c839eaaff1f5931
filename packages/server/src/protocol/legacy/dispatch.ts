/**
 * The legacy era's dispatch: one classified message in, at most one response
 * out. Enforces the handshake, tracks requests for cancellation, routes the
 * client's answers to server→client requests.
 */
import type { AuthInfo } from "../../auth.js";
import { createRequestContext } from "../../context.js";
import { LazyAbort } from "../cancellation.js";
import type { MessageChannel } from "../channel.js";
import { invalidRequest, McpError, methodNotFound, toJsonRpcError } from "../errors.js";
import { failure, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse, success } from "../jsonrpc.js";
import { paramsOf } from "../methods/method.js";
import type { ServerCore } from "../server-core.js";
import type { Meta } from "../types.js";
import { initialize } from "./lifecycle.js";
import { LEGACY_METHODS } from "./method-table.js";
import { LegacyScope } from "./scope.js";
import type { LegacySession } from "./session.js";

/**
 * Handles one request. Resolves to the response, or to undefined when the
 * client cancelled the request (the spec says not to answer then).
 */
export async function handleLegacyRequest(
  server: ServerCore,
  session: LegacySession,
  request: JsonRpcRequest,
  channel: MessageChannel,
  auth: AuthInfo | undefined,
): Promise<JsonRpcResponse | undefined> {
  const { id, method } = request;
  const params = paramsOf(request.params);
  session.lastActivity = Date.now();
  if (method === "initialize") {
    try {
      return success(id, initialize(server, session, params));
    } catch (err) {
      return failure(id, toJsonRpcError(err));
    }
  }
  const handler = LEGACY_METHODS.get(method);
  if (!handler) return failure(id, methodNotFound(method).toJSON());
  if (!session.initialized && method !== "ping") {
    return failure(id, invalidRequest("the session is not initialized: send initialize first").toJSON());
  }
  if (session.inflight.has(id)) {
    // Two live requests with one id could not be told apart (cancellation, answers).
    return failure(id, invalidRequest(`request id ${JSON.stringify(id)} is already in use`).toJSON());
  }
  const cancel = new LazyAbort();
  session.inflight.set(id, cancel);
  const scope = new LegacyScope(id, session, channel, cancel, auth, params._meta as Meta | undefined);
  try {
    const result = await handler({ server, session, params, ctx: createRequestContext(scope) });
    return cancel.aborted ? undefined : success(id, result);
  } catch (err) {
    if (cancel.aborted) return undefined;
    if (!(err instanceof McpError)) server.logger.error({ err, method }, "request handler failed");
    return failure(id, toJsonRpcError(err));
  } finally {
    session.inflight.delete(id);
  }
}

/**
 * Handles a notification from the client. False when it cancels a request
 * that is not running here (with shared sessions it may run on another instance).
 */
export function handleLegacyNotification(
  server: ServerCore,
  session: LegacySession,
  message: JsonRpcNotification,
): boolean {
  session.lastActivity = Date.now();
  switch (message.method) {
    case "notifications/initialized":
      if (session.initialized) session.ready = true;
      return true;
    case "notifications/cancelled": {
      const requestId = message.params?.requestId;
      if (typeof requestId !== "string" && typeof requestId !== "number") return true;
      const running = session.inflight.get(requestId);
      if (!running) return false;
      running.abort(new Error(String(message.params?.reason ?? "Cancelled by the client")));
      return true;
    }
    default:
      // Other notifications (roots/list_changed, progress for our requests) need no action.
      server.logger.trace({ method: message.method }, "notification");
      return true;
  }
}

/** Routes a client's response to the server→client request awaiting it; false when none awaits it here. */
export function handleLegacyResponse(server: ServerCore, session: LegacySession, message: JsonRpcResponse): boolean {
  session.lastActivity = Date.now();
  if (session.handleResponse(message)) return true;
  server.logger.debug({ id: message.id }, "response to no pending request here");
  return false;
}
