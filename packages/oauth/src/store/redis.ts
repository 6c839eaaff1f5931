/**
 * The Redis backend: for production and for several instances sharing one
 * store. Each operation is a single Redis command or a single Lua script, so
 * it is atomic across every client of the same Redis. Needs Redis >= 6.2
 * (GETDEL); a single node or a Sentinel set-up (scripts touch two keys, which
 * Redis Cluster would require to share a hash slot).
 */

import { Redis } from "ioredis";
import { type Retained, type StoreBackend, toTtlMs } from "./backend.js";
import { TokenStoreError } from "./errors.js";

/** Options of `RedisBackend`: where Redis is, and how keys are named there. */
export type RedisBackendOptions = (
  | {
      /** `redis://` or `rediss://` URL; the backend opens (and `close()` quits) its own connection. */
      url: string;
      client?: undefined;
    }
  | {
      /** An existing ioredis client; the backend never quits it (its owner does). */
      client: Redis;
      url?: undefined;
    }
) & {
  /** Prepended to every key (default `chuk-mcp:`), to share a Redis with other applications. */
  keyPrefix?: string;
  /** Told about connection errors (never given the URL, which may hold a password). */
  logger?: { warn(obj: Record<string, unknown>, msg: string): void };
};

// GETDEL the value; if it was there, keep a copy under the retain key.
// Otherwise report the retained copy, so a replay is told from a stranger.
const TAKE_AND_RETAIN = `
local v = redis.call('GETDEL', KEYS[1])
if v then
  redis.call('SET', KEYS[2], v, 'PX', ARGV[1])
  return {1, v}
end
local r = redis.call('GET', KEYS[2])
if r then return {2, r} end
return {0}
`;

const DELETE_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

// The window starts with the first increment: later ones leave the expiry alone.
const INCREMENT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`;

/** A `StoreBackend` on Redis (ioredis). */
export class RedisBackend implements StoreBackend {
  /** The ioredis client in use (the one passed in, or the one opened from the URL). */
  readonly client: Redis;
  readonly #prefix: string;
  readonly #owned: boolean;

  constructor(options: RedisBackendOptions) {
    this.#prefix = options.keyPrefix ?? "chuk-mcp:";
    if (options.client) {
      this.client = options.client;
      this.#owned = false;
    } else {
      this.client = new Redis(options.url, { maxRetriesPerRequest: 3 });
      this.#owned = true;
      // Without a listener ioredis prints errors to the console itself.
      const logger = options.logger;
      this.client.on("error", (err: Error) => logger?.warn({ err: err.message }, "Redis connection error"));
    }
  }

  async get(key: string): Promise<string | undefined> {
    return this.#run(async () => {
      return (await this.client.get(this.#key(key))) ?? undefined;
    });
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.#run(async () => {
      if (ttlMs === undefined) await this.client.set(this.#key(key), value);
      else await this.client.set(this.#key(key), value, "PX", toTtlMs(ttlMs));
    });
  }

  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    return this.#run(async () => {
      const reply =
        ttlMs === undefined
          ? await this.client.set(this.#key(key), value, "NX")
          : await this.client.set(this.#key(key), value, "PX", toTtlMs(ttlMs), "NX");
      return reply === "OK";
    });
  }

  async take(key: string): Promise<string | undefined> {
    return this.#run(async () => {
      return (await this.client.getdel(this.#key(key))) ?? undefined;
    });
  }

  async takeAndRetain(key: string, retainKey: string, retainMs: number): Promise<Retained> {
    return this.#run(async () => {
      const reply = await this.client.eval(TAKE_AND_RETAIN, 2, this.#key(key), this.#key(retainKey), toTtlMs(retainMs));
      if (!Array.isArray(reply)) throw new TypeError("unexpected reply from Redis");
      const [state, value] = reply as [number, string | undefined];
      if (state === 1 && typeof value === "string") return { state: "taken", value };
      if (state === 2 && typeof value === "string") return { state: "taken-before", value };
      return { state: "absent" };
    });
  }

  async delete(key: string): Promise<boolean> {
    return this.#run(async () => {
      return (await this.client.del(this.#key(key))) > 0;
    });
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    return this.#run(async () => {
      return (await this.client.eval(DELETE_IF_EQUALS, 1, this.#key(key), value)) === 1;
    });
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    return this.#run(async () => {
      return Number(await this.client.eval(INCREMENT, 1, this.#key(key), toTtlMs(ttlMs)));
    });
  }

  async close(): Promise<void> {
    if (!this.#owned) return;
    // QUIT lets queued commands finish; if the server is gone, just drop the socket.
    await this.client.quit().catch(() => this.client.disconnect());
  }

  /**
   * Runs one command; a failure of Redis itself (refused, reset, retries
   * exhausted) becomes `TokenStoreError("unavailable")`, so callers can
   * answer 503 instead of a 500.
   */
  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (cause) {
      // Our own checks (bad TTL, unexpected reply) are not outages.
      if (cause instanceof TypeError || cause instanceof RangeError || cause instanceof TokenStoreError) throw cause;
      throw new TokenStoreError("unavailable", "The Redis store is unavailable", { cause });
    }
  }

  #key(key: string): string {
    return this.#prefix + key;
  }
}
