/**
 * The legacy sessions of the HTTP transport (see http-session.ts for one):
 * each has a cryptographically random id; idle sessions expire.
 *
 * With `server.shareSessions(...)` the sessions here are replicas of records
 * in the shared store (see session-sharing.ts): loaded on each request,
 * written back when a request changed them, their stream events mirrored to
 * the shared log, and whatever this instance cannot handle itself (an answer
 * to a request running elsewhere, a stream resumed here) routed over the bus.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { ErrorCode, McpHttpError } from "../../protocol/errors.js";
import type { JsonRpcNotification, JsonRpcResponse } from "../../protocol/jsonrpc.js";
import { handleLegacyNotification, handleLegacyResponse } from "../../protocol/legacy/dispatch.js";
import type { LegacySession } from "../../protocol/legacy/session.js";
import type { ServerCore } from "../../protocol/server-core.js";
import type { SessionBusMessage, SharedSessionChange } from "../../session-sharing.js";
import { HttpSession, type SharedLink, STANDALONE_STREAM_ID } from "./http-session.js";

/** What a request may change of a session, taken before it runs (shared sessions). */
export interface SessionSnapshot {
  ready: boolean;
  logLevel: string | undefined;
  subscriptions: Set<string>;
}

const storeUnavailable = (): McpHttpError =>
  new McpHttpError(503, ErrorCode.InternalError, "Service unavailable: the session store cannot be reached", {
    "retry-after": "5",
  });

export class HttpSessions {
  private readonly sessions = new Map<string, HttpSession>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly stopListening: () => void;
  /** This instance's tag on the bus (shared sessions). */
  readonly tag = randomBytes(4).toString("hex");
  private readonly logger: Logger;
  private link: SharedLink | undefined;

  constructor(
    private readonly server: ServerCore,
    private readonly options: { idleTimeoutMs: number; eventStoreSize: number; maxSessions: number },
  ) {
    this.logger = server.logger;
    this.sweeper = setInterval(() => this.sweep(), Math.min(options.idleTimeoutMs, 60_000));
    this.sweeper.unref();
    this.stopListening = server.listenToInstances((message) => this.onInstanceMessage(message));
  }

  /** The shared link when sessions are shared (decided before the server listens). */
  get shared(): SharedLink | undefined {
    const sharing = this.server.sessionSharing;
    if (!sharing) return undefined;
    if (this.link?.sharing !== sharing) {
      const appendOptions = { capacity: this.options.eventStoreSize, ttlMs: this.options.idleTimeoutMs };
      this.link = {
        sharing,
        tag: this.tag,
        append: (sessionId, stream, event) => {
          sharing.append(sessionId, stream, event, appendOptions).catch((err: unknown) => {
            this.logger.warn({ err: (err as Error).message, stream }, "could not store a session event");
          });
        },
      };
    }
    return this.link;
  }

  get size(): number {
    return this.sessions.size;
  }

  get full(): boolean {
    return this.sessions.size >= this.options.maxSessions;
  }

  create(): HttpSession {
    const shared = this.shared;
    const session = new HttpSession(randomBytes(16).toString("hex"), this.server, this.options.eventStoreSize, shared);
    this.sessions.set(session.id, session);
    // Shared sessions hear announcements through the bus (onInstanceMessage), not the server's loop.
    if (!shared) this.server.attachSession(session.legacy);
    return session;
  }

  /** Stores a newly initialized session's record, so every instance can serve it. */
  async publish(session: HttpSession): Promise<void> {
    const shared = this.shared;
    if (!shared) return;
    await this.reachStore(shared.sharing.create(session.id, session.record(), this.options.idleTimeoutMs));
  }

  get(id: string): HttpSession | undefined {
    return this.sessions.get(id);
  }

  /** The session from the shared store (its replica here, refreshed); undefined when it is not there. */
  async load(id: string): Promise<HttpSession | undefined> {
    const shared = this.shared;
    if (!shared) return this.sessions.get(id);
    const record = await this.reachStore(shared.sharing.load(id, this.options.idleTimeoutMs));
    if (!record) {
      this.delete(id);
      return undefined;
    }
    let session = this.sessions.get(id);
    if (!session) {
      session = new HttpSession(id, this.server, this.options.eventStoreSize, shared);
      this.sessions.set(id, session);
    }
    session.apply(record);
    return session;
  }

  /** What `save` compares against once the request is handled (shared sessions). */
  snapshot(session: HttpSession): SessionSnapshot | undefined {
    if (!this.shared) return undefined;
    const legacy = session.legacy;
    return { ready: legacy.ready, logLevel: legacy.logLevel, subscriptions: new Set(legacy.subscriptions) };
  }

  /** Writes back what a request changed of a shared session. */
  async save(session: HttpSession, before: SessionSnapshot): Promise<void> {
    const shared = this.shared;
    if (!shared) return;
    const legacy = session.legacy;
    const change: SharedSessionChange = {};
    if (legacy.ready !== before.ready) change.ready = legacy.ready;
    if (legacy.logLevel !== before.logLevel) change.logLevel = legacy.logLevel ?? null;
    const added = [...legacy.subscriptions].filter((uri) => !before.subscriptions.has(uri));
    const removed = [...before.subscriptions].filter((uri) => !legacy.subscriptions.has(uri));
    if (added.length > 0) change.subscribe = added;
    if (removed.length > 0) change.unsubscribe = removed;
    if (Object.keys(change).length === 0) return;
    await this.reachStore(shared.sharing.update(session.id, change));
  }

  /** Makes this instance the one that writes the session's announcements (it holds the standalone stream). */
  async claimAnnouncements(session: HttpSession): Promise<void> {
    const shared = this.shared;
    if (!shared || session.listener === this.tag) return;
    session.listener = this.tag;
    await this.reachStore(shared.sharing.update(session.id, { listener: this.tag }));
  }

  /**
   * A client's answer to a server→client request, or its cancellation of a
   * request, that no request here awaits: sent on to the instance that has it.
   */
  forward(session: HttpSession, message: JsonRpcResponse | JsonRpcNotification): void {
    const shared = this.shared;
    if (!shared) return;
    shared.sharing
      .publish({ type: "client-message", session: session.id, from: this.tag, message })
      .catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, "could not forward a client message"));
  }

  /** Ends a session for good (the client's DELETE): here, in the shared store and on every instance. */
  async end(id: string): Promise<void> {
    this.delete(id);
    const shared = this.shared;
    if (!shared) return;
    await this.reachStore(shared.sharing.remove(id));
    await this.reachStore(shared.sharing.publish({ type: "closed", session: id }));
  }

  /** Forgets the session here (a shared record stays for the other instances). */
  delete(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.sessions.delete(id);
    this.server.detachSession(session.legacy);
    session.close();
    return true;
  }

  /** Sessions with requests still running. */
  get inflight(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.legacy.inflight.size;
    return n;
  }

  /** Ends every standalone stream (they never end by themselves). */
  endStandaloneStreams(): void {
    for (const s of this.sessions.values()) {
      s.standalone.finish();
      for (const follower of s.followers) if (follower.stream === STANDALONE_STREAM_ID) follower.end();
    }
  }

  closeAll(): void {
    clearInterval(this.sweeper);
    this.stopListening();
    for (const id of [...this.sessions.keys()]) this.delete(id);
  }

  /** A store failure becomes 503: the client may try again (on this instance or another). */
  async reachStore<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, "the shared session store failed");
      throw storeUnavailable();
    }
  }

  private onInstanceMessage(message: SessionBusMessage): void {
    switch (message.type) {
      case "event": {
        const session = this.sessions.get(message.session);
        if (!session) return;
        for (const follower of session.followers) if (follower.stream === message.stream) follower.receive(message);
        return;
      }
      case "client-message": {
        if (message.from === this.tag) return;
        const session = this.sessions.get(message.session);
        if (!session) return;
        const m = message.message;
        if ("method" in m) handleLegacyNotification(this.server, session.legacy, m);
        else handleLegacyResponse(this.server, session.legacy, m);
        return;
      }
      case "closed":
        this.delete(message.session);
        return;
      case "list-changed":
        this.announce((legacy) => legacy.ready, `notifications/${message.list}/list_changed`);
        return;
      case "resource-updated":
        this.announce((legacy) => legacy.subscriptions.has(message.uri), "notifications/resources/updated", {
          uri: message.uri,
        });
        return;
    }
  }

  /**
   * An announcement reaches each session once, through the instance that
   * holds (or last held) its standalone stream, after a fresh look at the
   * record: its subscriptions may have changed, or another instance taken over.
   */
  private announce(wants: (legacy: LegacySession) => boolean, method: string, params?: Record<string, unknown>): void {
    for (const session of this.sessions.values()) {
      if (session.listener !== this.tag) continue;
      this.load(session.id).then(
        (fresh) => {
          if (fresh && fresh.listener === this.tag && wants(fresh.legacy)) fresh.legacy.notify(method, params);
        },
        () => {},
      );
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.idleTimeoutMs;
    const shared = this.shared;
    for (const [id, session] of this.sessions) {
      if (!session.busy && session.legacy.lastActivity < cutoff) this.delete(id);
      // A client listening here keeps its shared session alive, as it keeps a local one.
      else if (shared && session.busy) void this.load(id).catch(() => {});
    }
  }
}
