/**
 * Legacy sessions over HTTP: each has a cryptographically random id, its
 * streams (the standalone GET stream and one per SSE-answered POST), and the
 * event store they resume from. Idle sessions expire.
 */
import { randomBytes } from "node:crypto";
import type { JsonRpcMessage } from "../../protocol/jsonrpc.js";
import { LegacySession } from "../../protocol/legacy/session.js";
import type { ServerCore } from "../../protocol/server-core.js";
import { EventStore } from "./event-store.js";
import { OutStream } from "./out-stream.js";

export const STANDALONE_STREAM_ID = "g";

export class HttpSession {
  readonly legacy: LegacySession;
  readonly events: EventStore;
  /** Unsolicited messages (list changes, resource updates) ride this stream. */
  readonly standalone: OutStream;
  /** Live POST answer streams, by id, for resumption. */
  readonly streams = new Map<string, OutStream>();
  private nextStream = 0;
  /** Who opened the session (`principalOf`; "" = anonymous): only they may use it. */
  principal = "";

  constructor(id: string, server: ServerCore, eventStoreSize: number) {
    this.events = new EventStore(eventStoreSize);
    this.standalone = new OutStream(STANDALONE_STREAM_ID, this.events);
    this.legacy = new LegacySession(
      id,
      { send: (m: JsonRpcMessage) => this.standalone.write(m) },
      server.sessionOptions,
    );
  }

  get id(): string {
    return this.legacy.id as string;
  }

  openStream(): OutStream {
    const stream = new OutStream(`p${++this.nextStream}`, this.events);
    this.streams.set(stream.id, stream);
    return stream;
  }

  closeStream(stream: OutStream): void {
    stream.finish();
    this.streams.delete(stream.id);
  }

  /** True while the session has work in flight or a client listening. */
  get busy(): boolean {
    return this.legacy.inflight.size > 0 || this.standalone.attached || this.streams.size > 0;
  }

  close(): void {
    this.legacy.close();
    this.standalone.finish();
    for (const stream of this.streams.values()) stream.finish();
    this.streams.clear();
  }
}

export class HttpSessions {
  private readonly sessions = new Map<string, HttpSession>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly server: ServerCore,
    private readonly options: { idleTimeoutMs: number; eventStoreSize: number; maxSessions: number },
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(options.idleTimeoutMs, 60_000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  get full(): boolean {
    return this.sessions.size >= this.options.maxSessions;
  }

  create(): HttpSession {
    const session = new HttpSession(randomBytes(16).toString("hex"), this.server, this.options.eventStoreSize);
    this.sessions.set(session.id, session);
    this.server.attachSession(session.legacy);
    return session;
  }

  get(id: string): HttpSession | undefined {
    return this.sessions.get(id);
  }

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
    for (const s of this.sessions.values()) s.standalone.finish();
  }

  closeAll(): void {
    clearInterval(this.sweeper);
    for (const id of [...this.sessions.keys()]) this.delete(id);
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.idleTimeoutMs;
    for (const [id, session] of this.sessions) {
      if (session.legacy.lastActivity < cutoff && !session.busy) this.delete(id);
    }
  }
}
