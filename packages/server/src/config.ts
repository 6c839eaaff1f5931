/**
 * `run()` options: constructor/call options first, then the environment
 * (`MCP_TRANSPORT`, `HOST`, `PORT`, `LOG_LEVEL`, `TRUST_PROXY`, `ALLOWED_HOSTS`, …), validated with zod so a bad
 * value stops start-up with a message that names it.
 */
import { z } from "zod";
import { LOG_LEVELS, type LogLevel } from "./logging.js";
import { trustProxySchema } from "./transports/http/trust-proxy.js";

const envSchema = z.object({
  MCP_TRANSPORT: z.enum(["stdio", "http"]).optional(),
  HOST: z.string().min(1).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]]).optional(),
  MCP_REQUEST_STATE_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  TRUST_PROXY: trustProxySchema.optional(),
  ALLOWED_HOSTS: z
    .string()
    .transform((text) => text.split(/[\s,]+/).filter((h) => h !== ""))
    .optional(),
});

export type ServerEnv = z.output<typeof envSchema>;

/** Reads and validates the server's environment variables. */
export function readServerEnv(env: NodeJS.ProcessEnv = process.env): ServerEnv {
  const picked = {
    MCP_TRANSPORT: env.MCP_TRANSPORT || undefined,
    HOST: env.HOST || undefined,
    PORT: env.PORT || undefined,
    LOG_LEVEL: env.LOG_LEVEL || undefined,
    MCP_REQUEST_STATE_SECRET: env.MCP_REQUEST_STATE_SECRET || undefined,
    TRUST_PROXY: env.TRUST_PROXY || undefined,
    ALLOWED_HOSTS: env.ALLOWED_HOSTS || undefined,
  };
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error));
  return parsed.data;
}

/** Validates options against a schema, throwing a `ConfigError` that names each bad option. */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`${what}: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** A configuration mistake found at start-up. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(`Invalid configuration: ${message}`);
    this.name = "ConfigError";
  }
}

const formatIssues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`).join("; ");
