/**
 * Rate limits of the authorization server's public endpoints, per client
 * address (the proxy's client address when `trustProxy` is set): fixed
 * windows counted in the TokenStore, so several instances on one Redis share
 * them. Options first, then `OAUTH_RATE_LIMIT_REGISTER` / `_AUTHORIZE` /
 * `_TOKEN` / `_REGISTRATIONS_PER_DAY` (`<max>/<seconds>`, or `off`).
 */
import { ConfigError } from "@chuk-mcp/server";
import { z } from "zod";

/** At most `max` requests per `windowSeconds`. */
export interface RateLimit {
  max: number;
  windowSeconds: number;
}

/** The limited buckets. `registrationsPerDay` caps new registrations per address (a day's window by default). */
export type RateLimitBucket = "register" | "authorize" | "token" | "registrationsPerDay";

/** Per bucket: a limit, or `false` for none. */
export type RateLimitSettings = Record<RateLimitBucket, RateLimit | false>;

/** Generous for people and real clients, tight enough to stop a script filling the store. */
export const DEFAULT_RATE_LIMITS: Readonly<RateLimitSettings> = Object.freeze({
  register: { max: 30, windowSeconds: 60 },
  authorize: { max: 120, windowSeconds: 60 },
  token: { max: 300, windowSeconds: 60 },
  registrationsPerDay: { max: 500, windowSeconds: 86_400 },
});

/** `rateLimits` option: `false` turns every limit off; a bucket set to `false` turns that one off. */
export type RateLimitOptions = false | Partial<RateLimitSettings>;

const ENV: Record<RateLimitBucket, string> = {
  register: "OAUTH_RATE_LIMIT_REGISTER",
  authorize: "OAUTH_RATE_LIMIT_AUTHORIZE",
  token: "OAUTH_RATE_LIMIT_TOKEN",
  registrationsPerDay: "OAUTH_RATE_LIMIT_REGISTRATIONS_PER_DAY",
};

const limitSchema = z.object({
  max: z.number().int("must be a whole number").min(1, "must be at least 1"),
  windowSeconds: z.number().int("must be a whole number of seconds").min(1).max(2_592_000),
});

function fromEnv(name: string, text: string): RateLimit | false {
  const value = text.trim();
  if (value === "off") return false;
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const parsed = match ? limitSchema.safeParse({ max: Number(match[1]), windowSeconds: Number(match[2]) }) : undefined;
  if (!parsed?.success) {
    throw new ConfigError(`${name}: must be <max>/<seconds> (e.g. 30/60) or off`);
  }
  return parsed.data;
}

/** The limits in force: each bucket from the option, else its variable, else the default. */
export function resolveRateLimits(options: RateLimitOptions | undefined, env: NodeJS.ProcessEnv): RateLimitSettings {
  const settings = { ...DEFAULT_RATE_LIMITS };
  for (const bucket of Object.keys(ENV) as RateLimitBucket[]) {
    const option = options === false ? false : options?.[bucket];
    if (option !== undefined) {
      if (option !== false) {
        const parsed = limitSchema.safeParse(option);
        if (!parsed.success) {
          throw new ConfigError(`OAuth options: rateLimits.${bucket}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
        }
      }
      settings[bucket] = option;
      continue;
    }
    const text = env[ENV[bucket]];
    if (text !== undefined && text.trim() !== "") settings[bucket] = fromEnv(ENV[bucket], text);
  }
  return settings;
}
