/**
 * Where the token store keeps its data and with which key it encrypts:
 * constructor options first, then the environment (`SESSION_PROVIDER`,
 * `SESSION_REDIS_URL`, `OAUTH_ENCRYPTION_KEY`, `OAUTH_EXTERNAL_TOKEN_TTL`),
 * validated with zod so a bad value stops start-up with a message naming it.
 * Every variable is checked, even one an option overrides: a malformed value
 * in the environment is a mistake worth stopping for either way.
 */
import { randomBytes } from "node:crypto";
import { ConfigError } from "@chuk-mcp/server";
import { z } from "zod";
import { decodeEncryptionKey, ENCRYPTION_KEY_BYTES } from "./crypto.js";

/** 60 days: how long upstream tokens (above all the upstream refresh token) are kept by default. */
export const DEFAULT_EXTERNAL_TOKEN_TTL_SECONDS = 5_184_000;

/**
 * How long a used authorization code and a revoked grant are remembered by
 * default: the default refresh-token lifetime (86400 s) plus the default
 * access-token lifetime (900 s), so every token a grant issued has expired
 * before the store forgets that the grant is dead.
 */
export const DEFAULT_GRANT_RETENTION_SECONDS = 86_400 + 900;

const KEY_HINT = `must be ${ENCRYPTION_KEY_BYTES} bytes, as base64 or hex (e.g. \`openssl rand -base64 32\`)`;

const encryptionKey = z.string().transform((text, ctx) => {
  const key = decodeEncryptionKey(text);
  if (key === undefined) {
    ctx.addIssue({ code: "custom", message: KEY_HINT });
    return z.NEVER;
  }
  return key;
});

// The URL may carry a password: messages never echo it.
const redisUrl = z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" });

const envSchema = z.object({
  SESSION_PROVIDER: z.enum(["memory", "redis"], { error: 'must be "memory" or "redis"' }).optional(),
  SESSION_REDIS_URL: redisUrl.optional(),
  OAUTH_ENCRYPTION_KEY: encryptionKey.optional(),
  OAUTH_EXTERNAL_TOKEN_TTL: z.coerce
    .number({ error: "must be a number of seconds" })
    .int("must be a whole number of seconds")
    .positive("must be positive")
    .optional(),
});

const optionsSchema = z.object({
  sandboxId: z
    .string({ error: "is required" })
    .regex(/^[A-Za-z0-9._-]{1,128}$/, "must be 1-128 characters of A-Z a-z 0-9 . _ -"),
  redisUrl: redisUrl.optional(),
  externalTokenTtlSeconds: z.number().positive("must be positive").optional(),
  grantRetentionSeconds: z.number().positive("must be positive").optional(),
});

/** The options of the store that `resolveStoreSettings` validates (the rest are objects it passes through). */
export interface StoreSettingsInput {
  sandboxId: string;
  redisUrl?: string | undefined;
  encryptionKey?: string | Uint8Array | undefined;
  externalTokenTtlSeconds?: number | undefined;
  grantRetentionSeconds?: number | undefined;
  /** `true` when a backend or a Redis client was passed: the environment's choice of backend is then moot. */
  backendGiven: boolean;
}

/** The store's resolved configuration. */
export interface StoreSettings {
  sandboxId: string;
  /** Which backend to open, when none was passed in. */
  backend: { kind: "memory" } | { kind: "redis"; url: string } | { kind: "given" };
  encryptionKey: Uint8Array;
  externalTokenTtlSeconds: number;
  grantRetentionSeconds: number;
  /** What the operator should know (a generated key, an ignored setting); never contains a secret. */
  warnings: string[];
}

/** Validates the options and the environment; throws `ConfigError` naming each bad option or variable. */
export function resolveStoreSettings(input: StoreSettingsInput, env: NodeJS.ProcessEnv): StoreSettings {
  const options = parse(optionsSchema, input, "TokenStore options");
  const vars = parse(
    envSchema,
    {
      SESSION_PROVIDER: env.SESSION_PROVIDER || undefined,
      SESSION_REDIS_URL: env.SESSION_REDIS_URL || undefined,
      OAUTH_ENCRYPTION_KEY: env.OAUTH_ENCRYPTION_KEY || undefined,
      OAUTH_EXTERNAL_TOKEN_TTL: env.OAUTH_EXTERNAL_TOKEN_TTL || undefined,
    },
    "environment",
  );
  const warnings: string[] = [];

  let backend: StoreSettings["backend"];
  if (input.backendGiven) backend = { kind: "given" };
  else if (options.redisUrl !== undefined) backend = { kind: "redis", url: options.redisUrl };
  else if (vars.SESSION_PROVIDER === "redis") {
    if (vars.SESSION_REDIS_URL === undefined) {
      throw new ConfigError("environment: SESSION_REDIS_URL: is required when SESSION_PROVIDER=redis");
    }
    backend = { kind: "redis", url: vars.SESSION_REDIS_URL };
  } else {
    backend = { kind: "memory" };
    if (vars.SESSION_REDIS_URL !== undefined && vars.SESSION_PROVIDER === undefined) {
      warnings.push(
        "SESSION_REDIS_URL is set but SESSION_PROVIDER is not: tokens are kept in memory (set SESSION_PROVIDER=redis)",
      );
    }
  }

  let key = optionKey(input.encryptionKey) ?? vars.OAUTH_ENCRYPTION_KEY;
  if (key === undefined) {
    key = randomBytes(ENCRYPTION_KEY_BYTES);
    warnings.push(
      "OAUTH_ENCRYPTION_KEY is not set: upstream tokens are encrypted with a generated development key, " +
        `so they cannot be read after a restart. In production set OAUTH_ENCRYPTION_KEY (${KEY_HINT}).`,
    );
  }

  return {
    sandboxId: options.sandboxId,
    backend,
    encryptionKey: key,
    externalTokenTtlSeconds:
      options.externalTokenTtlSeconds ?? vars.OAUTH_EXTERNAL_TOKEN_TTL ?? DEFAULT_EXTERNAL_TOKEN_TTL_SECONDS,
    grantRetentionSeconds: options.grantRetentionSeconds ?? DEFAULT_GRANT_RETENTION_SECONDS,
    warnings,
  };
}

function optionKey(value: string | Uint8Array | undefined): Uint8Array | undefined {
  if (value === undefined) return undefined;
  const key = typeof value === "string" ? decodeEncryptionKey(value) : value;
  if (key?.length !== ENCRYPTION_KEY_BYTES) throw new ConfigError(`TokenStore options: encryptionKey: ${KEY_HINT}`);
  return key;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
  throw new ConfigError(`${what}: ${issues.join("; ")}`);
}
