/**
 * The modern era's dispatch (2026-07-28): every request stands alone. The
 * envelope is checked (then the HTTP headers against it), the version
 * accepted, the method found, and the handler run with a context built from
 * the request's own `_meta`. A handler that needs input ends the round with
 * an input-required result instead of calling the client.
 */
import { type AuthInfo, principalOf } from "../../auth.js";
import { createRequestContext } from "../../context.js";
import { declaresTasks } from "../../extensions/tasks/methods.js";
import type { LazyAbort } from "../cancellation.js";
import type { MessageChannel } from "../channel.js";
import {
  ErrorCode,
  type JsonRpcErrorObject,
  McpError,
  McpHttpError,
  modernMethodNotFound,
  toJsonRpcError,
  unsupportedProtocolVersion,
} from "../errors.js";
import { failure, type JsonRpcRequest, type JsonRpcResponse, success } from "../jsonrpc.js";
import { type MethodResult, paramsOf } from "../methods/method.js";
import type { ServerCore } from "../server-core.js";
import { isModernVersion, SUPPORTED_PROTOCOL_VERSIONS } from "../versions.js";
import { type ModernEnvelope, readEnvelope } from "./meta.js";
import { INPUT_REQUIRED_METHODS, MODERN_METHODS } from "./method-table.js";
import type { ModernMethodCall } from "./methods.js";
import { digestParams } from "./request-state.js";
import { completeResult } from "./result.js";
import { INPUT_REQUIRED, ModernScope, TASK } from "./scope.js";

/** Transport checks that run at their place in the validation order (HTTP headers). */
export interface ModernTransportChecks {
  /** After the envelope is read: the protocol-version header must match it (-32020). */
  protocolVersion(envelope: ModernEnvelope): void;
  /** After the version is accepted: Mcp-Method, Mcp-Name, Mcp-Param-* (-32020). */
  requestHeaders(request: JsonRpcRequest): void;
}

export interface ModernRequestInput {
  request: JsonRpcRequest;
  /** Carries this request's notifications (progress, logs, subscription events). */
  channel: MessageChannel;
  /** Pulled when the client gives up on the request (closed stream, cancellation). */
  cancel: LazyAbort;
  auth: AuthInfo | undefined;
  checks?: ModernTransportChecks;
}

export interface ModernOutcome {
  response: JsonRpcResponse;
  /** The HTTP status the Streamable HTTP binding answers with. */
  status: number;
}

/** The error a modern client sees: the legacy "resource not found" code became -32602. */
function modernError(err: unknown): JsonRpcErrorObject {
  const e = toJsonRpcError(err);
  return e.code === ErrorCode.ResourceNotFound ? { ...e, code: ErrorCode.InvalidParams } : e;
}

export async function handleModernRequest(
  server: ServerCore,
  input: ModernRequestInput,
): Promise<ModernOutcome | undefined> {
  const { request, channel, cancel, auth } = input;
  const { id, method } = request;
  const params = paramsOf(request.params);
  try {
    const envelope = readEnvelope(params);
    input.checks?.protocolVersion(envelope);
    if (!isModernVersion(envelope.protocolVersion)) {
      throw unsupportedProtocolVersion(envelope.protocolVersion, SUPPORTED_PROTOCOL_VERSIONS);
    }
    input.checks?.requestHeaders(request);
    const handler = MODERN_METHODS.get(method);
    if (!handler) throw modernMethodNotFound(method);

    const principal = principalOf(auth);
    const asks = INPUT_REQUIRED_METHODS.has(method);
    // Tasks extension: a tools/call may continue as a task (ctx.beginTask()).
    const tasksAvailable = method === "tools/call" && declaresTasks(envelope.clientCapabilities);
    const scope = new ModernScope(
      id,
      method,
      envelope,
      auth,
      principal,
      channel,
      cancel,
      asks,
      params,
      tasksAvailable,
      server,
    );
    if (asks && (params.requestState !== undefined || params.inputResponses !== undefined)) scope.openRound();
    const call: ModernMethodCall = {
      server,
      params,
      ctx: createRequestContext(scope),
      requestId: id,
      envelope,
      channel,
      cancel,
    };
    // One promise settles with the handler's result, or early when the scope
    // interrupts (input required, task begun). A handler abandoned that way may
    // reject later: the settled promise ignores it, so nothing goes unhandled.
    let work!: Promise<MethodResult>;
    const done = await new Promise<MethodResult | typeof INPUT_REQUIRED | typeof TASK>((resolve, reject) => {
      scope.interrupt = resolve;
      try {
        work = Promise.resolve(handler(call));
      } catch (err) {
        work = Promise.reject(err);
      }
      work.then(resolve, reject);
    });
    if (done === TASK && scope.task) {
      // The call goes on as a task; the client polls for its outcome.
      const running = scope.task;
      work.then(
        (r) => running.complete({ ...r, resultType: "complete" }),
        (err) => running.fail(modernError(err)),
      );
      const handle = { ...running.describe(false), resultType: "task", _meta: server.serverInfoMetaField };
      return { response: success(id, handle), status: 200 };
    }
    if (cancel.aborted) return undefined;
    const round = scope.round;
    if (done === INPUT_REQUIRED && round) {
      // The handler waits on input the client has not given: end the round.
      cancel.abort(new Error("Input required: the client will retry with the answers"));
      const result: MethodResult = {
        resultType: "input_required",
        inputRequests: round.pending,
        requestState: server.requestStates.encode({
          m: method,
          d: digestParams(params),
          p: principal,
          e: Date.now() + server.requestStates.ttlMs,
          a: round.used,
        }),
        _meta: server.serverInfoMetaField,
      };
      return { response: success(id, result), status: 200 };
    }
    return { response: success(id, completeResult(server, method, params, done as MethodResult)), status: 200 };
  } catch (err) {
    if (cancel.aborted) return undefined;
    if (!(err instanceof McpError)) server.logger.error({ err, method }, "request handler failed");
    return { response: failure(id, modernError(err)), status: err instanceof McpHttpError ? err.status : 200 };
  }
}
