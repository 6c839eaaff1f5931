/**
 * An abort switch whose AbortController is made only when someone looks at
 * the signal or pulls the switch. Most requests do neither, and an
 * AbortController per request is a measurable cost on the hot path.
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  private pulled = false;

  /**
   * @param onWatched Called once, when the signal is first looked at: a
   *   transport can start watching for the client going away only then
   *   (nobody could react to it before).
   */
  constructor(private readonly onWatched?: (abort: LazyAbort) => void) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      this.onWatched?.(this);
    }
    return this.controller.signal;
  }

  /** True once `abort()` was called. */
  get aborted(): boolean {
    return this.pulled;
  }

  abort(reason?: unknown): void {
    if (this.pulled) return;
    this.pulled = true;
    this.controller ??= new AbortController();
    this.controller.abort(reason);
  }
}
