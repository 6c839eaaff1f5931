/**
 * Carries a shared stream (sessions shared between instances) on one client
 * connection: first the events the client missed, read from the shared log,
 * then the live ones as the bus delivers them — in order, each once, up to
 * the stream's end marker. Live events that arrive while the log is being
 * read wait, so none slips between the two.
 */
import type { SharedStreamEvent } from "../../session-sharing.js";
import { formatEventId } from "./event-store.js";
import type { SseWriter } from "./sse.js";

export class StreamFollower {
  private sentSeq: number;
  /** Live events held until the backlog has been sent; undefined once it has. */
  private held: SharedStreamEvent[] | undefined = [];

  constructor(
    readonly stream: string,
    private readonly sink: SseWriter,
    afterSeq: number,
  ) {
    this.sentSeq = afterSeq;
  }

  get open(): boolean {
    return this.sink.open;
  }

  onClose(listener: () => void): void {
    this.sink.onClose(listener);
  }

  /** Sends the backlog, then what was held meanwhile; from now on events go straight out. */
  catchUp(backlog: SharedStreamEvent[]): void {
    for (const event of backlog) this.send(event);
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) this.send(event);
  }

  /** An event from the bus. */
  receive(event: SharedStreamEvent): void {
    if (this.held) this.held.push(event);
    else this.send(event);
  }

  private send(event: SharedStreamEvent): void {
    if (event.seq <= this.sentSeq || !this.sink.open) return;
    this.sentSeq = event.seq;
    if (event.end) this.sink.end();
    else this.sink.event(formatEventId(this.stream, event.seq), event.data);
  }

  end(): void {
    this.sink.end();
  }
}
