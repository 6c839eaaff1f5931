/**
 * The storage seam under `TokenStore`: a handful of key/value operations,
 * each atomic on its own, that a memory map and Redis both provide. The
 * facade builds every rule (single use, replay detection, rotation, locks)
 * from these, so a backend only has to get these few right.
 */

/** What `takeAndRetain` found. */
export type Retained =
  /** The value was there; it has now moved to the retain key. */
  | { state: "taken"; value: string }
  /** The value was taken earlier: this is the copy kept at the retain key. */
  | { state: "taken-before"; value: string }
  /** Neither the value nor a retained copy exists (never stored, or expired). */
  | { state: "absent" };

/**
 * A key/value store with expiry. Values are strings (the facade stores JSON
 * or ciphertext); TTLs are milliseconds, rounded up to a whole millisecond,
 * and must be positive. Every method is atomic with respect to every other
 * call on the same keys, including calls from other processes sharing the
 * same backing store (for Redis).
 */
export interface StoreBackend {
  /** The value at `key`, or `undefined` when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value`, replacing any previous one; without `ttlMs` it never expires. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Stores `value` only if `key` holds nothing; `true` when this call stored it. */
  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;
  /** Reads and deletes in one step: of many concurrent takes of one key, exactly one gets the value. */
  take(key: string): Promise<string | undefined>;
  /**
   * Takes the value at `key` and keeps a copy at `retainKey` for `retainMs`,
   * in one step, so a second take can tell "used already" from "never
   * existed" (replayed authorization codes). When `key` is absent, reports
   * the retained copy if there is one.
   */
  takeAndRetain(key: string, retainKey: string, retainMs: number): Promise<Retained>;
  /** Deletes `key`; `true` when something was there. */
  delete(key: string): Promise<boolean>;
  /** Deletes `key` only while it still holds `value` (releasing a lock we own, not a successor's). */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  /**
   * Adds one to the counter at `key` and returns the new count. The first
   * increment starts the counter's `ttlMs` window; later ones don't extend it.
   */
  increment(key: string, ttlMs: number): Promise<number>;
  /** Releases what the backend holds (connections it opened, timers). */
  close(): Promise<void>;
}

/**
 * Validates a TTL and rounds it up to whole milliseconds (Redis `PX` takes
 * integers, and rounding down could turn 0.5 ms into "no expiry").
 */
export function toTtlMs(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`TTL must be a positive number of ms, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}
