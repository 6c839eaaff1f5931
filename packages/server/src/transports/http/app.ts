/**
 * The HTTP application: a fastify instance with the MCP endpoint, `/health`
 * and the server's custom routes. `run()` listens on it; tests may too.
 */
import { type FastifyInstance, type FastifyServerOptions, fastify, LogController } from "fastify";
import { parseOptions } from "../../config.js";
import type { ChukMCPServer } from "../../server.js";
import { originPolicy } from "./guards.js";
import { mcpRoutes } from "./mcp-routes.js";
import { type HttpTransportOptions, httpTransportOptionsSchema, type ResolvedHttpTransportOptions } from "./options.js";
import { HttpSessions } from "./sessions.js";
import { TRUST_DECORATOR, trustFunction } from "./trust-proxy.js";

export interface HttpApp {
  app: FastifyInstance;
  sessions: HttpSessions;
  options: ResolvedHttpTransportOptions;
  /** Ends standalone streams, lets in-flight requests finish (up to the grace period), then closes. */
  close(): Promise<void>;
}

export interface CreateHttpAppOptions extends HttpTransportOptions {
  /** The address the server binds to (decides the default Host check). */
  bindHost: string;
  /** TLS: serve HTTPS with this certificate and key (PEM). */
  ssl?: { cert: string | Buffer; key: string | Buffer };
}

export async function createHttpApp(server: ChukMCPServer, options: CreateHttpAppOptions): Promise<HttpApp> {
  const { bindHost, ssl, ...transport } = options;
  const resolved = parseOptions(httpTransportOptionsSchema, transport, "HTTP transport options");
  const fastifyOptions: FastifyServerOptions & { https?: { cert: string | Buffer; key: string | Buffer } } = {
    loggerInstance: server.logger.child({ component: "http" }),
    // Per-request log lines cost throughput and would log URLs; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // fastify would make a pino child logger per request; the framework's
    // logger is enough (errors are logged with the method, never per request).
    childLoggerFactory: (logger) => logger,
    bodyLimit: resolved.bodyLimit,
    forceCloseConnections: "idle",
    return503OnClosing: true,
  };
  if (ssl) fastifyOptions.https = ssl;
  const trust = trustFunction(resolved.trustProxy);
  // Trusted peers' X-Forwarded-* make req.ip, req.host and req.protocol the client's view.
  if (trust) fastifyOptions.trustProxy = trust;
  const app = fastify(fastifyOptions) as unknown as FastifyInstance;
  app.decorate(TRUST_DECORATOR, trust ?? null);
  const sessions = new HttpSessions(server, {
    idleTimeoutMs: resolved.sessionIdleTimeoutMs,
    eventStoreSize: resolved.eventStoreSize,
    maxSessions: resolved.maxSessions,
  });
  const policy = originPolicy(bindHost, resolved.allowedOrigins, resolved.allowedHosts);

  app.get("/health", async () => ({
    status: "ok",
    name: server.info.name,
    version: server.info.version,
    sessions: sessions.size,
  }));
  const modernInflight = { count: 0 };
  await app.register(async (scope) =>
    mcpRoutes(scope, { server, sessions, options: resolved, policy, modernInflight }),
  );
  for (const e of server.endpoints) app.route({ method: e.method, url: e.path, handler: e.handler });
  server.bindHttp(app, resolved.path);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Stop accepting, end the streams that never end by themselves, let
      // in-flight requests finish within the grace period, then cancel the rest.
      sessions.endStandaloneStreams();
      // Modern subscriptions end gracefully: their listen requests complete.
      server.subscriptions.closeAll();
      const closed = app.close();
      const deadline = Date.now() + resolved.shutdownGraceMs;
      while (sessions.inflight + modernInflight.count > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
        // A keep-alive socket whose request has been answered would hold close() open.
        app.server.closeIdleConnections?.();
      }
      sessions.closeAll();
      server.tasks.cancelAll();
      app.server.closeIdleConnections?.();
      // Sockets still open now carry no request we are answering.
      setTimeout(() => app.server.closeAllConnections?.(), 1000).unref();
      await closed;
      server.bindHttp(undefined);
    })();
    return closing;
  };
  return { app, sessions, options: resolved, close };
}
