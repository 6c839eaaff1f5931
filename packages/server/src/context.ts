/**
 * What a handler gets as `ctx`: who is calling, cancellation, progress,
 * logging, and requests back to the client. The era (legacy session or modern
 * stateless request) provides a `RequestScope`; this module turns it into the
 * same `ctx` for both, so a handler is written once.
 */
import type { AuthInfo } from "./auth.js";
import { capabilityMissing, missingRequiredCapability } from "./protocol/errors.js";
import type { RequestId } from "./protocol/jsonrpc.js";
import {
  type ClientCapabilities,
  type CreateMessageParams,
  type CreateMessageResult,
  type ElicitParams,
  type ElicitResult,
  type Implementation,
  type ListRootsResult,
  LOGGING_LEVELS,
  type LoggingLevel,
  type Meta,
} from "./protocol/types.js";

/** Options of a request to the client. */
export interface InputOptions {
  /**
   * The key naming this input in an input-required round (modern era), e.g.
   * "github_login". Default: the method's kind and its position in the
   * handler, e.g. "elicitation-1".
   */
  key?: string;
}

/** What an era supplies for one request. */
export interface RequestScope {
  readonly requestId: RequestId;
  readonly signal: AbortSignal;
  readonly sessionId: string | undefined;
  readonly protocolVersion: string;
  readonly clientInfo: Implementation | undefined;
  readonly clientCapabilities: ClientCapabilities;
  readonly auth: AuthInfo | undefined;
  readonly meta: Meta | undefined;
  /** Sends a notification related to this request. */
  notify(method: string, params: Record<string, unknown>): void;
  /**
   * Asks the client (related to this request) and awaits its answer. Legacy:
   * a JSON-RPC request. Modern: an input request of an input-required round,
   * identified by `key`.
   */
  request(method: string, params: Record<string, unknown>, key?: string): Promise<Record<string, unknown>>;
  /** Which era's rules apply (capability errors differ). */
  readonly era: "legacy" | "modern";
  /** The least severe level the client wants to hear, or undefined for none. */
  readonly minLogLevel: LoggingLevel | undefined;
  /** Ends the connection carrying this request, keeping its stream resumable (where the transport can). */
  closeStream(): void;
  /** Whether this request may continue as a task (modern `tools/call` from a client with the tasks extension). */
  readonly tasksAvailable: boolean;
  /** Continues the request as a task, when `tasksAvailable`; otherwise does nothing. */
  beginTask(): Promise<void>;
}

/** The handler context. */
export interface RequestContext {
  /** The JSON-RPC id of the request being handled. */
  readonly requestId: RequestId;
  /** Fires when the client cancels the request or goes away. */
  readonly signal: AbortSignal;
  /** The legacy session id, when there is one. */
  readonly sessionId: string | undefined;
  /** The protocol revision this request speaks. */
  readonly protocolVersion: string;
  /** The client's name and version, when it said. */
  readonly clientInfo: Implementation | undefined;
  /** What the client declared it can do. */
  readonly clientCapabilities: ClientCapabilities;
  /** The authenticated caller, when an auth verifier is installed and the request carried credentials. */
  readonly auth: AuthInfo | undefined;
  /** The request's `_meta`. */
  readonly meta: Meta | undefined;
  /**
   * Reports progress, when the client asked for it (a `progressToken` in
   * `_meta`); otherwise does nothing. `progress` should increase each call.
   */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** Sends a log message to the client, if it wants messages of this level. */
  log(level: LoggingLevel, data: unknown, logger?: string): Promise<void>;
  /**
   * Asks the user for input through the client (form or URL mode). In the
   * modern era (2026-07-28) this ends the round with an input-required result
   * and the client's retry runs the handler again, which then gets the answer
   * here: code before it must be safe to run again.
   */
  elicit(params: ElicitParams, options?: InputOptions): Promise<ElicitResult>;
  /** Asks the client's model for a completion (same round-trip rules as `elicit`). */
  sample(params: CreateMessageParams, options?: InputOptions): Promise<CreateMessageResult>;
  /** Asks the client for its roots (same round-trip rules as `elicit`). */
  listRoots(options?: InputOptions): Promise<ListRootsResult>;
  /**
   * Over Streamable HTTP (2025-11-25), ends the SSE connection carrying this
   * request now; the client reconnects with `Last-Event-ID` and receives what
   * follows. Lets long tasks avoid holding a connection open. Elsewhere a no-op.
   */
  closeStream(): void;
  /**
   * Whether this call can continue as a task: a modern `tools/call` from a
   * client that declared the tasks extension.
   */
  readonly tasksAvailable: boolean;
  /**
   * Continues this tool call as a task (tasks extension): the call answers
   * with a task handle now and this handler runs on; from here `elicit()` and
   * friends wait for `tasks/update`, progress and log messages are dropped,
   * and `signal` fires on `tasks/cancel`. Where tasks are not available it
   * does nothing and the call goes on as usual. Tools registered with a
   * `task` mode begin automatically unless `start: "manual"`.
   */
  beginTask(): Promise<void>;
}

const levelRank = (level: LoggingLevel): number => LOGGING_LEVELS.indexOf(level);

/** Whether a message at `level` passes a client's minimum level. */
export const passesLogLevel = (level: LoggingLevel, min: LoggingLevel | undefined): boolean =>
  min !== undefined && levelRank(level) >= levelRank(min);

/** Builds the handler context over an era's request scope. */
export function createRequestContext(scope: RequestScope): RequestContext {
  return new HandlerContext(scope);
}

/**
 * The context as a class: its methods live on the prototype, so making one
 * per request costs a single small object (no closures).
 */
class HandlerContext implements RequestContext {
  constructor(private readonly scope: RequestScope) {}

  get requestId(): RequestId {
    return this.scope.requestId;
  }
  get signal(): AbortSignal {
    return this.scope.signal;
  }
  get sessionId(): string | undefined {
    return this.scope.sessionId;
  }
  get protocolVersion(): string {
    return this.scope.protocolVersion;
  }
  get clientInfo(): Implementation | undefined {
    return this.scope.clientInfo;
  }
  get clientCapabilities(): ClientCapabilities {
    return this.scope.clientCapabilities;
  }
  get auth(): AuthInfo | undefined {
    return this.scope.auth;
  }
  get meta(): Meta | undefined {
    return this.scope.meta;
  }
  get tasksAvailable(): boolean {
    return this.scope.tasksAvailable;
  }

  async progress(progress: number, total?: number, message?: string): Promise<void> {
    const progressToken = this.scope.meta?.progressToken;
    if (progressToken === undefined || this.scope.signal.aborted) return;
    const params: Record<string, unknown> = { progressToken, progress };
    if (total !== undefined) params.total = total;
    if (message !== undefined) params.message = message;
    this.scope.notify("notifications/progress", params);
  }

  async log(level: LoggingLevel, data: unknown, logger?: string): Promise<void> {
    if (!passesLogLevel(level, this.scope.minLogLevel) || this.scope.signal.aborted) return;
    const params: Record<string, unknown> = { level, data };
    if (logger !== undefined) params.logger = logger;
    this.scope.notify("notifications/message", params);
  }

  async elicit(params: ElicitParams, options?: InputOptions): Promise<ElicitResult> {
    const elicitation = this.scope.clientCapabilities.elicitation;
    if (!elicitation) throw this.missing("elicitation", { elicitation: {} }, "ctx.elicit()");
    if (params.mode === "url") {
      if (!elicitation.url) throw this.missing("elicitation.url", { elicitation: { url: {} } }, "URL-mode elicitation");
    } else if (elicitation.url && !elicitation.form && Object.keys(elicitation).length > 0) {
      // A client that names its modes and leaves out form does not take form requests.
      throw this.missing("elicitation.form", { elicitation: { form: {} } }, "form-mode elicitation");
    }
    return (await this.scope.request("elicitation/create", { ...params }, options?.key)) as ElicitResult;
  }

  async sample(params: CreateMessageParams, options?: InputOptions): Promise<CreateMessageResult> {
    if (!this.scope.clientCapabilities.sampling) throw this.missing("sampling", { sampling: {} }, "ctx.sample()");
    return (await this.scope.request("sampling/createMessage", { ...params }, options?.key)) as CreateMessageResult;
  }

  async listRoots(options?: InputOptions): Promise<ListRootsResult> {
    if (!this.scope.clientCapabilities.roots) throw this.missing("roots", { roots: {} }, "ctx.listRoots()");
    return (await this.scope.request("roots/list", {}, options?.key)) as ListRootsResult;
  }

  closeStream(): void {
    this.scope.closeStream();
  }

  beginTask(): Promise<void> {
    return this.scope.beginTask();
  }

  /**
   * Legacy: the tool fails with a message. Modern: the request fails with
   * MissingRequiredClientCapability naming what the client must declare.
   */
  private missing(name: string, required: Record<string, unknown>, what: string) {
    return this.scope.era === "modern"
      ? missingRequiredCapability(required, `${name} (needed by ${what})`)
      : capabilityMissing(name, what);
  }
}
