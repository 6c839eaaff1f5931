/**
 * MCP legacy sessions shared between instances on Redis (see
 * `SessionSharing` in `@chuk-mcp/server`). The OAuth middleware installs it
 * when its token store is on Redis, on the same connection; a second
 * connection (a duplicate, same settings) listens to the bus.
 *
 * Keys, under `<keyPrefix>`: `s:<id>` (a hash: the record's fields),
 * `s:<id>:subs` (a set: resource subscriptions), `s:<id>:e:<stream>` (a
 * list: the stream's recent events), `s:<id>:n:<stream>` (the counter of
 * streams with several writers) and `t:<id>` (a task's state); the bus is
 * the channel `<keyPrefix>bus`.
 * Everything expires with the session's idle timeout.
 */
import type {
  SessionBusMessage,
  SessionSharing,
  SharedAppendOptions,
  SharedSessionChange,
  SharedSessionRecord,
  SharedStreamEvent,
  SharedTaskRecord,
} from "@chuk-mcp/server";
import type { Redis } from "ioredis";

/** Options of `RedisSessionSharing`. */
export interface RedisSessionSharingOptions {
  /** The connection to use (never closed here: its owner closes it). Its settings are copied for the bus. */
  client: Redis;
  /** Prepended to every key and to the bus channel; instances share sessions when they share it. */
  keyPrefix: string;
  /** Told about bus connection errors and messages it cannot read. */
  logger?: { warn(obj: Record<string, unknown>, msg: string): void };
}

// Changes a record only while the session lives: an update racing a DELETE must not bring it back.
const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local c = cjson.decode(ARGV[1])
if c.ready ~= nil then redis.call('HSET', KEYS[1], 'ready', c.ready and '1' or '0') end
if c.logLevel == cjson.null then redis.call('HDEL', KEYS[1], 'logLevel')
elseif c.logLevel ~= nil then redis.call('HSET', KEYS[1], 'logLevel', c.logLevel) end
if c.listener then redis.call('HSET', KEYS[1], 'listener', c.listener) end
if c.subscribe then for _, uri in ipairs(c.subscribe) do redis.call('SADD', KEYS[2], uri) end end
if c.unsubscribe then for _, uri in ipairs(c.unsubscribe) do redis.call('SREM', KEYS[2], uri) end end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
`;

// Numbers (or takes the writer's number), keeps, trims and publishes in one step, so the log's
// order, the bus's order and the numbers agree.
const APPEND = `
local seq
if ARGV[1] == '' then
  seq = redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
else
  seq = tonumber(ARGV[1])
end
local isEnd = ARGV[3] == '1'
local capacity = tonumber(ARGV[4])
if capacity > 0 then
  redis.call('RPUSH', KEYS[1], cjson.encode({s = seq, d = ARGV[2], e = isEnd}))
  redis.call('LTRIM', KEYS[1], -capacity, -1)
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
redis.call('PUBLISH', ARGV[6], cjson.encode({type = 'event', session = ARGV[7], stream = ARGV[8], seq = seq, data = ARGV[2], ['end'] = isEnd}))
return seq
`;

interface StoredEntry {
  s: number;
  d: string;
  e?: boolean;
}

/** `SessionSharing` on Redis (ioredis). Needs Redis >= 6.2, a single node or Sentinel. */
export class RedisSessionSharing implements SessionSharing {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #logger: RedisSessionSharingOptions["logger"];
  #subscriber: Redis | undefined;

  constructor(options: RedisSessionSharingOptions) {
    this.#client = options.client;
    this.#prefix = options.keyPrefix;
    this.#channel = `${options.keyPrefix}bus`;
    this.#logger = options.logger;
  }

  #session(id: string): string {
    return `${this.#prefix}s:${id}`;
  }

  async create(id: string, record: SharedSessionRecord, ttlMs: number): Promise<void> {
    const key = this.#session(id);
    const fields: Record<string, string> = {
      principal: record.principal,
      protocolVersion: record.protocolVersion,
      clientCapabilities: JSON.stringify(record.clientCapabilities),
      ready: record.ready ? "1" : "0",
    };
    if (record.clientInfo) fields.clientInfo = JSON.stringify(record.clientInfo);
    if (record.logLevel) fields.logLevel = record.logLevel;
    if (record.listener) fields.listener = record.listener;
    const tx = this.#client.multi().del(key, `${key}:subs`).hset(key, fields).pexpire(key, ttlMs);
    if (record.subscriptions.length > 0) tx.sadd(`${key}:subs`, ...record.subscriptions).pexpire(`${key}:subs`, ttlMs);
    await execOrThrow(tx.exec());
  }

  async load(id: string, ttlMs: number): Promise<SharedSessionRecord | undefined> {
    const key = this.#session(id);
    const replies = await execOrThrow(
      this.#client
        .multi()
        .hgetall(key)
        .smembers(`${key}:subs`)
        .pexpire(key, ttlMs)
        .pexpire(`${key}:subs`, ttlMs)
        .exec(),
    );
    const hash = replies[0] as Record<string, string>;
    if (hash.protocolVersion === undefined) return undefined;
    const record: SharedSessionRecord = {
      principal: hash.principal ?? "",
      protocolVersion: hash.protocolVersion,
      clientCapabilities: parseObject(hash.clientCapabilities) ?? {},
      ready: hash.ready === "1",
      subscriptions: replies[1] as string[],
    };
    const clientInfo = parseObject(hash.clientInfo);
    if (clientInfo) record.clientInfo = clientInfo as unknown as NonNullable<SharedSessionRecord["clientInfo"]>;
    if (hash.logLevel) record.logLevel = hash.logLevel as NonNullable<SharedSessionRecord["logLevel"]>;
    if (hash.listener) record.listener = hash.listener;
    return record;
  }

  async update(id: string, change: SharedSessionChange): Promise<void> {
    const key = this.#session(id);
    await this.#client.eval(UPDATE, 2, key, `${key}:subs`, JSON.stringify(change));
  }

  async remove(id: string): Promise<boolean> {
    const key = this.#session(id);
    const removed = await this.#client.del(key, `${key}:subs`, `${key}:e:g`, `${key}:n:g`);
    return removed > 0;
  }

  async append(
    id: string,
    stream: string,
    event: { seq?: number; data: string; end?: boolean },
    options: SharedAppendOptions,
  ): Promise<number> {
    const key = this.#session(id);
    // EVAL, not EVALSHA: a NOSCRIPT retry could put an event behind a later one.
    const seq = await this.#client.eval(
      APPEND,
      2,
      `${key}:e:${stream}`,
      `${key}:n:${stream}`,
      event.seq === undefined ? "" : String(event.seq),
      event.data,
      event.end ? "1" : "",
      String(options.capacity),
      String(options.ttlMs),
      this.#channel,
      id,
      stream,
    );
    return Number(seq);
  }

  async eventsAfter(id: string, stream: string, seq: number): Promise<SharedStreamEvent[] | undefined> {
    const entries = await this.#client.lrange(`${this.#session(id)}:e:${stream}`, 0, -1);
    if (entries.length === 0) return undefined;
    const events: SharedStreamEvent[] = [];
    for (const raw of entries) {
      const entry = JSON.parse(raw) as StoredEntry;
      if (entry.s <= seq) continue;
      events.push(entry.e ? { seq: entry.s, data: entry.d, end: true } : { seq: entry.s, data: entry.d });
    }
    return events.sort((a, b) => a.seq - b.seq);
  }

  async lastSeq(id: string, stream: string): Promise<number> {
    return Number((await this.#client.get(`${this.#session(id)}:n:${stream}`)) ?? 0);
  }

  async saveTask(id: string, record: SharedTaskRecord, ttlMs: number): Promise<void> {
    await this.#client.set(`${this.#prefix}t:${id}`, JSON.stringify(record), "PX", ttlMs);
  }

  async loadTask(id: string): Promise<SharedTaskRecord | undefined> {
    const text = await this.#client.get(`${this.#prefix}t:${id}`);
    return text === null ? undefined : (JSON.parse(text) as SharedTaskRecord);
  }

  async publish(message: SessionBusMessage): Promise<void> {
    await this.#client.publish(this.#channel, JSON.stringify(message));
  }

  async subscribe(listener: (message: SessionBusMessage) => void): Promise<void> {
    // A connection in subscriber mode can do nothing else: the bus has its own, with the
    // client's settings. Its SUBSCRIBE may wait for the first connection (no retries: a
    // Redis that is not there fails the start-up); ioredis subscribes again after a reconnection.
    const subscriber = this.#client.duplicate({ enableOfflineQueue: true });
    this.#subscriber = subscriber;
    subscriber.on("error", (err: Error) => this.#logger?.warn({ err: err.message }, "Redis bus connection error"));
    subscriber.on("message", (channel: string, text: string) => {
      if (channel !== this.#channel) return;
      let message: SessionBusMessage;
      try {
        message = JSON.parse(text) as SessionBusMessage;
      } catch {
        this.#logger?.warn({}, "unreadable message on the session bus");
        return;
      }
      listener(message);
    });
    await subscriber.subscribe(this.#channel);
  }

  async close(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    // Not QUIT: with Redis away it would wait for a reconnection; a listener has nothing to flush.
    subscriber?.disconnect();
  }
}

/** A transaction's replies; the first failed command's error is thrown. */
async function execOrThrow(pending: Promise<[Error | null, unknown][] | null>): Promise<unknown[]> {
  const results = await pending;
  if (!results) throw new Error("Redis transaction aborted");
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  const value: unknown = JSON.parse(text);
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
}
