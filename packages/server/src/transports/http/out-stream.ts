/**
 * One logical SSE stream of a session (the answer stream of a POST, or the
 * standalone GET stream). It outlives the HTTP connection carrying it: what
 * it sends while no connection is attached is kept in the event store and
 * replayed when the client comes back with `Last-Event-ID`.
 */
import type { JsonRpcMessage } from "../../protocol/jsonrpc.js";
import type { SharedStreamEvent } from "../../session-sharing.js";
import { type EventStore, formatEventId } from "./event-store.js";
import type { SseWriter } from "./sse.js";

export class OutStream {
  private seq = 0;
  /** The last event written to a live connection. */
  private sentSeq = 0;
  private sink: SseWriter | undefined;
  done = false;

  constructor(
    readonly id: string,
    private readonly store: EventStore,
    /** False in the modern era, which has no event ids (nor resumption). */
    private readonly withIds = true,
    /** Copies every event to the shared log, so another instance can resume the stream. */
    private readonly mirror?: (event: SharedStreamEvent) => void,
  ) {}

  get attached(): boolean {
    return this.sink?.open === true;
  }

  write(message: JsonRpcMessage): void {
    const data = JSON.stringify(message);
    const seq = ++this.seq;
    this.store.add({ streamId: this.id, seq, data });
    this.mirror?.({ seq, data });
    if (this.sink?.open) {
      this.sink.event(this.withIds ? formatEventId(this.id, seq) : undefined, data);
      this.sentSeq = seq;
    }
  }

  /**
   * Carries the stream on a (new) connection: first what the client missed
   * after `afterSeq` (default: what no connection carried), then what follows.
   */
  attach(sink: SseWriter, afterSeq: number = this.sentSeq): void {
    if (this.sink?.open) this.sink.end();
    this.sink = sink;
    for (const event of this.store.after(this.id, afterSeq)) {
      sink.event(formatEventId(this.id, event.seq), event.data);
      this.sentSeq = event.seq;
    }
    sink.onClose(() => {
      if (this.sink === sink) this.sink = undefined;
    });
    if (this.done) sink.end();
  }

  /** The id of an event that carries no message: it lets a client resume from the start. */
  primingEventId(): string {
    return formatEventId(this.id, this.seq);
  }

  /** Lets go of the connection (ending it) while the stream goes on. */
  detach(): void {
    const sink = this.sink;
    this.sink = undefined;
    sink?.end();
  }

  /** No more messages: ends the connection, if one is attached. */
  finish(): void {
    if (!this.done) this.mirror?.({ seq: ++this.seq, data: "", end: true });
    this.done = true;
    this.sink?.end();
  }
}
