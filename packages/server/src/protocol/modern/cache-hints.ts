/**
 * Caching hints (2026-07-28 `CacheableResult`): how long a client may reuse a
 * list, a resource read or the discovery result, and whether shared caches may.
 */
export interface CacheHint {
  /** Freshness in milliseconds (0: do not reuse without asking again). */
  ttlMs: number;
  /** "private": only this client may cache; "public": shared intermediaries may too. */
  cacheScope: "public" | "private";
}

export interface CacheHints {
  /** tools/list, prompts/list, resources/list, resources/templates/list. */
  lists: CacheHint;
  /** server/discover. */
  discover: CacheHint;
  /** resources/read, unless the resource sets its own. */
  resources: CacheHint;
}

/**
 * Defaults: lists and discovery may be reused for a minute (list_changed
 * subscriptions tell clients sooner); reads are fresh each time unless the
 * resource says otherwise. Private, since what a server shows may depend on
 * who asks.
 */
export const DEFAULT_CACHE_HINTS: CacheHints = {
  lists: { ttlMs: 60_000, cacheScope: "private" },
  discover: { ttlMs: 300_000, cacheScope: "private" },
  resources: { ttlMs: 0, cacheScope: "private" },
};

export function checkCacheHint(hint: CacheHint, what: string): CacheHint {
  if (!Number.isSafeInteger(hint.ttlMs) || hint.ttlMs < 0) throw new TypeError(`${what}: ttlMs must be an integer ≥ 0`);
  if (hint.cacheScope !== "public" && hint.cacheScope !== "private") {
    throw new TypeError(`${what}: cacheScope must be "public" or "private"`);
  }
  return hint;
}
