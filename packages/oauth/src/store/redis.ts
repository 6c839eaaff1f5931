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
import { ConnectionGate, type RedisConnectionSettings, redisConnectionOptions } from "./redis-connection.js";

export {
  DEFAULT_REDIS_CONNECTION_SETTINGS,
  type RedisConnectionSettings,
  redisConnectionOptions,
} from "./redis-connection.js";

/** Prepended to every Redis key unless `keyPrefix` says otherwise. */
export const DEFAULT_REDIS_KEY_PREFIX = "chuk-mcp:";

/** Options of `RedisBackend`: where Redis is, and how keys are named there. */
export type RedisBackendOptions = (
  | {
      /**
       * `redis://` or `rediss://` URL; the backend opens (and `close()` quits)
       * its own connection, with the options of `redisConnectionOptions()`.
       */
      url: string;
      client?: undefined;
      /** Time limits of that connection (defaults: `DEFAULT_REDIS_CONNECTION_SETTINGS`). */
      connection?: RedisConnectionSettings;
    }
  | {
      /**
       * An existing ioredis client; the backend never quits it (its owner
       * does). Its own options decide how an outage behaves: open it with
       * `redisConnectionOptions()` for the same prompt failures.
       */
      client: Redis;
      url?: undefined;
      connection?: undefined;
    }
) & {
  /** Prepended to every key (default `chuk-mcp:`), to share a Redis with other applications. */
  keyPrefix?: string;
  /**
   * Told when the connection is lost (once per outage) and restored (never
   * given the URL, which may hold a password).
   */
  logger?: {
    warn(obj: Record<string, unknown>, msg: string): void;
    info?(obj: Record<string, unknown>, msg: string): void;
  };
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
  readonly #gate: ConnectionGate;

  constructor(options: RedisBackendOptions) {
    this.#prefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
    if (options.client) {
      this.client = options.client;
      this.#owned = false;
    } else {
      this.client = new Redis(options.url, redisConnectionOptions(options.connection));
      this.#owned = true;
      reportOutages(this.client, options.logger);
    }
    this.#gate = new ConnectionGate(this.client);
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
   * Runs one command, once a connection attempt under way has finished. A
   * failure to reach Redis (refused, reset, timed out, not connected) becomes
   * `TokenStoreError("unavailable")`, answered 503 with Retry-After; an error
   * reply (a key of the wrong type, a failing script) becomes
   * `TokenStoreError("command_failed")`, a fault that retrying will not mend.
   */
  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      await this.#gate.whenConnected();
      return await command();
    } catch (cause) {
      // Our own checks (bad TTL, unexpected reply) are neither.
      if (cause instanceof TypeError || cause instanceof RangeError || cause instanceof TokenStoreError) throw cause;
      throw storeErrorOf(cause);
    }
  }

  #key(key: string): string {
    return this.#prefix + key;
  }
}

/**
 * Error replies that mean "not now" rather than "never": Redis is loading its
 * data, busy with a long script, a replica cut off from its primary or just
 * demoted (a failover), out of memory or unable to persist.
 */
const TRANSIENT_REPLIES = new Set(["LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "OOM", "MISCONF"]);

/**
 * The `TokenStoreError` for what an ioredis command failed with. The cause
 * kept is a plain error with the same name and message: ioredis attaches the
 * command's arguments (keys and stored records) to its errors, and those must
 * not reach a log.
 */
function storeErrorOf(failure: unknown): TokenStoreError {
  const name = failure instanceof Error ? failure.name : "Error";
  const message = failure instanceof Error ? failure.message : String(failure);
  const cause = Object.assign(new Error(message), { name });
  const reply = name === "ReplyError" ? (message.split(" ", 1)[0] ?? "") : undefined;
  if (reply === undefined || TRANSIENT_REPLIES.has(reply)) {
    return new TokenStoreError("unavailable", "The Redis store is unavailable", { cause });
  }
  return new TokenStoreError("command_failed", `Redis answered a command with an error (${reply})`, { cause });
}

/**
 * Logs a lost connection once per outage (ioredis reports every failed
 * reconnection attempt, one a second) and its return. The error listener
 * also keeps ioredis from printing connection errors to the console itself.
 */
function reportOutages(client: Redis, logger: RedisBackendOptions["logger"]): void {
  let down = false;
  let lastError: string | undefined;
  client.on("error", (err: Error) => {
    lastError = err.message;
  });
  // Emitted whenever a connection (or an attempt) ended and another is scheduled.
  client.on("reconnecting", () => {
    if (down) return;
    down = true;
    logger?.warn(
      { err: lastError ?? "connection closed" },
      "Redis connection lost: store requests fail until it is back",
    );
  });
  client.on("ready", () => {
    lastError = undefined;
    if (!down) return;
    down = false;
    logger?.info?.({}, "Redis connection restored");
  });
}
