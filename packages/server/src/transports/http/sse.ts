/**
 * Server-Sent Events on a raw Node response: headers that keep proxies from
 * buffering, events with ids, keep-alive comments, and a clean end.
 */
import type { ServerResponse } from "node:http";

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  // nginx and some other proxies buffer responses unless told not to.
  "x-accel-buffering": "no",
};

export class SseWriter {
  private keepAlive: NodeJS.Timeout | undefined;
  private ended = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    headers: Record<string, string>,
    keepAliveMs: number,
  ) {
    res.writeHead(200, { ...SSE_HEADERS, ...headers });
    res.flushHeaders();
    if (keepAliveMs > 0) {
      this.keepAlive = setInterval(() => this.comment("keepalive"), keepAliveMs);
      this.keepAlive.unref();
    }
    res.on("close", () => this.finish());
  }

  get open(): boolean {
    return !this.ended && !this.res.destroyed;
  }

  /** Writes one event. `data` is sent as is (one line of JSON). */
  event(id: string | undefined, data: string, retryMs?: number): void {
    if (!this.open) return;
    let frame = "";
    if (id !== undefined) frame += `id: ${id}\n`;
    if (retryMs !== undefined) frame += `retry: ${retryMs}\n`;
    frame += `event: message\ndata: ${data}\n\n`;
    this.res.write(frame);
  }

  comment(text: string): void {
    if (this.open) this.res.write(`: ${text}\n\n`);
  }

  /** Runs `listener` once the stream has ended, by us or by the client going away. */
  onClose(listener: () => void): void {
    if (this.ended) listener();
    else this.closeListeners.push(listener);
  }

  end(): void {
    if (!this.ended && !this.res.destroyed) this.res.end();
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.keepAlive) clearInterval(this.keepAlive);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
