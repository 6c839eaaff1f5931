/**
 * The connection the Redis backend opens: a Redis that is not there at
 * start-up fails commands at once and is used as soon as it starts; a
 * `duplicate()` of the backend's client (what shared sessions open for
 * pub/sub) fails as promptly when Redis hangs; the time limits can be set.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TokenStoreError } from "../../src/store/errors.js";
import { RedisBackend } from "../../src/store/redis.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** How `promise` failed, and after how many milliseconds. */
async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new Error("expected a failure");
}

describe("the backend's own connection", () => {
  test("Redis absent at start-up: commands fail at once as unavailable; used as soon as Redis starts", async () => {
    await redis.kill();
    const backend = new RedisBackend({ url: redis.url });
    try {
      const { error, ms } = await failure(backend.set("k", "v"));
      expect(error).toBeInstanceOf(TokenStoreError);
      expect(error).toMatchObject({ code: "unavailable" });
      // The bound: a clear failure within a second, not a queue that waits for Redis.
      expect(ms).toBeLessThan(1000);

      await redis.restart();
      const deadline = Date.now() + 5000;
      for (;;) {
        const done = await backend.set("k", "v").then(
          () => true,
          () => false,
        );
        if (done) break;
        if (Date.now() > deadline) throw new Error("Redis was not used within 5 s of starting");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await backend.get("k")).toBe("v");
    } finally {
      await backend.close();
    }
  });

  test("a duplicate of its client inherits the prompt failures: a frozen Redis fails it within a second", async () => {
    const backend = new RedisBackend({ url: redis.url });
    const duplicate = backend.client.duplicate();
    // Its owner listens for connection errors (ioredis prints them otherwise), as the backend does.
    duplicate.on("error", () => undefined);
    try {
      await new Promise((resolve) => duplicate.once("ready", resolve));
      expect(await duplicate.ping()).toBe("PONG");
      redis.pause();
      const { error, ms } = await failure(duplicate.get("k"));
      expect(error).toBeInstanceOf(Error);
      // The bound, as for the backend's own commands.
      expect(ms).toBeLessThan(1000);
    } finally {
      redis.resume();
      duplicate.disconnect();
      await backend.close();
    }
  });

  test("the time limits can be set, and must be positive", async () => {
    const backend = new RedisBackend({
      url: redis.url,
      connection: { commandTimeoutMs: 250, connectTimeoutMs: 900, maxReconnectDelayMs: 400 },
    });
    try {
      expect(backend.client.options).toMatchObject({ commandTimeout: 250, socketTimeout: 250, connectTimeout: 900 });
      expect(backend.client.options.retryStrategy?.(100)).toBe(400);
      expect(await backend.increment("n", 1000)).toBe(1);
    } finally {
      await backend.close();
    }
    expect(() => new RedisBackend({ url: redis.url, connection: { commandTimeoutMs: 0 } })).toThrow(RangeError);
  });
});
