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
import type { InputRound } from "./input-round.js";
import type { ModernEnvelope } from "./meta.js";

/** A class, not an object literal: one allocation per request, methods shared. */
export class ModernScope implements RequestScope {
  readonly era = "modern" as const;
  readonly sessionId = undefined;
  /** Set once the call has continued as a task. */
  task: Task | undefined;
  private taskBegun: (() => void) | undefined;

  constructor(
    readonly requestId: RequestId,
    private readonly method: string,
    private readonly envelope: ModernEnvelope,
    readonly auth: AuthInfo | undefined,
    private readonly principal: string,
    private readonly channel: MessageChannel,
    private readonly cancel: LazyAbort,
    private readonly round: InputRound | undefined,
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
    if (this.round) return this.round.ask(method, p, key);
    return Promise.reject(new McpError(ErrorCode.InternalError, `${this.method} cannot ask the client for input`));
  }

  closeStream(): void {}

  /** Settles when the handler has begun a task (only ever when tasks are available). */
  taskBegins<T>(value: T): Promise<T> {
    // The handler may have begun already, in its first synchronous steps.
    if (this.task) return Promise.resolve(value);
    return new Promise((resolve) => {
      this.taskBegun = () => resolve(value);
    });
  }

  async beginTask(): Promise<void> {
    if (!this.tasksAvailable || this.task) return;
    this.task = this.server.tasks.create(this.principal, this.cancel);
    this.taskBegun?.();
  }
}
