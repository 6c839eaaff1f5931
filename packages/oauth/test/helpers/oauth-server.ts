/**
 * A real OAuth-protected MCP server for tests: a ChukMCPServer on a free
 * loopback port with `OAuthMiddleware` and the development provider, plus a
 * public `echo`, a `whoami` that requires authentication and a `publish`
 * that requires the `posts.write` scope.
 */
import { ChukMCPServer, type Logger, type RunningServer, requiresAuth } from "@chuk-mcp/server";
import { z } from "zod";
import type { AuthorizationServerContext } from "../../src/context.js";
import { DevOAuthProvider, type DevOAuthProviderOptions } from "../../src/dev-provider/index.js";
import { OAuthMiddleware, type OAuthMiddlewareOptions } from "../../src/middleware.js";
import { freePort } from "./free-port.js";
import { suiteFixture } from "./suite-fixture.js";

export interface StartedOAuthServer {
  /** `http://127.0.0.1:<port>`: the issuer. */
  origin: string;
  /** The MCP endpoint (the tokens' audience). */
  mcpUrl: string;
  server: ChukMCPServer;
  running: RunningServer;
  middleware: OAuthMiddleware;
  provider: DevOAuthProvider;
  close(): Promise<void>;
}

export interface StartOAuthServerOptions {
  /** Middleware options besides server, provider and URL. */
  middleware?: Partial<Omit<OAuthMiddlewareOptions, "mcpServer" | "provider">>;
  provider?: Partial<DevOAuthProviderOptions>;
  /** Registers more tools before the server starts. */
  setup?: (server: ChukMCPServer) => void;
  /** The environment the middleware reads (default: empty, so the machine's variables do not leak in). */
  env?: NodeJS.ProcessEnv;
  /** The server's logger (default: the framework's own, silent). */
  logger?: Logger;
  /** The port to listen on (default: a free one); a restarted server reuses its predecessor's, so its issuer stays. */
  port?: number;
}

export async function startOAuthServer(options: StartOAuthServerOptions = {}): Promise<StartedOAuthServer> {
  const port = options.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const server = new ChukMCPServer("oauth-test", {
    version: "1.0.0",
    ...(options.logger ? { logger: options.logger } : { logLevel: "silent" }),
  });
  server.tool("echo", { input: { text: z.string() } }, ({ text }) => text);
  server.tool(
    "whoami",
    {},
    requiresAuth({}, (_args, ctx) => ({
      userId: ctx.auth.subject,
      clientId: ctx.auth.clientId,
      scopes: ctx.auth.scopes,
    })),
  );
  server.tool(
    "publish",
    { input: { content: z.string() } },
    requiresAuth({ scopes: ["posts.write"] }, ({ content }, ctx) => ({
      content,
      externalAccessToken: ctx.auth.externalAccessToken ?? null,
    })),
  );
  options.setup?.(server);
  const provider = new DevOAuthProvider({ serverUrl: origin, ...options.provider });
  let middleware: OAuthMiddleware | undefined;
  const running = await server.run({
    transport: "http",
    host: "127.0.0.1",
    port,
    handleSignals: false,
    postRegisterHook: (s) => {
      middleware = new OAuthMiddleware({
        mcpServer: s,
        provider,
        oauthServerUrl: origin,
        scopesSupported: ["posts.write", "profile.read"],
        env: options.env ?? {},
        // Suites register and authorize far faster than any person; rate-limits.test.ts turns limits on.
        rateLimits: false,
        ...options.middleware,
      });
    },
  });
  const started = middleware as OAuthMiddleware;
  return {
    origin,
    mcpUrl: `${origin}/mcp`,
    server,
    running,
    middleware: started,
    provider,
    close: async () => {
      await running.close();
      await started.close();
    },
  };
}

/** The development provider's logger, silenced (its warning that it is for development only). */
const quietLogger = { warn: () => undefined };

/** `options` with the development provider quiet unless `options.provider.logger` says otherwise. */
const quietly = (options: StartOAuthServerOptions): StartOAuthServerOptions => ({
  ...options,
  provider: { logger: quietLogger, ...options.provider },
});

/** A `StartedOAuthServer` with its authorization server context (keys, store, config) ready. */
export interface OAuthServerFixture extends StartedOAuthServer {
  ctx: AuthorizationServerContext;
}

/**
 * One server for the file (or `describe`), its development provider quiet:
 * started in `beforeAll` (with `options`, or what `options()` resolves to
 * then), closed in `afterAll`, usable once `beforeAll` has run.
 */
export function useOAuthServer(
  options: StartOAuthServerOptions | (() => Promise<StartOAuthServerOptions>) = {},
): OAuthServerFixture {
  return suiteFixture(
    async () => {
      const started = await startOAuthServer(quietly(typeof options === "function" ? await options() : options));
      return { ...started, ctx: await started.middleware.ready };
    },
    (started) => started.close(),
  );
}

/** Runs `body` against a server of its own (its development provider quiet), closed afterwards whatever happens. */
export async function withOAuthServer<T>(
  options: StartOAuthServerOptions,
  body: (server: StartedOAuthServer) => Promise<T>,
): Promise<T> {
  const server = await startOAuthServer(quietly(options));
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}
