/**
 * The one-line setup: `setupGitHubOAuth(getMcpServer())` reads the app's
 * credentials (options first, then `GITHUB_CLIENT_ID`, `GITHUB_CLIENT_SECRET`,
 * `GITHUB_REDIRECT_URI`, `OAUTH_SERVER_URL`, `GITHUB_UPSTREAM_URL`), fails at
 * once with a message naming what to set, and returns the `postRegisterHook`
 * that installs our authorization server with GitHub as the upstream.
 */
import {
  type ProviderCredentialSpec,
  type ProviderSetupOptions,
  providerOptionsFrom,
  providerSetupHook,
  resolveProviderSettings,
} from "@chuk-mcp/oauth";
import type { ChukMCPServer, PostRegisterHook } from "@chuk-mcp/server";
import { GitHubOAuthProvider } from "./github-provider.js";
import { bindGitHubApi, GITHUB_READ_SCOPE, GITHUB_WRITE_SCOPE } from "./tools.js";

/** GitHub, for the messages that ask for credentials: env prefix `GITHUB`, apps created at github.com/settings/developers. */
export const GITHUB_CREDENTIALS: ProviderCredentialSpec = Object.freeze({
  envPrefix: "GITHUB",
  displayName: "GitHub",
  consoleUrl: "https://github.com/settings/developers",
});

/** The MCP scopes our authorization server offers by default: what the ready tools need. */
export const GITHUB_MCP_SCOPES: readonly string[] = Object.freeze([GITHUB_READ_SCOPE, GITHUB_WRITE_SCOPE]);

/** Options of `setupGitHubOAuth`; anything absent comes from the environment. */
export interface GitHubSetupOptions extends ProviderSetupOptions {
  /** Upstream scopes to ask GitHub for. Default `read:user repo` (`public_repo` instead of `repo` for public repositories only). */
  scopes?: readonly string[];
  /** MCP scopes clients may ask our server for. Default `GITHUB_MCP_SCOPES` (`github.read github.write`). */
  scopesSupported?: readonly string[];
  /** The `User-Agent` of requests to GitHub. Default `chuk-mcp-providers-github`. */
  userAgent?: string;
  /** Seconds to wait for each GitHub request. Default 10. */
  requestTimeout?: number;
}

/**
 * Sets up OAuth with GitHub for `mcp` and returns its `postRegisterHook`.
 * Throws `ConfigError` at once when the client id or secret is missing,
 * naming `GITHUB_CLIENT_ID` / `GITHUB_CLIENT_SECRET` and where to create the app.
 *
 * ```ts
 * import { registerGitHubTools, setupGitHubOAuth } from "@chuk-mcp/providers-github";
 * import { getMcpServer, run } from "@chuk-mcp/server";
 *
 * registerGitHubTools(getMcpServer());
 * await run({ transport: "http", postRegisterHook: setupGitHubOAuth(getMcpServer()) });
 * ```
 */
export function setupGitHubOAuth(mcp: ChukMCPServer, options: GitHubSetupOptions = {}): PostRegisterHook {
  const settings = resolveProviderSettings(GITHUB_CREDENTIALS, options);
  const provider = new GitHubOAuthProvider({
    ...providerOptionsFrom(settings),
    ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
    ...(options.userAgent === undefined ? {} : { userAgent: options.userAgent }),
    ...(options.requestTimeout === undefined ? {} : { requestTimeout: options.requestTimeout }),
  });
  // The ready tools on this server call the same API (the stand-in, with GITHUB_UPSTREAM_URL).
  bindGitHubApi(mcp, provider.api);
  return providerSetupHook(mcp, provider, settings, {
    middleware: options.middleware,
    scopesSupported: options.scopesSupported ?? GITHUB_MCP_SCOPES,
  });
}
