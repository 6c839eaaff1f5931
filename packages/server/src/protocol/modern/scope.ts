/**
 * What a modern-era request gives its handler: everything comes from the
 * request's own `_meta`; questions to the client become input requests of
 * the round (or of the task, once the call has become one).
 */
import type { AuthInfo } from "../../auth.js";
import type { RequestScope } from "../../context.js";
import type { Task } from "../../extensions/tasks/task.js";
import type { LazyAbort } from "../cancellation.js";
import type { MessageChannel } from "../channel.js";
import { ErrorCode, McpError } from "../errors.js";
import { notification, type RequestId } from "../jsonrpc.js";
import type { ServerCore } from "../server-core.js";
import type { ClientCapabilities, Implementation, LoggingLevel, Meta } from "../types.js";
import { InputRound, readInputResponses } from "./input-round.js";
import type { ModernEnvelope } from "./meta.js";
import { digestParams } from "./request-state.js";

/** Why the wait for a handler ended before it returned. */
export const INPUT_REQUIRED: unique symbol = Symbol("input-required");
export const TASK: unique symbol = Symbol("task");

/** A class, not an object literal: one allocation per request, methods shared. */
export class ModernScope implements RequestScope {
  readonly era = "modern" as const;
  readonly sessionId = undefined;
  /** Set once the call has continued as a task. */
  task: Task | undefined;
  /** Made at the handler's first question (most requests never ask). */
  round: InputRound | undefined;
  /** Ends the wait for the handler early: the round needs input, or a task has begun. */
  interrupt: ((why: typeof INPUT_REQUIRED | typeof TASK) => void) | undefined;

  constructor(
    readonly requestId: RequestId,
    private readonly method: string,
    private readonly envelope: ModernEnvelope,
    readonly auth: AuthInfo | undefined,
    private readonly principal: string,
    private readonly channel: MessageChannel,
    private readonly cancel: LazyAbort,
    /** Whether this method may ask the client for input (tools/call, prompts/get, resources/read). */
    private readonly asks: boolean,
    private readonly params: Record<string, unknown>,
    readonly tasksAvailable: boolean,
    private readonly server: ServerCore,
  ) {}

  get signal(): AbortSignal {
    return this.cancel.signal;
  }
  get protocolVersion(): string {
    return this.envelope.protocolVersion;
  }
  get clientInfo(): Implementation | undefined {
    return this.envelope.clientInfo;
  }
  get clientCapabilities(): ClientCapabilities {
    return this.envelope.clientCapabilities;
  }
  get meta(): Meta {
    return this.envelope.meta;
  }
  get minLogLevel(): LoggingLevel | undefined {
    return this.envelope.logLevel;
  }

  /** A task has no response stream: its progress and log messages are dropped. */
  notify(method: string, params: Record<string, unknown>): void {
    if (!this.task) this.channel.send(notification(method, params));
  }

  request(method: string, params: Record<string, unknown>, key?: string): Promise<Record<string, unknown>> {
    let p = params;
    // 2026-07-28 removed elicitationId: the retry itself tells the outcome.
    if (method === "elicitation/create" && "elicitationId" in p) {
      const { elicitationId: _dropped, ...rest } = p;
      p = rest;
    }
    if (this.task) return this.task.ask(method, p, key);
    if (!this.asks) {
      return Promise.reject(new McpError(ErrorCode.InternalError, `${this.method} cannot ask the client for input`));
    }
    try {
      return this.openRound().ask(method, p, key);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * The round, with the answers so far: earlier rounds' (signed requestState)
   * and this retry's inputResponses. Made at the first question — or up front
   * on a retry, so a bad state or answer map is refused even if unused.
   */
  openRound(): InputRound {
    if (this.round) return this.round;
    const { params, method } = this;
    const earlier =
      params.requestState === undefined
        ? {}
        : this.server.requestStates.decode(params.requestState, {
            method,
            digest: digestParams(params),
            principal: this.principal,
          }).a;
    this.round = new InputRound({ ...earlier, ...readInputResponses(params.inputResponses) }, () =>
      this.interrupt?.(INPUT_REQUIRED),
    );
    return this.round;
  }

  closeStream(): void {}

  async beginTask(): Promise<void> {
    if (!this.tasksAvailable || this.task) return;
    this.task = this.server.tasks.create(this.principal, this.cancel);
    // Shared before the client has the handle: its first tasks/get may reach another instance.
    await this.server.tasks.share(this.task);
    this.interrupt?.(TASK);
  }
}
