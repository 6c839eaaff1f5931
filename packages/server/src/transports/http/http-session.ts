/**
 * One legacy session over HTTP: its protocol state (a `LegacySession`), its
 * streams (the standalone GET stream and one per SSE-answered POST) and the
 * event store they resume from. Shared between instances, it is a replica of
 * the record in the shared store: `apply` takes the record, `record` gives
 * it, its events are mirrored to the shared log, and streams another
 * instance writes are carried here by followers.
 */
import type { JsonRpcMessage } from "../../protocol/jsonrpc.js";
import { LegacySession } from "../../protocol/legacy/session.js";
import type { ServerCore } from "../../protocol/server-core.js";
import { isLegacyVersion } from "../../protocol/versions.js";
import type { SessionSharing, SharedSessionRecord, SharedStreamEvent } from "../../session-sharing.js";
import { EventStore } from "./event-store.js";
import { OutStream } from "./out-stream.js";
import type { SseWriter } from "./sse.js";
import { StreamFollower } from "./stream-follower.js";

export const STANDALONE_STREAM_ID = "g";

/** What a replica needs to reach the shared store. */
export interface SharedLink {
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
