/**
 * A legacy-era session: what `initialize` negotiated, what the client asked
 * for since (log level, subscriptions), the requests in flight (for
 * cancellation) and the server→client requests awaiting an answer.
 */

import type { LazyAbort } from "../cancellation.js";
import type { MessageChannel } from "../channel.js";
import { ErrorCode, McpError } from "../errors.js";
import { type JsonRpcResponse, notification, type RequestId } from "../jsonrpc.js";
import type { ClientCapabilities, Implementation, LoggingLevel } from "../types.js";
import { LATEST_LEGACY_VERSION, type LegacyProtocolVersion } from "../versions.js";

interface PendingClientRequest {
  resolve(result: Record<string, unknown>): void;
  reject(error: Error): void;
}

export interface LegacySessionOptions {
  /** The level messages go out at until the client calls `logging/setLevel`. */
  defaultLogLevel: LoggingLevel | undefined;
  /** How long a server→client request (elicitation, sampling, roots) may wait. */
  clientRequestTimeoutMs: number;
}

export class LegacySession {
  protocolVersion: LegacyProtocolVersion = LATEST_LEGACY_VERSION;
  clientInfo: Implementation | undefined;
  clientCapabilities: ClientCapabilities = {};
  /** True once `initialize` has been answered. */
  initialized = false;
  /** True once the client sent `notifications/initialized`. */
  ready = false;
  closed = false;
  logLevel: LoggingLevel | undefined;
  readonly subscriptions = new Set<string>();
  readonly inflight = new Map<RequestId, LazyAbort>();
  lastActivity = Date.now();
  /** Ids of server→client requests start so; unique per instance when sessions are shared. */
  requestIdPrefix = "srv-";

  private readonly pending = new Map<RequestId, PendingClientRequest>();
  private nextRequestId = 0;

  constructor(
    /** The `Mcp-Session-Id`, or undefined on STDIO and stateless HTTP. */
    readonly id: string | undefined,
    /** Where messages unrelated to any request go (the GET stream, stdout). */
    readonly outbound: MessageChannel,
    private readonly options: LegacySessionOptions,
  ) {
    this.logLevel = options.defaultLogLevel;
  }

  /** Sends a notification unrelated to any request. */
  notify(method: string, params?: Record<string, unknown>): void {
    if (!this.closed) this.outbound.send(notification(method, params));
  }

  /**
   * Sends a request to the client over `channel` and awaits its answer. It is
   * abandoned (and the client told) when `signal` fires, and fails after the
   * configured timeout.
   */
  request(
    method: string,
    params: Record<string, unknown>,
    channel: MessageChannel,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new McpError(ErrorCode.InvalidRequest, "The session is closed"));
    if (signal.aborted) return Promise.reject(new McpError(ErrorCode.RequestTimeout, "The request was cancelled"));
    const id = `${this.requestIdPrefix}${++this.nextRequestId}`;
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.pending.delete(id);
      };
      const onAbort = () => {
        finish();
        channel.send(
          notification("notifications/cancelled", { requestId: id, reason: "The originating request was cancelled" }),
        );
        reject(new McpError(ErrorCode.RequestTimeout, `${method} was cancelled`));
      };
      const timer = setTimeout(() => {
        finish();
        channel.send(notification("notifications/cancelled", { requestId: id, reason: "Timed out" }));
        reject(
          new McpError(
            ErrorCode.RequestTimeout,
            `The client did not answer ${method} within ${this.options.clientRequestTimeoutMs} ms`,
          ),
        );
      }, this.options.clientRequestTimeoutMs);
      timer.unref?.();
      signal.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        resolve: (result) => {
          finish();
          resolve(result);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      });
      channel.send({ jsonrpc: "2.0", id, method, params });
    });
  }

  /** Routes a client's response to the request awaiting it; false when none is. */
  handleResponse(response: JsonRpcResponse): boolean {
    const id = response.id;
    const waiting = id === null ? undefined : this.pending.get(id);
    if (!waiting) return false;
    if ("error" in response) {
      waiting.reject(
        new McpError(
          response.error.code,
          `The client answered with an error: ${response.error.message}`,
          response.error.data,
        ),
      );
    } else {
      waiting.resolve(response.result);
    }
    return true;
  }

  /** Ends the session: cancels its work and fails what waits on the client. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const controller of this.inflight.values()) controller.abort(new Error("Session closed"));
    this.inflight.clear();
    for (const waiting of this.pending.values())
      waiting.reject(new McpError(ErrorCode.InvalidRequest, "The session closed"));
    this.pending.clear();
  }
}
