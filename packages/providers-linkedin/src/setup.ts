/**
 * The one-line setup: `setupLinkedInOAuth(getMcpServer())` reads the app's
 * credentials (options first, then `LINKEDIN_CLIENT_ID`, `LINKEDIN_CLIENT_SECRET`,
 * `LINKEDIN_REDIRECT_URI`, `OAUTH_SERVER_URL`, `LINKEDIN_UPSTREAM_URL`), builds
 * the provider at once (so a missing variable stops start-up with a message
 * naming it) and returns the `postRegisterHook` that installs `OAuthMiddleware`.
 */
import {
  type ProviderCredentialSpec,
  type ProviderSetupOptions,
  providerOptionsFrom,
  providerSetupHook,
  resolveProviderSettings,
} from "@chuk-mcp/oauth";
import type { ChukMCPServer, PostRegisterHook } from "@chuk-mcp/server";
import { LinkedInOAuthProvider } from "./linkedin-provider.js";

/** Who to ask for credentials, for the message when they are missing. */
export const LINKEDIN_CREDENTIALS: ProviderCredentialSpec = Object.freeze({
  envPrefix: "LINKEDIN",
  displayName: "LinkedIn",
  consoleUrl: "https://www.linkedin.com/developers/apps",
});

/** The MCP scopes of our authorization server that the ready tools need. */
export const LINKEDIN_TOOL_SCOPES = Object.freeze({
  /** `linkedin_profile`. */
  profile: "profile.read",
  /** `linkedin_publish_post`. */
  post: "posts.write",
} as const);

/** Options of `setupLinkedInOAuth`; anything absent comes from the environment. */
export interface LinkedInSetupOptions extends ProviderSetupOptions {
  /** LinkedIn scopes to ask for. Default: `openid profile email w_member_social`. */
  scopes?: readonly string[];
  /** The MCP scopes clients may ask our server for. Default: `profile.read posts.write` (what the ready tools need). */
  scopesSupported?: readonly string[];
  /** Seconds to wait for each LinkedIn request. Default 10. */
  requestTimeout?: number;
}

/** The LinkedIn API origin each server's setup chose, for its ready tools (`registerLinkedInTools`). */
const apiUrls = new WeakMap<ChukMCPServer, string>();

/** Where the ready tools registered on `mcp` call LinkedIn: what `setupLinkedInOAuth(mcp)` chose, if it ran. */
export function linkedInApiUrlOf(mcp: ChukMCPServer): string | undefined {
  return apiUrls.get(mcp);
}

/**
 * LinkedIn sign-in for `mcp`: returns the `postRegisterHook` for
 * `run({ transport: "http", postRegisterHook: setupLinkedInOAuth(getMcpServer()) })`.
 * Throws a `ConfigError` naming `LINKEDIN_CLIENT_ID` / `LINKEDIN_CLIENT_SECRET`
 * and the developer portal when they are missing.
 */
export function setupLinkedInOAuth(mcp: ChukMCPServer, options: LinkedInSetupOptions = {}): PostRegisterHook {
  const settings = resolveProviderSettings(LINKEDIN_CREDENTIALS, options);
  const provider = new LinkedInOAuthProvider({
    ...providerOptionsFrom(settings),
    ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
    ...(options.requestTimeout === undefined ? {} : { requestTimeout: options.requestTimeout }),
  });
  apiUrls.set(mcp, provider.apiUrl);
  return providerSetupHook(mcp, provider, settings, {
    middleware: options.middleware,
    scopesSupported: options.scopesSupported ?? [LINKEDIN_TOOL_SCOPES.profile, LINKEDIN_TOOL_SCOPES.post],
  });
}
