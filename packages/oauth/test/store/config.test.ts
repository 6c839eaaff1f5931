/** How a TokenStore is configured: options, environment, defaults, and the errors that name what is wrong. */

import { randomBytes } from "node:crypto";
import { ConfigError, type Logger } from "@chuk-mcp/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEFAULT_EXTERNAL_TOKEN_TTL_SECONDS, DEFAULT_GRANT_RETENTION_SECONDS } from "../../src/store/config.js";
import { MemoryBackend } from "../../src/store/memory.js";
import { type StoreLogger, TokenStore } from "../../src/store/token-store.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

const KEY = randomBytes(32);

/** The error thrown by `fn`, which must throw a ConfigError. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

// The server's pino logger is a StoreLogger (checked by the type checker).
export const pinoIsAStoreLogger = (logger: Logger): StoreLogger => logger;

/** A logger that keeps what it is told. */
function recordingLogger(): StoreLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn(obj, msg) {
      lines.push(`${msg} ${JSON.stringify(obj)}`);
    },
  };
}

describe("TokenStore configuration errors", () => {
  test("an unknown SESSION_PROVIDER", () => {
    const err = configError(() => new TokenStore({ sandboxId: "s", env: { SESSION_PROVIDER: "postgres" } }));
    expect(err.message).toBe('Invalid configuration: environment: SESSION_PROVIDER: must be "memory" or "redis"');
  });

  test("SESSION_PROVIDER=redis without SESSION_REDIS_URL", () => {
    const err = configError(() => new TokenStore({ sandboxId: "s", env: { SESSION_PROVIDER: "redis" } }));
    expect(err.message).toBe(
      "Invalid configuration: environment: SESSION_REDIS_URL: is required when SESSION_PROVIDER=redis",
    );
  });

  test("a SESSION_REDIS_URL that is not redis://, without echoing it (it may hold a password)", () => {
    const err = configError(
      () =>
        new TokenStore({
          sandboxId: "s",
          env: { SESSION_PROVIDER: "redis", SESSION_REDIS_URL: "http://user:hunter2@cache:6379" },
        }),
    );
    expect(err.message).toBe(
      "Invalid configuration: environment: SESSION_REDIS_URL: must be a redis:// or rediss:// URL",
    );
    expect(err.message).not.toContain("hunter2");
  });

  test.each([
    ["too short (16 bytes, base64)", randomBytes(16).toString("base64")],
    ["too long (33 bytes, hex)", randomBytes(33).toString("hex")],
    ["not base64 or hex", "correct horse battery staple!!"],
  ])("an OAUTH_ENCRYPTION_KEY %s, without echoing it", (_, value) => {
    const err = configError(() => new TokenStore({ sandboxId: "s", env: { OAUTH_ENCRYPTION_KEY: value } }));
    expect(err.message).toMatch(
      /^Invalid configuration: environment: OAUTH_ENCRYPTION_KEY: must be 32 bytes, as base64 or hex/,
    );
    expect(err.message).not.toContain(value);
  });

  test("a bad encryptionKey option names the option", () => {
    expect(configError(() => new TokenStore({ sandboxId: "s", encryptionKey: "abcd", env: {} })).message).toMatch(
      /^Invalid configuration: TokenStore options: encryptionKey: must be 32 bytes/,
    );
    expect(
      configError(() => new TokenStore({ sandboxId: "s", encryptionKey: new Uint8Array(31), env: {} })).message,
    ).toMatch(/encryptionKey: must be 32 bytes/);
  });

  test("a bad OAUTH_EXTERNAL_TOKEN_TTL", () => {
    const err = configError(() => new TokenStore({ sandboxId: "s", env: { OAUTH_EXTERNAL_TOKEN_TTL: "-5" } }));
    expect(err.message).toBe("Invalid configuration: environment: OAUTH_EXTERNAL_TOKEN_TTL: must be positive");
  });

  test.each(["", "a:b", "has space", "x".repeat(129)])("sandboxId %j is refused", (sandboxId) => {
    const err = configError(() => new TokenStore({ sandboxId, env: {} }));
    expect(err.message).toMatch(/^Invalid configuration: TokenStore options: sandboxId: must be 1-128 characters/);
  });

  test("a bad redisUrl option names the option", () => {
    const err = configError(() => new TokenStore({ sandboxId: "s", redisUrl: "localhost:6379", env: {} }));
    expect(err.message).toBe(
      "Invalid configuration: TokenStore options: redisUrl: must be a redis:// or rediss:// URL",
    );
  });
});

describe("secrets derived from the encryption key", () => {
  test("the same key and label give the same secret in every store; another label or key does not", () => {
    const a = new TokenStore({ sandboxId: "a", encryptionKey: KEY, env: {} });
    const b = new TokenStore({ sandboxId: "b", encryptionKey: KEY.toString("base64"), env: {} });
    const other = new TokenStore({ sandboxId: "a", encryptionKey: randomBytes(32), env: {} });
    const secret = a.deriveSecret("cookies");
    expect(secret).toHaveLength(32);
    expect(Buffer.from(b.deriveSecret("cookies")).equals(Buffer.from(secret))).toBe(true);
    expect(Buffer.from(a.deriveSecret("other")).equals(Buffer.from(secret))).toBe(false);
    expect(Buffer.from(other.deriveSecret("cookies")).equals(Buffer.from(secret))).toBe(false);
    expect(Buffer.from(secret).equals(KEY)).toBe(false);
  });
});

describe("TokenStore defaults", () => {
  test("memory, generated key with a warning, default TTLs", async () => {
    const logger = recordingLogger();
    const store = new TokenStore({ sandboxId: "dev", env: {}, logger });
    expect(store.backendKind).toBe("memory");
    expect(store.backend).toBeInstanceOf(MemoryBackend);
    expect(store.externalTokenTtlSeconds).toBe(DEFAULT_EXTERNAL_TOKEN_TTL_SECONDS);
    expect(store.externalTokenTtlSeconds).toBe(5_184_000);
    expect(store.grantRetentionSeconds).toBe(DEFAULT_GRANT_RETENTION_SECONDS);
    expect(store.warnings).toHaveLength(1);
    expect(store.warnings[0]).toMatch(/^OAUTH_ENCRYPTION_KEY is not set: .*generated development key/);
    expect(logger.lines).toEqual([`${store.warnings[0]} {"sandboxId":"dev"}`]);
    // The generated key works.
    await store.saveUpstreamTokens("u", { accessToken: "a", scopes: [] });
    expect((await store.getUpstreamTokens("u"))?.accessToken).toBe("a");
    await store.close();
  });

  test("a key from the environment: no warning; hex and base64 of one key are the same key", async () => {
    const backend = new MemoryBackend();
    const logger = recordingLogger();
    const hex = new TokenStore({ sandboxId: "s", backend, logger, env: { OAUTH_ENCRYPTION_KEY: KEY.toString("hex") } });
    const b64 = new TokenStore({
      sandboxId: "s",
      backend,
      logger,
      env: { OAUTH_ENCRYPTION_KEY: KEY.toString("base64") },
    });
    const b64url = new TokenStore({ sandboxId: "s", backend, encryptionKey: KEY.toString("base64url"), env: {} });
    expect(hex.warnings).toEqual([]);
    expect(logger.lines).toEqual([]);
    await hex.saveUpstreamTokens("u", { accessToken: "shared", scopes: [] });
    expect((await b64.getUpstreamTokens("u"))?.accessToken).toBe("shared");
    expect((await b64url.getUpstreamTokens("u"))?.accessToken).toBe("shared");
  });

  test("options win over the environment", async () => {
    const backend = new MemoryBackend();
    const store = new TokenStore({
      sandboxId: "s",
      backend,
      encryptionKey: KEY,
      externalTokenTtlSeconds: 120,
      env: { OAUTH_EXTERNAL_TOKEN_TTL: "60", OAUTH_ENCRYPTION_KEY: randomBytes(32).toString("hex") },
    });
    expect(store.externalTokenTtlSeconds).toBe(120);
    await store.saveUpstreamTokens("u", { accessToken: "a", scopes: [] });
    const withOptionKey = new TokenStore({ sandboxId: "s", backend, encryptionKey: KEY, env: {} });
    expect((await withOptionKey.getUpstreamTokens("u"))?.accessToken).toBe("a");
    const fromEnv = new TokenStore({ sandboxId: "s", encryptionKey: KEY, env: { OAUTH_EXTERNAL_TOKEN_TTL: "60" } });
    expect(fromEnv.externalTokenTtlSeconds).toBe(60);
  });

  test("a bad variable is reported even when an option overrides it", () => {
    const err = configError(
      () => new TokenStore({ sandboxId: "s", encryptionKey: KEY, env: { OAUTH_ENCRYPTION_KEY: "too-short" } }),
    );
    expect(err.message).toMatch(/environment: OAUTH_ENCRYPTION_KEY: must be 32 bytes/);
  });

  test("a passed backend is used as is, and not closed by the store", async () => {
    const backend = new MemoryBackend();
    const store = new TokenStore({ sandboxId: "s", backend, encryptionKey: KEY, env: { SESSION_PROVIDER: "redis" } });
    expect(store.backendKind).toBe("custom");
    expect(store.backend).toBe(backend);
    await store.saveClient({
      clientId: "c",
      redirectUris: [],
      grantTypes: [],
      responseTypes: [],
      tokenEndpointAuthMethod: "none",
      applicationType: "web",
      issuedAt: 0,
    });
    await store.close();
    expect((await backend.get("oauth:s:client:c")) !== undefined).toBe(true);
  });

  test("SESSION_REDIS_URL without SESSION_PROVIDER: memory, with a warning saying so", () => {
    const store = new TokenStore({
      sandboxId: "s",
      encryptionKey: KEY,
      env: { SESSION_REDIS_URL: "redis://127.0.0.1:1" },
    });
    expect(store.backendKind).toBe("memory");
    expect(store.warnings).toEqual([
      "SESSION_REDIS_URL is set but SESSION_PROVIDER is not: tokens are kept in memory (set SESSION_PROVIDER=redis)",
    ]);
  });
});

describe("TokenStore on Redis from the environment", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  test("SESSION_PROVIDER=redis and SESSION_REDIS_URL open a working Redis store", async () => {
    const env = { SESSION_PROVIDER: "redis", SESSION_REDIS_URL: redis.url, OAUTH_ENCRYPTION_KEY: KEY.toString("hex") };
    const store = new TokenStore({ sandboxId: "env", env });
    expect(store.backendKind).toBe("redis");
    await store.saveConsent({ clientId: "c", userId: "u", scopes: ["s"], grantedAt: 1 });
    const other = new TokenStore({ sandboxId: "env", env });
    expect((await other.getConsent("c", "u"))?.scopes).toEqual(["s"]);
    await store.close();
    await other.close();
  });
});
