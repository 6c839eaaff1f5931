/**
 * A lease lock on a `StoreBackend`: set-if-absent with a TTL, released in
 * `finally`. With Redis it holds across instances, which is what lets many
 * concurrent requests (on many servers) refresh one upstream token once: the
 * first caller refreshes under the lock, the others wait for it and then find
 * the fresh token.
 */
import type { StoreBackend } from "./backend.js";
import { randomId } from "./crypto.js";
import { TokenStoreError } from "./errors.js";

/** How a lock is held and waited for. */
export interface LockOptions {
  /**
   * How long the lock holds if its owner never releases it (a crashed
   * process): longer than the work under it should ever take.
   */
  ttlMs: number;
  /** How long to wait for a lock held by someone else before failing with `lock_timeout` (default: `ttlMs`). */
  waitMs?: number;
  /** How often to try again while waiting (default 25 ms). */
  retryMs?: number;
}

/**
 * Runs `fn` while holding the lock at `key`, waiting for it if another caller
 * holds it. The lock is released when `fn` settles, whether it returns or
 * throws, but only if it is still ours: a lock that outlived its TTL and was
 * taken by someone else is left alone.
 */
export async function withBackendLock<T>(
  backend: StoreBackend,
  key: string,
  options: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const owner = randomId(16);
  const retryMs = Math.max(1, options.retryMs ?? 25);
  const deadline = Date.now() + (options.waitMs ?? options.ttlMs);
  while (!(await backend.setIfAbsent(key, owner, options.ttlMs))) {
    if (Date.now() >= deadline)
      throw new TokenStoreError("lock_timeout", "Timed out waiting for a lock held by another caller");
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
  try {
    return await fn();
  } finally {
    // A failed release must not hide fn's outcome: the TTL frees the lock anyway.
    await backend.deleteIfEquals(key, owner).catch(() => false);
  }
}
