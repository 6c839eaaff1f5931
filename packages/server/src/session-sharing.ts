/**
 * The seam for running several instances behind one load balancer. Without
 * it a legacy HTTP session lives in the memory of the process that opened it
 * (a load balancer then needs sticky sessions). With it — e.g.
 * `RedisSessionSharing` from `@chuk-mcp/oauth`, installed by the OAuth
 * middleware when its store is on Redis — every instance can serve every
 * session:
 *
 * - the session's record (what `initialize` negotiated, the log level, the
 *   resource subscriptions, who opened it) is in the shared store, loaded on
 *   each request and written back when a request changed it;
 * - the events of its SSE streams are appended to a bounded log there, so a
 *   client resumes a stream (`Last-Event-ID`) on any instance;
 * - a bus carries what must reach another instance: stream events to the
 *   instance holding the client's connection, client answers and
 *   cancellations to the instance running the request, session ends, and
 *   announcements (list changes, resource updates) to every instance;
 * - tasks of the tasks extension (2026-07-28) are readable on every
 *   instance (`tasks/get`), and their input and cancellation reach the
 *   instance running them, so modern clients need no affinity at all.
 */
import type { JsonRpcNotification, JsonRpcResponse } from "./protocol/jsonrpc.js";
import type { ClientCapabilities, Implementation, LoggingLevel } from "./protocol/types.js";
import type { ListKind } from "./registry/change-signal.js";

/** What every instance must know of a legacy session. */
export interface SharedSessionRecord {
  /** Who opened it (`principalOf`; "" = anonymous): only they may use it. */
  principal: string;
  protocolVersion: string;
  clientInfo?: Implementation;
  clientCapabilities: ClientCapabilities;
  /** True once the client sent `notifications/initialized`. */
  ready: boolean;
  /** The level log messages go out at; absent: none. */
  logLevel?: LoggingLevel;
  /** Resource URIs the client subscribed to. */
  subscriptions: string[];
  /**
   * The instance that holds (or last held) the client's standalone stream:
   * it writes the session's announcements, so they reach the log once, also
   * while the client is reconnecting.
   */
  listener?: string;
}

/** A change to a session's record. Subscriptions change by element, so concurrent requests lose none. */
export interface SharedSessionChange {
  ready?: boolean;
  /** `null`: no log messages. */
  logLevel?: LoggingLevel | null;
  subscribe?: string[];
  unsubscribe?: string[];
  listener?: string;
}

/** One event of a session's SSE stream, as the shared log keeps it. */
export interface SharedStreamEvent {
  seq: number;
  /** The JSON-RPC message, serialized ("" for the end marker). */
  data: string;
  /** The stream's last event: nothing follows, the connection carrying it ends. */
  end?: boolean;
}

/** A task as every instance can read it. */
export interface SharedTaskRecord {
  /** Who created it (`principalOf`): only they may see it. */
  principal: string;
  /** The task as `tasks/get` describes it (with its outcome or input requests). */
  task: Record<string, unknown>;
}

/** What instances tell each other. */
export type SessionBusMessage =
  | ({ type: "event"; session: string; stream: string } & SharedStreamEvent)
  | {
      type: "client-message";
      session: string;
      /** The instance that received it (and could not route it itself). */
      from: string;
      message: JsonRpcResponse | JsonRpcNotification;
    }
  | { type: "closed"; session: string }
  | { type: "resource-updated"; uri: string }
  | { type: "list-changed"; list: ListKind }
  /** `tasks/update` answers for a task running on another instance. */
  | { type: "task-input"; task: string; responses: Record<string, Record<string, unknown>> }
  /** `tasks/cancel` for a task running on another instance. */
  | { type: "task-cancel"; task: string };

/** Limits an append applies to the stream's log. */
export interface SharedAppendOptions {
  /** Events kept per stream (older ones are dropped). */
  capacity: number;
  /** The log expires when unused this long (the session's idle timeout). */
  ttlMs: number;
}

/**
 * Shared storage and messaging for legacy sessions. Every method may reject
 * when the service is unreachable; the transport answers 503 then.
 */
export interface SessionSharing {
  /** Stores a new session's record, expiring after `ttlMs` unused. */
  create(id: string, record: SharedSessionRecord, ttlMs: number): Promise<void>;
  /** The record, its expiry pushed back to `ttlMs`; undefined when unknown or expired. */
  load(id: string, ttlMs: number): Promise<SharedSessionRecord | undefined>;
  /** Applies a change to a live session's record (a session already gone stays gone). */
  update(id: string, change: SharedSessionChange): Promise<void>;
  /** Ends a session: its record and logs go. False when it did not exist. */
  remove(id: string): Promise<boolean>;
  /**
   * Appends an event to the log of one stream of a session and publishes it
   * on the bus (as an `event` message), atomically and in order. `seq`
   * given: the writer numbers its own stream; absent: the log numbers it
   * (streams with several writers). Resolves to the event's sequence number.
   */
  append(
    id: string,
    stream: string,
    event: { seq?: number; data: string; end?: boolean },
    options: SharedAppendOptions,
  ): Promise<number>;
  /**
   * The stream's events after `seq`, oldest first (as many as the log still
   * holds); undefined when the stream has no log (never opened, or expired).
   */
  eventsAfter(id: string, stream: string, seq: number): Promise<SharedStreamEvent[] | undefined>;
  /** The last sequence number used on the stream (0 when none). */
  lastSeq(id: string, stream: string): Promise<number>;
  /** Stores a task's state, expiring after `ttlMs` (the instance running it writes each change). */
  saveTask(id: string, record: SharedTaskRecord, ttlMs: number): Promise<void>;
  /** A task's state; undefined when unknown or expired. */
  loadTask(id: string): Promise<SharedTaskRecord | undefined>;
  /** Tells every instance (this one too). */
  publish(message: SessionBusMessage): Promise<void>;
  /** Starts delivering the bus's messages to `listener`; resolves once listening. */
  subscribe(listener: (message: SessionBusMessage) => void): Promise<void>;
  /** Stops listening and lets go of connections it opened. */
  close(): Promise<void>;
}
