/**
 * `run()`: picks the transport (options, then `MCP_TRANSPORT`), runs the
 * `postRegisterHook` once the core routes exist and before the server
 * listens, and closes gracefully on SIGINT/SIGTERM (or stdin EOF on STDIO).
 */
import { readServerEnv } from "./config.js";
import type { LogLevel } from "./logging.js";
import type { ChukMCPServer } from "./server.js";
import { createHttpApp, type HttpApp } from "./transports/http/app.js";
import { isLoopbackHost } from "./transports/http/guards.js";
import type { HttpTransportOptions } from "./transports/http/options.js";
import { serveStdio } from "./transports/stdio.js";

/** Runs after the server's core routes exist and before it starts serving. */
export type PostRegisterHook = (server: ChukMCPServer) => unknown;

export interface RunOptions extends HttpTransportOptions {
  /** Default: `MCP_TRANSPORT`, else "http". */
  transport?: "stdio" | "http";
  /** Default: `HOST`, else "127.0.0.1". */
  host?: string;
  /** Default: `PORT`, else 8000. 0 picks a free port. */
  port?: number;
  /** Reverse proxies whose `X-Forwarded-*` headers count (see `HttpTransportOptions`). Default: `TRUST_PROXY`, else none. */
  trustProxy?: HttpTransportOptions["trustProxy"];
  /** Host header values accepted (see `HttpTransportOptions`). Default: `ALLOWED_HOSTS` (comma-separated), else by the bind address. */
  allowedHosts?: HttpTransportOptions["allowedHosts"];
  /** Set up what needs the server in place: OAuth endpoints, extra routes. */
  postRegisterHook?: PostRegisterHook;
  /** Serve HTTPS with this PEM certificate and key. */
  ssl?: { cert: string | Buffer; key: string | Buffer };
  /** The framework logger's level. Default: `LOG_LEVEL`, else "info". */
  logLevel?: LogLevel;
  /**
   * Close on SIGINT/SIGTERM (and exit 0), and on STDIO exit once stdin ends.
   * Default true; set false when embedding the server in a larger program.
   */
  handleSignals?: boolean;
}

export interface RunningServer {
  readonly transport: "stdio" | "http";
  /** The MCP endpoint's URL (HTTP only). */
  readonly url: string | undefined;
  /** The port bound (HTTP only). */
  readonly port: number | undefined;
  /** The HTTP app (HTTP only). */
  readonly http: HttpApp | undefined;
  /** Resolves when the server has stopped. */
  readonly closed: Promise<void>;
  /** Stops serving: in-flight requests finish (within the grace period), streams close. */
  close(): Promise<void>;
}

export async function runServer(server: ChukMCPServer, options: RunOptions): Promise<RunningServer> {
  const env = readServerEnv();
  const {
    transport: t,
    host: h,
    port: p,
    postRegisterHook,
    ssl,
    logLevel,
    handleSignals = true,
    ...httpOptions
  } = options;
  const transport = t ?? env.MCP_TRANSPORT ?? "http";
  const level = logLevel ?? env.LOG_LEVEL;
  if (level !== undefined) server.setLogLevel(level);
  const log = server.logger;

  if (transport === "stdio") {
    if (postRegisterHook) await postRegisterHook(server);
    await server.startupComplete();
    const stdio = serveStdio(server);
    log.info({ transport: "stdio" }, `${server.info.name} serving MCP over STDIO`);
    const running: RunningServer = {
      transport,
      url: undefined,
      port: undefined,
      http: undefined,
      closed: stdio.closed,
      close: () => stdio.close(),
    };
    if (handleSignals) {
      onSignals(() => stdio.close());
      void stdio.closed.then(() => process.exit(0));
    }
    return running;
  }

  const host = h ?? env.HOST ?? "127.0.0.1";
  const port = p ?? env.PORT ?? 8000;
  const trustProxy = httpOptions.trustProxy ?? env.TRUST_PROXY;
  const allowedHosts = httpOptions.allowedHosts ?? env.ALLOWED_HOSTS;
  const http = await createHttpApp(server, {
    ...httpOptions,
    ...(trustProxy === undefined ? {} : { trustProxy }),
    ...(allowedHosts === undefined ? {} : { allowedHosts }),
    bindHost: host,
    ...(ssl ? { ssl } : {}),
  });
  try {
    if (postRegisterHook) await postRegisterHook(server);
    await server.startupComplete();
  } catch (err) {
    // Nothing listens yet: release the app (and its timers) so the process can exit with the error.
    await http.close();
    throw err;
  }
  await http.app.listen({ host, port });
  const address = http.app.server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `${ssl ? "https" : "http"}://${urlHost}:${boundPort}${http.options.path}`;
  log.info({ transport: "http", url }, `${server.info.name} serving MCP at ${url}`);
  if (!isLoopbackHost(host) && http.options.allowedHosts === undefined) {
    log.warn({ host }, "bound beyond loopback with no allowedHosts: the Host header is not checked");
  }
  let resolveClosed: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const close = async () => {
    await http.close();
    resolveClosed();
  };
  if (handleSignals) {
    onSignals(async () => {
      await close();
      process.exit(0);
    });
  }
  return { transport: "http", url, port: boundPort, http, closed, close };
}

function onSignals(stop: () => unknown): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal means "now".
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    stopping = true;
    void stop();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}
