/** Options of the Streamable HTTP transport, validated once at start-up. */
import { z } from "zod";
import { trustProxySchema } from "./trust-proxy.js";

export const httpTransportOptionsSchema = z.object({
  /** The MCP endpoint's path. */
  path: z.string().startsWith("/").default("/mcp"),
  /** No sessions: every request stands alone (no GET stream, no server→client requests). */
  stateless: z.boolean().default(false),
  /** Largest request body accepted, in bytes (larger → 413). */
  bodyLimit: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  /**
   * Origins allowed to call the endpoint from a browser, besides loopback
   * origins. `["*"]` allows any origin.
   */
  allowedOrigins: z.array(z.string()).default([]),
  /**
   * Host header values accepted (hostname, or hostname:port). Unset: when
   * bound to a loopback address only loopback names are accepted (DNS
   * rebinding protection); otherwise any. From a trusted proxy (`trustProxy`)
   * the value checked is `X-Forwarded-Host`. `run()` reads `ALLOWED_HOSTS`.
   */
  allowedHosts: z.array(z.string()).optional(),
  /**
   * Which peers are reverse proxies whose `X-Forwarded-For|Proto|Host|Prefix`
   * count (env `TRUST_PROXY`): `false` (default: ignored), `true` (any peer),
   * a hop count, or addresses / CIDR ranges / `loopback`, `linklocal`,
   * `uniquelocal`. Trusted, the Host and Origin checks use the forwarded
   * host, and `req.ip` is the client's. See trust-proxy.ts.
   */
  trustProxy: trustProxySchema.default(false),
  /** A session unused this long is closed. */
  sessionIdleTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(30 * 60 * 1000),
  /** Most sessions open at once; initialize beyond it answers 503. */
  maxSessions: z.number().int().positive().default(10_000),
  /** Events kept per session for resumption with Last-Event-ID. */
  eventStoreSize: z.number().int().nonnegative().default(1000),
  /** Interval of SSE keep-alive comments (0 = none). */
  keepAliveMs: z.number().int().nonnegative().default(15_000),
  /** The `retry:` hint sent to clients on SSE streams, in ms. */
  retryMs: z.number().int().positive().default(1000),
  /** How long shutdown waits for in-flight requests before cancelling them. */
  shutdownGraceMs: z.number().int().nonnegative().default(10_000),
});

export type HttpTransportOptions = z.input<typeof httpTransportOptionsSchema>;
export type ResolvedHttpTransportOptions = z.output<typeof httpTransportOptionsSchema>;
