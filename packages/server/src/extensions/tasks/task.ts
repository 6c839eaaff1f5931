/**
 * One task of the tasks extension (`io.modelcontextprotocol/tasks`): a tool
 * call that runs on after its `tools/call` answered with a task handle. The
 * client polls it (`tasks/get`), answers its input requests (`tasks/update`)
 * and may cancel it (`tasks/cancel`).
 */
import { randomBytes } from "node:crypto";
import { ErrorCode, invalidParams, type JsonRpcErrorObject, McpError } from "../../protocol/errors.js";
import type { MethodResult } from "../../protocol/methods/method.js";
import type { InputRequest } from "../../protocol/modern/input-round.js";

export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";

export type TaskStatus = "working" | "input_required" | "completed" | "failed" | "cancelled";

const TERMINAL: ReadonlySet<TaskStatus> = new Set(["completed", "failed", "cancelled"]);

export interface TaskOptions {
  /** How long the task stays readable after its last change. */
  ttlMs: number;
  /** How often clients are asked to poll. */
  pollIntervalMs: number;
  /** Who created it (auth subject or client id, "" when unauthenticated): only they may see it. */
  principal: string;
  /** Aborts the running handler (cancellation). */
  controller: { abort(reason?: unknown): void };
  /** Told after each change of status (to share the task with other instances). */
  onChange?: (task: Task) => void;
}

interface Waiter {
  request: InputRequest;
  resolve(answer: Record<string, unknown>): void;
}

export class Task {
  readonly id = randomBytes(16).toString("base64url");
  readonly createdAt = new Date();
  lastUpdatedAt = this.createdAt;
  status: TaskStatus = "working";
  statusMessage: string | undefined;
  private result: MethodResult | undefined;
  private error: JsonRpcErrorObject | undefined;
  /** Input requests not yet answered, by key (keys are unique for the task's life). */
  private readonly waiting = new Map<string, Waiter>();
  private readonly counters = new Map<string, number>();
  private readonly used = new Set<string>();

  constructor(readonly options: TaskOptions) {}

  get terminal(): boolean {
    return TERMINAL.has(this.status);
  }

  get expiresAt(): number {
    return this.lastUpdatedAt.getTime() + this.options.ttlMs;
  }

  /** Asks the client for input: the task waits in `input_required` until `tasks/update` answers. */
  ask(method: string, params: Record<string, unknown>, key?: string): Promise<Record<string, unknown>> {
    if (this.terminal) return Promise.reject(new McpError(ErrorCode.InternalError, "The task has ended"));
    const k = key ?? this.nextKey(method);
    if (this.used.has(k)) return Promise.reject(invalidParams(`input key "${k}" was already used by this task`));
    this.used.add(k);
    return new Promise((resolve) => {
      this.waiting.set(k, { request: { method, params }, resolve });
      this.touch("input_required");
    });
  }

  /** Applies the client's answers; unknown or already answered keys are ignored. */
  answer(responses: Record<string, Record<string, unknown>>): void {
    for (const [key, response] of Object.entries(responses)) {
      const waiter = this.waiting.get(key);
      if (!waiter) continue;
      this.waiting.delete(key);
      waiter.resolve(response);
    }
    if (this.status === "input_required" && this.waiting.size === 0) this.touch("working");
  }

  complete(result: MethodResult): void {
    if (this.terminal) return;
    this.result = result;
    this.touch("completed");
  }

  fail(error: JsonRpcErrorObject): void {
    if (this.terminal) return;
    this.error = error;
    this.touch("failed");
  }

  cancel(): void {
    if (this.terminal) return;
    this.touch("cancelled");
    this.options.controller.abort(new Error("The task was cancelled"));
  }

  /** The `Task` object of `tasks/get` (and, without the outcome, of `CreateTaskResult`). */
  describe(withOutcome: boolean): MethodResult {
    const out: MethodResult = {
      taskId: this.id,
      status: this.status,
      createdAt: this.createdAt.toISOString(),
      lastUpdatedAt: this.lastUpdatedAt.toISOString(),
      ttlMs: this.options.ttlMs,
      pollIntervalMs: this.options.pollIntervalMs,
    };
    if (this.statusMessage !== undefined) out.statusMessage = this.statusMessage;
    if (!withOutcome) return out;
    if (this.status === "input_required") {
      out.inputRequests = Object.fromEntries([...this.waiting].map(([k, w]) => [k, w.request]));
    }
    if (this.status === "completed" && this.result) out.result = this.result;
    if (this.status === "failed" && this.error) out.error = this.error;
    return out;
  }

  private touch(status: TaskStatus): void {
    this.status = status;
    this.lastUpdatedAt = new Date();
    this.options.onChange?.(this);
  }

  private nextKey(method: string): string {
    const kind = method.split("/")[0] ?? "input";
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return `${kind}-${n}`;
  }
}
