/**
 * The in-process backend: the default, for development and single-instance
 * servers. Node runs one callback at a time and no method awaits midway, so
 * each operation is atomic as it stands. Expired entries are never returned;
 * they are removed when touched, and a bounded sweep on every write reclaims
 * those nobody touches again (no timer, so nothing keeps the process alive).
 */
import { type Retained, type StoreBackend, toTtlMs } from "./backend.js";

interface Entry {
  value: string;
  /** Epoch ms after which the entry is gone; `undefined` = never. */
  expiresAt: number | undefined;
}

/** Options of `MemoryBackend`. */
export interface MemoryBackendOptions {
  /**
   * How many entries each write inspects for expiry (default 16). Each write
   * does at most this much cleanup, and a map that keeps being written to is
   * swept end to end over time.
   */
  sweepBatch?: number;
}

/** A `StoreBackend` in a `Map`, for one process. */
export class MemoryBackend implements StoreBackend {
  readonly #entries = new Map<string, Entry>();
  readonly #sweepBatch: number;
  // A live iterator: Map iterators survive insertions and deletions, so the
  // sweep resumes where it left off instead of rescanning from the start.
  #cursor: MapIterator<[string, Entry]> | undefined;

  constructor(options: MemoryBackendOptions = {}) {
    this.#sweepBatch = Math.max(1, Math.floor(options.sweepBatch ?? 16));
  }

  /** Entries held, including expired ones not yet swept (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  async get(key: string): Promise<string | undefined> {
    return this.#live(key)?.value;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#write(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    if (this.#live(key)) return false;
    this.#write(key, value, ttlMs);
    return true;
  }

  async take(key: string): Promise<string | undefined> {
    const entry = this.#live(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    return entry.value;
  }

  async takeAndRetain(key: string, retainKey: string, retainMs: number): Promise<Retained> {
    const ttl = toTtlMs(retainMs);
    const entry = this.#live(key);
    if (entry) {
      this.#entries.delete(key);
      this.#write(retainKey, entry.value, ttl);
      return { state: "taken", value: entry.value };
    }
    const retained = this.#live(retainKey);
    return retained ? { state: "taken-before", value: retained.value } : { state: "absent" };
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.#live(key) !== undefined;
    this.#entries.delete(key);
    return existed;
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    if (this.#live(key)?.value !== value) return false;
    this.#entries.delete(key);
    return true;
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const ttl = toTtlMs(ttlMs);
    const entry = this.#live(key);
    if (!entry) {
      this.#write(key, "1", ttl);
      return 1;
    }
    // Keep the window's original expiry: counting must not extend it.
    const count = Number(entry.value) + 1;
    entry.value = String(count);
    return count;
  }

  /** Removes every expired entry now (a full pass; writes already do this gradually). */
  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (isExpired(entry, now)) this.#entries.delete(key);
  }

  async close(): Promise<void> {
    this.#entries.clear();
    this.#cursor = undefined;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (isExpired(entry, Date.now())) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #write(key: string, value: string, ttlMs: number | undefined): void {
    const expiresAt = ttlMs === undefined ? undefined : Date.now() + toTtlMs(ttlMs);
    // Delete first so a rewritten key moves to the end of the sweep order.
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt });
    this.#sweepSome();
  }

  #sweepSome(): void {
    const now = Date.now();
    for (let i = 0; i < this.#sweepBatch; i++) {
      this.#cursor ??= this.#entries.entries();
      const next = this.#cursor.next();
      if (next.done) {
        // One pass finished; the next write starts another.
        this.#cursor = undefined;
        return;
      }
      const [key, entry] = next.value;
      if (isExpired(entry, now)) this.#entries.delete(key);
    }
  }
}

const isExpired = (entry: Entry, now: number): boolean => entry.expiresAt !== undefined && entry.expiresAt <= now;
