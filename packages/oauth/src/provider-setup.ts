/**
 * What every provider package's one-line setup shares:
 * `setupGoogleDriveOAuth(getMcpServer())` and its siblings read the app's
 * credentials from options first and the environment second
 * (`<PREFIX>_CLIENT_ID`, `<PREFIX>_CLIENT_SECRET`, `<PREFIX>_REDIRECT_URI`,
 * `OAUTH_SERVER_URL`), fail at once with a message naming what to set and
 * where to get it, and return the `postRegisterHook` that installs
 * `OAuthMiddleware` with the provider.
 */
import { type ChukMCPServer, ConfigError, type PostRegisterHook } from "@chuk-mcp/server";
import { isLoopbackHost } from "./config.js";
import { OAuthMiddleware, type OAuthMiddlewareOptions } from "./middleware.js";
import type { BaseOAuthProvider } from "./provider.js";

/** Who a provider is, for the messages that ask for its credentials. */
export interface ProviderCredentialSpec {
  /** The environment prefix: `GOOGLE` reads `GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET`, `GOOGLE_REDIRECT_URI`, `GOOGLE_UPSTREAM_URL`. */
  envPrefix: string;
  /** "Google", "LinkedIn", … */
  displayName: string;
  /** Where a developer creates the OAuth app and finds its client id and secret. */
  consoleUrl: string;
}

/** Options every `setupXOAuth(mcp, options)` helper takes. Anything absent comes from the environment. */
export interface ProviderSetupOptions {
  /** The OAuth app's client id (`<PREFIX>_CLIENT_ID`). */
  clientId?: string;
  /** The OAuth app's client secret (`<PREFIX>_CLIENT_SECRET`). */
  clientSecret?: string;
  /** Our callback as registered with the provider (`<PREFIX>_REDIRECT_URI`; default `<oauthServerUrl>/oauth/callback`). */
  redirectUri?: string;
  /** This server's public URL, the issuer (`OAUTH_SERVER_URL`; default `http://localhost:<PORT or 8000>`). */
  oauthServerUrl?: string;
  /**
   * Sends every upstream request (authorization, token, user info, API) to
   * this origin instead, paths unchanged: a local stand-in for tests and
   * offline development (`<PREFIX>_UPSTREAM_URL`). `http:` only on loopback.
   */
  upstreamUrl?: string;
  /** More `OAuthMiddleware` options (store, TTLs, `protect`, …). */
  middleware?: Partial<Omit<OAuthMiddlewareOptions, "mcpServer" | "provider">>;
  /** The environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** The settings a provider is built from. */
export interface ProviderSettings {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  oauthServerUrl: string;
  /** Set when upstream requests go to a stand-in. */
  upstreamUrl: string | undefined;
  /** Whether plain-http upstream requests are allowed (only for a loopback stand-in). */
  allowInsecureRequests: boolean;
  env: NodeJS.ProcessEnv;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/**
 * Reads a provider's settings. Missing credentials throw a `ConfigError` that
 * names every variable to set and where to get the values.
 */
export function resolveProviderSettings(spec: ProviderCredentialSpec, options: ProviderSetupOptions): ProviderSettings {
  const env = options.env ?? process.env;
  const prefix = spec.envPrefix;
  const clientId = nonEmpty(options.clientId) ?? nonEmpty(env[`${prefix}_CLIENT_ID`]);
  const clientSecret = nonEmpty(options.clientSecret) ?? nonEmpty(env[`${prefix}_CLIENT_SECRET`]);
  const missing = [
    ...(clientId === undefined ? [`${prefix}_CLIENT_ID`] : []),
    ...(clientSecret === undefined ? [`${prefix}_CLIENT_SECRET`] : []),
  ];
  const port = Number(env.PORT) > 0 ? Number(env.PORT) : 8000;
  const oauthServerUrl = (
    nonEmpty(options.oauthServerUrl) ??
    nonEmpty(env.OAUTH_SERVER_URL) ??
    `http://localhost:${port}`
  ).replace(/\/+$/, "");
  const redirectUri =
    nonEmpty(options.redirectUri) ?? nonEmpty(env[`${prefix}_REDIRECT_URI`]) ?? `${oauthServerUrl}/oauth/callback`;
  if (clientId === undefined || clientSecret === undefined) {
    throw new ConfigError(
      `${spec.displayName} OAuth needs ${missing.join(" and ")}. Create an OAuth app at ${spec.consoleUrl} ` +
        `with the redirect URI ${redirectUri}, then set ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET ` +
        `(or pass clientId and clientSecret).`,
    );
  }
  const upstreamUrl = nonEmpty(options.upstreamUrl) ?? nonEmpty(env[`${prefix}_UPSTREAM_URL`]);
  let allowInsecureRequests = false;
  if (upstreamUrl !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(upstreamUrl);
    } catch {
      throw new ConfigError(`${prefix}_UPSTREAM_URL: must be an absolute URL`);
    }
    if (parsed.protocol === "http:" && isLoopbackHost(parsed.hostname)) allowInsecureRequests = true;
    else if (parsed.protocol !== "https:") {
      throw new ConfigError(`${prefix}_UPSTREAM_URL: must be https (http only on a loopback host)`);
    }
  }
  return {
    clientId,
    clientSecret,
    redirectUri,
    oauthServerUrl,
    upstreamUrl: upstreamUrl?.replace(/\/+$/, ""),
    allowInsecureRequests,
    env,
  };
}

/** The options a provider is built with that come from its settings alone. */
export interface ProviderOptionsFromSettings {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** Only with a stand-in. */
  upstreamUrl?: string;
  /** Only with a stand-in: whether it may be plain http (a loopback host). */
  allowInsecureRequests?: boolean;
}

/**
 * The app's credentials, our callback and, with a stand-in, its origin and
 * whether plain http is allowed: what every provider's constructor takes
 * from the settings, for `new XOAuthProvider({ ...providerOptionsFrom(settings), … })`.
 */
export function providerOptionsFrom(settings: ProviderSettings): ProviderOptionsFromSettings {
  return {
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    redirectUri: settings.redirectUri,
    ...(settings.upstreamUrl === undefined
      ? {}
      : { upstreamUrl: settings.upstreamUrl, allowInsecureRequests: settings.allowInsecureRequests }),
  };
}

/** `url` with its origin replaced by `upstreamUrl` (path and query kept); `url` itself when there is none. */
export function rebaseUpstreamUrl(url: string, upstreamUrl: string | undefined): string {
  if (upstreamUrl === undefined) return url;
  const original = new URL(url);
  return `${upstreamUrl}${original.pathname}${original.search}`;
}

/**
 * The redirect URI's path on this server: under an issuer with a path (a
 * reverse proxy that strips that prefix), the part below it.
 */
function callbackPathOf(redirectUri: string, oauthServerUrl: string): string {
  const path = new URL(redirectUri).pathname;
  let prefix = "";
  try {
    prefix = new URL(oauthServerUrl).pathname.replace(/\/+$/, "");
  } catch {
    // OAuthMiddleware reports the bad URL.
  }
  return prefix !== "" && path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

/**
 * The `postRegisterHook` that installs `OAuthMiddleware` with `provider` on
 * the server it is given (the one `run()` starts: normally `mcp` itself).
 */
export function providerSetupHook(
  mcp: ChukMCPServer,
  provider: BaseOAuthProvider,
  settings: ProviderSettings,
  options: Pick<ProviderSetupOptions, "middleware"> & { scopesSupported?: readonly string[] },
): PostRegisterHook {
  return (server = mcp) =>
    new OAuthMiddleware({
      oauthServerUrl: settings.oauthServerUrl,
      callbackPath: callbackPathOf(settings.redirectUri, settings.oauthServerUrl),
      env: settings.env,
      ...(options.scopesSupported ? { scopesSupported: options.scopesSupported } : {}),
      ...options.middleware,
      mcpServer: server,
      provider,
    });
}
