/**
 * The two backends the shared suites run against. Each `open()` gives a fresh
 * namespace (Redis: its own key prefix) and `peers`: other backends on the
 * same data. For Redis those are separate connections, as separate server
 * instances would have; for memory, one process has one map.
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import type { StoreBackend } from "../../src/store/backend.js";
import { MemoryBackend } from "../../src/store/memory.js";
import { RedisBackend } from "../../src/store/redis.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

export interface Opened {
  backend: StoreBackend;
  /** `count` backends sharing `backend`'s data (the first is `backend` itself). */
  peers: StoreBackend[];
}

export interface Harness {
  kind: "memory" | "redis";
  open(peerCount?: number): Opened;
  /** The test redis-server (only for `kind: "redis"`). */
  redis(): TestRedis;
}

/**
 * Registers the hooks that start a redis-server for this file and close what
 * the tests opened, and returns both harnesses for `describe.each`.
 */
export function useHarnesses(): Harness[] {
  let server: TestRedis | undefined;
  const opened: StoreBackend[] = [];
  let namespace = 0;

  beforeAll(async () => {
    server = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await server?.stop();
  });

  const redis = (): TestRedis => {
    if (!server) throw new Error("redis-server not started (beforeAll failed?)");
    return server;
  };

  return [
    {
      kind: "memory",
      open(peerCount = 1) {
        const backend = new MemoryBackend();
        opened.push(backend);
        return { backend, peers: Array.from({ length: peerCount }, () => backend) };
      },
      redis,
    },
    {
      kind: "redis",
      open(peerCount = 1) {
        const keyPrefix = `test${++namespace}:`;
        const peers = Array.from({ length: peerCount }, () => new RedisBackend({ url: redis().url, keyPrefix }));
        opened.push(...peers);
        return { backend: peers[0] as StoreBackend, peers };
      },
      redis,
    },
  ];
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
