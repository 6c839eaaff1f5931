/**
 * How the Redis backend connects, so that an outage is short and visible: while
 * Redis is down or hung every command fails within a bounded time (a request
 * answers 503 within a second instead of queueing), and reconnection is tried
 * often enough that service returns within about a second of Redis.
 */
import type { Redis, RedisOptions } from "ioredis";

/** The connection's time limits; each has a default suited to a Redis on the same network. */
export interface RedisConnectionSettings {
  /**
   * Longest wait for a command's reply before it fails; also how long the
   * connection may stay silent while a reply is due before it is presumed
   * dead and replaced (default 500 ms).
   */
  commandTimeoutMs?: number;
  /** Longest wait for the TCP (and TLS) connection itself (default 2000 ms). */
  connectTimeoutMs?: number;
  /** Longest pause between reconnection attempts (default 1000 ms). */
  maxReconnectDelayMs?: number;
}

/** The defaults of `RedisConnectionSettings`. */
export const DEFAULT_REDIS_CONNECTION_SETTINGS: Readonly<Required<RedisConnectionSettings>> = Object.freeze({
  // Our commands are single keys or short scripts that Redis answers in well
  // under a millisecond: half a second of silence means it is hung or cut
  // off, and it leaves half of a one-second budget for the rest of a request.
  commandTimeoutMs: 500,
  // Generous for a TLS handshake across a data centre; an attempt that hangs
  // longer (a host that drops packets) is abandoned and tried again.
  connectTimeoutMs: 2000,
  // Service is back at most this long after Redis is; a refused attempt costs
  // next to nothing, so trying once a second during an outage is cheap.
  maxReconnectDelayMs: 1000,
});

/**
 * The ioredis options of a client that fails fast and reconnects promptly:
 * what `RedisBackend` opens from a URL. A `duplicate()` of such a client (for
 * pub/sub, say) inherits them. Two of them matter to such a connection: with
 * no offline queue, a command sent before the connection is ready fails (wait
 * for the `ready` event, or pass `{ enableOfflineQueue: true }`); and a
 * blocking command (`BLPOP`, `XREAD BLOCK`) would outlast the silence allowed,
 * so pass `{ socketTimeout: undefined, commandTimeout: undefined }` for those.
 */
export function redisConnectionOptions(settings: RedisConnectionSettings = {}): RedisOptions {
  const { commandTimeoutMs, connectTimeoutMs, maxReconnectDelayMs } = resolve(settings);
  return {
    commandTimeout: commandTimeoutMs,
    // A Redis that stops answering (SIGSTOP, a cut cable) keeps its TCP
    // connection open: without this every command would wait out its own
    // timeout. Dropping the silent socket sends later commands straight to
    // failure and puts reconnection, whose ready check is the probe, in charge.
    socketTimeout: commandTimeoutMs,
    connectTimeout: connectTimeoutMs,
    // 100 ms, 200 ms, … then every `maxReconnectDelayMs`, for as long as Redis is away.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, maxReconnectDelayMs),
    // While disconnected a command fails at once instead of waiting in a queue
    // for a Redis that may be gone for minutes (`ConnectionGate` covers start-up).
    enableOfflineQueue: false,
    // Commands in flight when the connection drops fail then, not after reconnecting.
    maxRetriesPerRequest: 0,
    // A command whose caller already gave up (and answered 503) must not run
    // later on a new connection: it could consume a code the client will retry.
    autoResendUnfulfilledCommands: false,
  };
}

/** `settings` with every default filled in; throws `RangeError` for a time that is not a positive number. */
function resolve(settings: RedisConnectionSettings): Required<RedisConnectionSettings> {
  const resolved = { ...DEFAULT_REDIS_CONNECTION_SETTINGS };
  for (const [name, value] of Object.entries(settings) as [keyof RedisConnectionSettings, number | undefined][]) {
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`Redis ${name} must be a positive number`);
    resolved[name] = value;
  }
  return resolved;
}

/**
 * Holds commands back while a client without an offline queue makes its
 * first connection: a server that takes a request a moment after starting
 * would otherwise answer 503 although Redis is about to be there. The wait is
 * the client's command timeout at most, and ends early if the attempt fails.
 * After that attempt nothing is held: during an outage every command fails
 * at once, and ioredis answers or fails it itself.
 */
export class ConnectionGate {
  readonly #client: Redis;
  // The first connection attempt's outcome (ready or not); undefined once it has one.
  #firstConnection: Promise<boolean> | undefined;

  constructor(client: Redis) {
    this.#client = client;
    if (client.status === "ready" || client.options.enableOfflineQueue !== false) return;
    this.#firstConnection = new Promise<boolean>((resolve) => {
      const onReady = () => {
        client.off("close", onClose);
        this.#firstConnection = undefined;
        resolve(true);
      };
      // A failed first attempt means an outage from the start: from then on commands fail at once.
      const onClose = () => {
        client.off("ready", onReady);
        this.#firstConnection = undefined;
        resolve(false);
      };
      client.once("ready", onReady);
      client.once("close", onClose);
    });
  }

  /** Resolves when a command may be sent; rejects when the first connection fails or is too slow. */
  async whenConnected(): Promise<void> {
    const first = this.#firstConnection;
    if (first === undefined) return;
    const { status } = this.#client;
    if (status !== "connecting" && status !== "connect") return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      const waitMs = this.#client.options.commandTimeout ?? DEFAULT_REDIS_CONNECTION_SETTINGS.commandTimeoutMs;
      timer = setTimeout(() => resolve(false), waitMs);
    });
    try {
      if (!(await Promise.race([first, timedOut]))) throw new Error(`Redis is not connected yet (${status})`);
    } finally {
      clearTimeout(timer);
    }
  }
}
