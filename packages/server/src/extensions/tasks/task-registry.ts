/**
 * The tasks a server is running or has finished, kept until their TTL runs
 * out. In memory: a task lives on the instance that runs it.
 */
import { invalidParams } from "../../protocol/errors.js";
import { Task, type TaskOptions } from "./task.js";

export interface TaskSettings {
  /** How long a task stays readable after its last change. Default 1 hour. */
  ttlMs: number;
  /** The polling interval suggested to clients. Default 500 ms. */
  pollIntervalMs: number;
}

export const DEFAULT_TASK_SETTINGS: TaskSettings = { ttlMs: 60 * 60 * 1000, pollIntervalMs: 500 };

export class TaskRegistry {
  private readonly tasks = new Map<string, Task>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(readonly settings: TaskSettings) {}

  create(principal: string, controller: TaskOptions["controller"]): Task {
    const options: TaskOptions = { ...this.settings, principal, controller };
    const task = new Task(options);
    this.tasks.set(task.id, task);
    this.sweeper ??= setInterval(() => this.sweep(), Math.min(this.settings.ttlMs, 60_000)).unref();
    return task;
  }

  /** The task, if it exists and belongs to `principal`; otherwise -32602 (without saying which). */
  get(taskId: unknown, principal: string): Task {
    const task = typeof taskId === "string" ? this.tasks.get(taskId) : undefined;
    // A running task never expires; a finished one stays readable for its TTL.
    if (!task || task.options.principal !== principal || (task.terminal && task.expiresAt < Date.now())) {
      throw invalidParams(`Unknown task: ${String(taskId)}`);
    }
    return task;
  }

  get size(): number {
    return this.tasks.size;
  }

  /** Cancels every running task (shutdown). */
  cancelAll(): void {
    for (const task of this.tasks.values()) task.cancel();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, task] of this.tasks) {
      if (task.terminal && task.expiresAt < now) this.tasks.delete(id);
    }
  }
}
