/**
 * Legacy sessions over HTTP: each has a cryptographically random id, its
 * streams (the standalone GET stream and one per SSE-answered POST), and the
 * event store they resume from. Idle sessions expire.
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
import type { JsonRpcMessage, JsonRpcNotification, JsonRpcResponse } from "../../protocol/jsonrpc.js";
import { handleLegacyNotification, handleLegacyResponse } from "../../protocol/legacy/dispatch.js";
import { LegacySession } from "../../protocol/legacy/session.js";
import type { ServerCore } from "../../protocol/server-core.js";
import { isLegacyVersion } from "../../protocol/versions.js";
import type {
  SessionBusMessage,
  SessionSharing,
  SharedSessionChange,
  SharedSessionRecord,
  SharedStreamEvent,
} from "../../session-sharing.js";
import { EventStore } from "./event-store.js";
import { OutStream } from "./out-stream.js";
import type { SseWriter } from "./sse.js";
import { StreamFollower } from "./stream-follower.js";

export const STANDALONE_STREAM_ID = "g";

/** What a replica needs to reach the shared store. */
interface SharedLink {
  sharing: SessionSharing;
  /** This instance's tag: keeps its stream and request ids apart from other instances'. */
  tag: string;
  append(sessionId: string, stream: string, event: { seq?: number; data: string; end?: boolean }): void;
}

export class HttpSession {
  readonly legacy: LegacySession;
  readonly events: EventStore;
  /** Unsolicited messages (list changes, resource updates) ride this stream. */
  readonly standalone: OutStream;
  /** Live POST answer streams, by id, for resumption. */
  readonly streams = new Map<string, OutStream>();
  /** Shared streams carried on this instance's connections (sessions shared between instances). */
  readonly followers = new Set<StreamFollower>();
  private nextStream = 0;
  /** Who opened the session (`principalOf`; "" = anonymous): only they may use it. */
  principal = "";
  /** Shared: the instance that writes this session's announcements (see `SharedSessionRecord.listener`). */
  listener: string | undefined;

  constructor(
    id: string,
    server: ServerCore,
    eventStoreSize: number,
    private readonly shared?: SharedLink,
  ) {
    this.events = new EventStore(eventStoreSize);
    this.standalone = new OutStream(STANDALONE_STREAM_ID, this.events);
    // Shared: the standalone stream has writers on every instance, so the shared log numbers its events.
    const send = shared
      ? (m: JsonRpcMessage) => shared.append(id, STANDALONE_STREAM_ID, { data: JSON.stringify(m) })
      : (m: JsonRpcMessage) => this.standalone.write(m);
    this.legacy = new LegacySession(id, { send }, server.sessionOptions);
    if (shared) this.legacy.requestIdPrefix = `srv-${shared.tag}-`;
  }

  get id(): string {
    return this.legacy.id as string;
  }

  openStream(): OutStream {
    const shared = this.shared;
    const id = shared ? `p${++this.nextStream}-${shared.tag}` : `p${++this.nextStream}`;
    const mirror = shared ? (event: SharedStreamEvent) => shared.append(this.id, id, event) : undefined;
    // An empty event 0 opens the stream's log: a client resuming before the first event finds it.
    mirror?.({ seq: 0, data: "" });
    const stream = new OutStream(id, this.events, true, mirror);
    this.streams.set(stream.id, stream);
    return stream;
  }

  closeStream(stream: OutStream): void {
    stream.finish();
    this.streams.delete(stream.id);
  }

  /** Carries a shared stream on `sink`, from after `afterSeq`, until its end or the client leaves. */
  async follow(stream: string, sink: SseWriter, afterSeq: number): Promise<void> {
    const shared = this.shared;
    if (!shared) throw new Error("follow() needs shared sessions");
    const follower = new StreamFollower(stream, sink, afterSeq);
    this.followers.add(follower);
    follower.onClose(() => this.followers.delete(follower));
    try {
      const backlog = await shared.sharing.eventsAfter(this.id, stream, afterSeq);
      // A POST's stream with no log is unknown (or long over): nothing will come.
      if (backlog === undefined && stream !== STANDALONE_STREAM_ID) follower.end();
      else follower.catchUp(backlog ?? []);
    } catch (err) {
      follower.end();
      throw err;
    }
  }

  /** True while a client holds the standalone stream here (shared sessions). */
  get listening(): boolean {
    for (const f of this.followers) if (f.stream === STANDALONE_STREAM_ID && f.open) return true;
    return false;
  }

  /** True while the session has work in flight or a client listening. */
  get busy(): boolean {
    return (
      this.legacy.inflight.size > 0 || this.standalone.attached || this.streams.size > 0 || this.followers.size > 0
    );
  }

  /** Takes the shared record's state. */
  apply(record: SharedSessionRecord): void {
    const legacy = this.legacy;
    this.principal = record.principal;
    if (isLegacyVersion(record.protocolVersion)) legacy.protocolVersion = record.protocolVersion;
    legacy.clientInfo = record.clientInfo;
    legacy.clientCapabilities = record.clientCapabilities;
    legacy.initialized = true;
    legacy.ready = record.ready;
    legacy.logLevel = record.logLevel;
    legacy.subscriptions.clear();
    for (const uri of record.subscriptions) legacy.subscriptions.add(uri);
    this.listener = record.listener;
  }

  /** The shared record of this session's state. */
  record(): SharedSessionRecord {
    const legacy = this.legacy;
    const record: SharedSessionRecord = {
      principal: this.principal,
      protocolVersion: legacy.protocolVersion,
      clientCapabilities: legacy.clientCapabilities,
      ready: legacy.ready,
      subscriptions: [...legacy.subscriptions],
    };
    if (legacy.clientInfo) record.clientInfo = legacy.clientInfo;
    if (legacy.logLevel) record.logLevel = legacy.logLevel;
    if (this.listener) record.listener = this.listener;
    return record;
  }

  close(): void {
    this.legacy.close();
    this.standalone.finish();
    for (const stream of this.streams.values()) stream.finish();
    this.streams.clear();
    for (const follower of this.followers) follower.end();
    this.followers.clear();
  }
}

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
