/**
 * OAuth configuration: constructor options first, the environment second,
 * defaults last. Each source is validated with zod on its own, so that a bad
 * value stops start-up with a message naming the option (`accessTokenTtl`) or
 * the variable (`OAUTH_ACCESS_TOKEN_TTL`) it came from. Never the value of a
 * key, though: messages about keys say what is wrong, not what was given.
 */
import { isIPv6 } from "node:net";
import { ConfigError } from "@chuk-mcp/server";
import type { JWK } from "jose";
import { z } from "zod";
import { DEFAULT_CLOCK_TOLERANCE } from "./tokens/access-token.js";
import {
  type KeyInput,
  type NamedKeyInput,
  SIGNING_ALGS,
  type SigningAlg,
  type SigningKeyConfig,
} from "./tokens/keys.js";

/** Default lifetimes, in seconds (as in the seed guide). */
export const DEFAULT_TTL = {
  authCode: 600,
  accessToken: 900,
  refreshToken: 86_400,
  clientRegistration: 31_536_000,
  externalToken: 5_184_000,
} as const;

/**
 * Default grace period, in seconds, in which a just-rotated refresh token is
 * still accepted without being taken for a replay: two requests racing to
 * refresh (two tabs, a retry) must not revoke the whole family.
 */
export const DEFAULT_REFRESH_REUSE_GRACE = 5;

/** Ten years: anything longer is a typo (milliseconds for seconds), not a policy. */
const MAX_TTL = 315_360_000;
const MAX_GRACE = 60;
const MAX_CLOCK_TOLERANCE = 300;

/** OAuth options as passed in code. Every one may instead come from the environment variable named. */
export interface OAuthConfigOptions {
  /** The issuer: this authorization server's absolute URL (`OAUTH_SERVER_URL`). */
  oauthServerUrl?: string;
  /** Allow an `http:` issuer on a non-loopback host, e.g. behind a TLS-terminating proxy in a lab (`OAUTH_ALLOW_INSECURE_HTTP`). */
  allowInsecureHttp?: boolean;
  /** Seconds (`OAUTH_AUTH_CODE_TTL`, default 600). */
  authCodeTtl?: number;
  /** Seconds (`OAUTH_ACCESS_TOKEN_TTL`, default 900). */
  accessTokenTtl?: number;
  /** Seconds (`OAUTH_REFRESH_TOKEN_TTL`, default 86400). */
  refreshTokenTtl?: number;
  /** Seconds (`OAUTH_CLIENT_REGISTRATION_TTL`, default 31536000). */
  clientRegistrationTtl?: number;
  /** Seconds (`OAUTH_EXTERNAL_TOKEN_TTL`, default 5184000). */
  externalTokenTtl?: number;
  /** Seconds a rotated refresh token is still honoured (`OAUTH_REFRESH_REUSE_GRACE`, default 5, at most 60; 0 disables). */
  refreshReuseGracePeriod?: number;
  /** Leeway for `exp`/`nbf` when verifying access tokens, seconds (`OAUTH_CLOCK_TOLERANCE`, default 30). */
  clockTolerance?: number;
  /** The private signing key: a JWK (object or JSON) or a PKCS#8 PEM (`OAUTH_SIGNING_KEY`). Absent → a generated development key. */
  signingKey?: KeyInput;
  /** `ES256` (default) or `EdDSA` (`OAUTH_SIGNING_ALG`); must match the key. */
  signingAlg?: SigningAlg;
  /** Keys that verify but no longer sign, for rotation (`OAUTH_PREVIOUS_SIGNING_KEYS`: a JWKS or a JSON array of JWKs). */
  previousSigningKeys?: readonly KeyInput[];
  /**
   * Development only: hosts (`localhost`, `127.0.0.1`, `[::1]`, a name) from
   * which Client ID Metadata Documents may be fetched even though they resolve
   * to loopback or private addresses (`OAUTH_CIMD_ALLOWED_HOSTS`, comma-separated).
   * Without it such hosts are refused. HTTPS is still required.
   */
  clientMetadataAllowedHosts?: readonly string[];
}

/** The resolved, validated configuration. */
export interface OAuthConfig {
  /** The issuer URL, normalized: no trailing slash. Tokens' `iss` and the metadata's `issuer`. */
  issuer: string;
  /** Lifetimes in seconds. */
  ttl: {
    authCode: number;
    accessToken: number;
    refreshToken: number;
    clientRegistration: number;
    externalToken: number;
  };
  refreshReuseGracePeriod: number;
  clockTolerance: number;
  /** What `createKeySet` needs. */
  signing: SigningKeyConfig;
  /** Hosts whose metadata documents are fetched whatever address they resolve to (as `URL.hostname` spells them). */
  clientMetadataAllowedHosts: string[];
}

/** Where else configuration comes from. */
export interface ResolveOAuthConfigContext {
  /** The environment (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The issuer to use when neither the options nor the environment set one (e.g. derived from the listening port). */
  defaultServerUrl?: string;
}

const ttlOption = z
  .number({ error: "must be a number of seconds" })
  .int("must be a whole number of seconds")
  .min(1, "must be at least 1 second")
  .max(MAX_TTL, `must be at most ${MAX_TTL} seconds`);

const boundedOption = (max: number) =>
  z
    .number({ error: "must be a number of seconds" })
    .int("must be a whole number of seconds")
    .min(0, "must not be negative")
    .max(max, `must be at most ${max} seconds`);

const keyInput = z.union([z.string().min(1), z.looseObject({ kty: z.string() })], {
  error: "must be a JWK (object or JSON) or a PEM string",
});

/**
 * A host name as `URL.hostname` spells it (lower case, IPv6 in brackets):
 * no scheme, port, path or credentials. A bare IPv6 address gets its brackets.
 */
const hostName = z
  .string({ error: "must be a host name" })
  .transform((value) => {
    const host = value.trim().toLowerCase();
    return isIPv6(host) ? `[${host}]` : host;
  })
  .refine(
    (host) => {
      try {
        return host !== "" && new URL(`https://${host}/`).hostname === host;
      } catch {
        return false;
      }
    },
    { error: "must be a host name (no scheme, port or path), e.g. localhost or 127.0.0.1" },
  );

const optionsSchema = z.object({
  oauthServerUrl: z.string({ error: "must be a URL string" }).optional(),
  allowInsecureHttp: z.boolean({ error: "must be a boolean" }).optional(),
  authCodeTtl: ttlOption.optional(),
  accessTokenTtl: ttlOption.optional(),
  refreshTokenTtl: ttlOption.optional(),
  clientRegistrationTtl: ttlOption.optional(),
  externalTokenTtl: ttlOption.optional(),
  refreshReuseGracePeriod: boundedOption(MAX_GRACE).optional(),
  clockTolerance: boundedOption(MAX_CLOCK_TOLERANCE).optional(),
  signingKey: keyInput.optional(),
  signingAlg: z.enum(SIGNING_ALGS, { error: `must be one of ${SIGNING_ALGS.join(", ")}` }).optional(),
  previousSigningKeys: z.array(keyInput, { error: "must be an array of keys" }).optional(),
  clientMetadataAllowedHosts: z.array(hostName, { error: "must be an array of host names" }).optional(),
});

/** A decimal string of seconds, then the same bounds as the option. */
const secondsVar = (inner: z.ZodNumber) =>
  z.string().regex(/^\d+$/, "must be a whole number of seconds").transform(Number).pipe(inner);

const signingKeyVar = z.string().refine(
  (text) => {
    const t = text.trim();
    if (t.includes("-----BEGIN")) return true;
    if (!t.startsWith("{")) return false;
    try {
      const parsed: unknown = JSON.parse(t);
      return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
    } catch {
      return false;
    }
  },
  { error: "must be a private JWK (JSON object) or a PKCS#8 PEM" },
);

const previousKeysVar = z.string().transform((text, ctx): JWK[] => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const list = Array.isArray(parsed)
    ? parsed
    : typeof parsed === "object" && parsed !== null && Array.isArray((parsed as { keys?: unknown }).keys)
      ? (parsed as { keys: unknown[] }).keys
      : undefined;
  if (!list?.every((k) => typeof k === "object" && k !== null && !Array.isArray(k))) {
    ctx.addIssue({ code: "custom", message: 'must be a JWKS ({"keys":[…]}) or a JSON array of JWKs' });
    return z.NEVER;
  }
  return list as JWK[];
});

const envSchema = z.object({
  OAUTH_SERVER_URL: z.string().optional(),
  OAUTH_ALLOW_INSECURE_HTTP: z
    .enum(["true", "false", "1", "0"], { error: "must be true or false" })
    .transform((v) => v === "true" || v === "1")
    .optional(),
  OAUTH_AUTH_CODE_TTL: secondsVar(ttlOption).optional(),
  OAUTH_ACCESS_TOKEN_TTL: secondsVar(ttlOption).optional(),
  OAUTH_REFRESH_TOKEN_TTL: secondsVar(ttlOption).optional(),
  OAUTH_CLIENT_REGISTRATION_TTL: secondsVar(ttlOption).optional(),
  OAUTH_EXTERNAL_TOKEN_TTL: secondsVar(ttlOption).optional(),
  OAUTH_REFRESH_REUSE_GRACE: secondsVar(boundedOption(MAX_GRACE)).optional(),
  OAUTH_CLOCK_TOLERANCE: secondsVar(boundedOption(MAX_CLOCK_TOLERANCE)).optional(),
  OAUTH_SIGNING_KEY: signingKeyVar.optional(),
  OAUTH_SIGNING_ALG: z.enum(SIGNING_ALGS, { error: `must be one of ${SIGNING_ALGS.join(", ")}` }).optional(),
  OAUTH_PREVIOUS_SIGNING_KEYS: previousKeysVar.optional(),
  OAUTH_CIMD_ALLOWED_HOSTS: z
    .string()
    .transform((text) => text.split(/[\s,]+/).filter((h) => h !== ""))
    .pipe(z.array(hostName))
    .optional(),
});

type EnvName = keyof typeof envSchema.shape;
const ENV_NAMES = Object.keys(envSchema.shape) as EnvName[];

/**
 * Resolves the OAuth configuration from `options`, then the environment, then
 * defaults. Throws a `ConfigError` naming every bad option or variable.
 */
export function resolveOAuthConfig(
  options: OAuthConfigOptions = {},
  context: ResolveOAuthConfigContext = {},
): OAuthConfig {
  const opts = parse(optionsSchema, options, "OAuth options");
  const env = parse(envSchema, pickEnv(context.env ?? process.env), "OAuth environment");

  const allowInsecureHttp = opts.allowInsecureHttp ?? env.OAUTH_ALLOW_INSECURE_HTTP ?? false;
  const [serverUrl, urlFrom] =
    opts.oauthServerUrl !== undefined
      ? [opts.oauthServerUrl, "oauthServerUrl"]
      : env.OAUTH_SERVER_URL !== undefined
        ? [env.OAUTH_SERVER_URL, "OAUTH_SERVER_URL"]
        : [context.defaultServerUrl, "the default server URL"];
  if (serverUrl === undefined) {
    throw new ConfigError("the OAuth server URL is required: set oauthServerUrl or OAUTH_SERVER_URL");
  }
  const issuer = normalizeIssuer(serverUrl, allowInsecureHttp, urlFrom);

  const signingKey: NamedKeyInput | undefined =
    opts.signingKey !== undefined
      ? { value: opts.signingKey as KeyInput, from: "signingKey" }
      : env.OAUTH_SIGNING_KEY !== undefined
        ? { value: env.OAUTH_SIGNING_KEY, from: "OAUTH_SIGNING_KEY" }
        : undefined;
  const previousKeys: NamedKeyInput[] =
    opts.previousSigningKeys !== undefined
      ? opts.previousSigningKeys.map((k, i) => ({ value: k as KeyInput, from: `previousSigningKeys.${i}` }))
      : (env.OAUTH_PREVIOUS_SIGNING_KEYS ?? []).map((k, i) => ({
          value: k,
          from: `OAUTH_PREVIOUS_SIGNING_KEYS[${i}]`,
        }));

  return {
    issuer,
    ttl: {
      authCode: opts.authCodeTtl ?? env.OAUTH_AUTH_CODE_TTL ?? DEFAULT_TTL.authCode,
      accessToken: opts.accessTokenTtl ?? env.OAUTH_ACCESS_TOKEN_TTL ?? DEFAULT_TTL.accessToken,
      refreshToken: opts.refreshTokenTtl ?? env.OAUTH_REFRESH_TOKEN_TTL ?? DEFAULT_TTL.refreshToken,
      clientRegistration:
        opts.clientRegistrationTtl ?? env.OAUTH_CLIENT_REGISTRATION_TTL ?? DEFAULT_TTL.clientRegistration,
      externalToken: opts.externalTokenTtl ?? env.OAUTH_EXTERNAL_TOKEN_TTL ?? DEFAULT_TTL.externalToken,
    },
    refreshReuseGracePeriod:
      opts.refreshReuseGracePeriod ?? env.OAUTH_REFRESH_REUSE_GRACE ?? DEFAULT_REFRESH_REUSE_GRACE,
    clockTolerance: opts.clockTolerance ?? env.OAUTH_CLOCK_TOLERANCE ?? DEFAULT_CLOCK_TOLERANCE,
    signing: {
      key: signingKey,
      alg: opts.signingAlg ?? env.OAUTH_SIGNING_ALG,
      previousKeys,
    },
    clientMetadataAllowedHosts: [...new Set(opts.clientMetadataAllowedHosts ?? env.OAUTH_CIMD_ALLOWED_HOSTS ?? [])],
  };
}

/**
 * Checks and normalizes an issuer URL (RFC 8414 §2): absolute `https:` (or
 * `http:` on a loopback host, or anywhere when explicitly allowed), no
 * credentials, query or fragment; returned without a trailing slash so that
 * `iss` comparisons are exact.
 */
export function normalizeIssuer(value: string, allowInsecureHttp: boolean, from = "oauthServerUrl"): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${from}: must be an absolute URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new ConfigError(`${from}: must be an http(s) URL`);
  if (url.username !== "" || url.password !== "") throw new ConfigError(`${from}: must not contain credentials`);
  if (url.search !== "" || value.includes("?")) throw new ConfigError(`${from}: must not have a query`);
  if (url.hash !== "" || value.includes("#")) throw new ConfigError(`${from}: must not have a fragment`);
  if (url.protocol === "http:" && !allowInsecureHttp && !isLoopbackHost(url.hostname)) {
    throw new ConfigError(
      `${from}: http is allowed only for loopback hosts (localhost, 127.0.0.1, [::1]); use https, or set allowInsecureHttp / OAUTH_ALLOW_INSECURE_HTTP=true`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/** Loopback hosts per RFC 8252 §8.3 (and `localhost`, which RFC 6761 reserves for it). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

/** The variables we read; empty ones count as unset (as in the server's config). */
function pickEnv(env: NodeJS.ProcessEnv): Partial<Record<EnvName, string>> {
  const picked: Partial<Record<EnvName, string>> = {};
  for (const name of ENV_NAMES) {
    const value = env[name];
    if (value !== undefined && value !== "") picked[name] = value;
  }
  return picked;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  // Only paths and our own messages: zod's default messages may quote the input, and the input may be a key.
  const issues = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
  throw new ConfigError(`${what}: ${issues.join("; ")}`);
}
