/**
 * The events a session's SSE streams carried, kept (bounded) so a client that
 * lost a stream can resume it with `Last-Event-ID`. An event id names its
 * stream and its place in it: `<stream>_<seq>`.
 */

export interface StoredEvent {
  streamId: string;
  seq: number;
  data: string;
}

export const formatEventId = (streamId: string, seq: number): string => `${streamId}_${seq}`;

export function parseEventId(eventId: string): { streamId: string; seq: number } | undefined {
  const cut = eventId.lastIndexOf("_");
  if (cut <= 0) return undefined;
  const digits = eventId.slice(cut + 1);
  // Decimal digits only: Number() alone would also take "", " 5", "1e3" and "0x10".
  if (!/^\d+$/.test(digits)) return undefined;
  const seq = Number(digits);
  if (!Number.isSafeInteger(seq)) return undefined;
  return { streamId: eventId.slice(0, cut), seq };
}

/** A ring of the most recent events of one session. */
export class EventStore {
  private readonly events: StoredEvent[] = [];

  constructor(private readonly capacity: number) {}

  add(event: StoredEvent): void {
    if (this.capacity <= 0) return;
    if (this.events.length >= this.capacity) this.events.shift();
    this.events.push(event);
  }

  /** Events of `streamId` after `seq`, oldest first. */
  after(streamId: string, seq: number): StoredEvent[] {
    return this.events.filter((e) => e.streamId === streamId && e.seq > seq);
  }
}
