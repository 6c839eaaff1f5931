/**
 * An abort switch whose AbortController is made only when someone looks at
 * the signal or pulls the switch. Most requests do neither, and an
 * AbortController per request is a measurable cost on the hot path.
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  private pulled = false;

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
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
