/**
 * The tasks a server is running or has finished, kept until their TTL runs
 * out. A task runs on the instance that created it; with shared sessions
 * (`server.shareSessions`) its state is also written to the shared store at
 * each change, so `tasks/get` answers on any instance, and `tasks/update` /
 * `tasks/cancel` received elsewhere reach it over the bus.
 */
import type { Logger } from "pino";
import { invalidParams } from "../../protocol/errors.js";
import type { MethodResult } from "../../protocol/methods/method.js";
import type { SessionBusMessage, SessionSharing, SharedTaskRecord } from "../../session-sharing.js";
import { Task, type TaskOptions } from "./task.js";

export interface TaskSettings {
  /** How long a task stays readable after its last change. Default 1 hour. */
  ttlMs: number;
  /** The polling interval suggested to clients. Default 500 ms. */
  pollIntervalMs: number;
}

export const DEFAULT_TASK_SETTINGS: TaskSettings = { ttlMs: 60 * 60 * 1000, pollIntervalMs: 500 };

/** How long a running task's shared record lives without a change (a task left by a stopped instance ends so). */
const RUNNING_RECORD_TTL_MS = 24 * 60 * 60 * 1000;

/** What the registry needs of its server for sharing (absent: tasks stay on this instance). */
export interface TaskSharingLink {
  readonly sharing: () => SessionSharing | undefined;
  readonly logger: () => Logger;
}

/** A task as another instance shares it: readable; input and cancellation go over the bus. */
export class SharedTaskView {
  constructor(
    readonly id: string,
    private readonly record: SharedTaskRecord,
    private readonly sharing: SessionSharing,
  ) {}

  /** As `Task.describe(true)` gave it when the running instance last shared it (the outcome included). */
  describe(_withOutcome: true): MethodResult {
    return this.record.task;
  }

  answer(responses: Record<string, Record<string, unknown>>): Promise<void> {
    return this.sharing.publish({ type: "task-input", task: this.id, responses });
  }

  cancel(): Promise<void> {
    return this.sharing.publish({ type: "task-cancel", task: this.id });
  }
}

export class TaskRegistry {
  private readonly tasks = new Map<string, Task>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    readonly settings: TaskSettings,
    private readonly link?: TaskSharingLink,
  ) {}

  create(principal: string, controller: TaskOptions["controller"]): Task {
    const sharing = this.link?.sharing();
    const options: TaskOptions = { ...this.settings, principal, controller };
    if (sharing) options.onChange = (task) => void this.share(task, sharing);
    const task = new Task(options);
    this.tasks.set(task.id, task);
    this.sweeper ??= setInterval(() => this.sweep(), Math.min(this.settings.ttlMs, 60_000)).unref();
    return task;
  }

  /**
   * Writes a task's state to the shared store (no-op without sharing). A
   * failure is logged: the task runs on, readable on its own instance.
   */
  async share(task: Task, sharing = this.link?.sharing()): Promise<void> {
    if (!sharing) return;
    const record: SharedTaskRecord = { principal: task.options.principal, task: task.describe(true) };
    const ttlMs = task.terminal ? this.settings.ttlMs : Math.max(this.settings.ttlMs, RUNNING_RECORD_TTL_MS);
    try {
      await sharing.saveTask(task.id, record, ttlMs);
    } catch (err) {
      this.link?.logger().warn({ err: (err as Error).message }, "could not share a task's state");
    }
  }

  /** The task, if it exists here and belongs to `principal`; otherwise -32602 (without saying which). */
  get(taskId: unknown, principal: string): Task {
    const task = typeof taskId === "string" ? this.tasks.get(taskId) : undefined;
    // A running task never expires; a finished one stays readable for its TTL.
    if (!task || task.options.principal !== principal || (task.terminal && task.expiresAt < Date.now())) {
      throw unknownTask(taskId);
    }
    return task;
  }

  /** The task here, else (with sharing) as another instance shared it; otherwise -32602. */
  async find(taskId: unknown, principal: string): Promise<Task | SharedTaskView> {
    const sharing = this.link?.sharing();
    if (!sharing || typeof taskId !== "string" || this.tasks.has(taskId)) return this.get(taskId, principal);
    const record = await sharing.loadTask(taskId);
    if (!record || record.principal !== principal) throw unknownTask(taskId);
    return new SharedTaskView(taskId, record, sharing);
  }

  /** Input and cancellation sent by another instance for a task running here. */
  onInstanceMessage(message: SessionBusMessage): void {
    if (message.type !== "task-input" && message.type !== "task-cancel") return;
    const task = this.tasks.get(message.task);
    if (!task) return;
    if (message.type === "task-input") task.answer(message.responses);
    else task.cancel();
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

const unknownTask = (taskId: unknown) => invalidParams(`Unknown task: ${String(taskId)}`);
