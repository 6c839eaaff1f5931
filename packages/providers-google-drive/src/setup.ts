/**
 * `setupGoogleDriveOAuth(mcp)`: the one-line setup. Reads the OAuth client's
 * credentials from options, then `GOOGLE_CLIENT_ID` / `GOOGLE_CLIENT_SECRET` /
 * `GOOGLE_REDIRECT_URI` / `OAUTH_SERVER_URL` (and `GOOGLE_UPSTREAM_URL` for a
 * local stand-in), and returns the `postRegisterHook` that installs our
 * authorization server with Google as the upstream.
 */
import {
  type ProviderCredentialSpec,
  type ProviderSetupOptions,
  providerOptionsFrom,
  providerSetupHook,
  resolveProviderSettings,
} from "@chuk-mcp/oauth";
import type { ChukMCPServer, PostRegisterHook } from "@chuk-mcp/server";
import { GOOGLE_CONSOLE_URL, GoogleDriveOAuthProvider } from "./google-drive-provider.js";
import { DRIVE_READ_SCOPE, DRIVE_WRITE_SCOPE, useDriveEndpoints } from "./tools.js";

/** The MCP scopes our authorization server offers by default: the ready tools' two. */
export const GOOGLE_DRIVE_MCP_SCOPES: readonly string[] = Object.freeze([DRIVE_READ_SCOPE, DRIVE_WRITE_SCOPE]);

/** Who asks for the credentials, and where to get them. */
export const GOOGLE_CREDENTIALS: ProviderCredentialSpec = Object.freeze({
  envPrefix: "GOOGLE",
  displayName: "Google",
  consoleUrl: GOOGLE_CONSOLE_URL,
});

/** Options of `setupGoogleDriveOAuth`; anything absent comes from the environment. */
export interface GoogleDriveSetupOptions extends ProviderSetupOptions {
  /** Google scopes to ask for. Default `openid`, `…/auth/userinfo.profile`, `…/auth/drive.file`. */
  googleScopes?: readonly string[];
  /** MCP scopes clients may request from our authorization server. Default `drive.read drive.write`. */
  scopesSupported?: readonly string[];
}

/**
 * The `postRegisterHook` that protects `mcp` with our OAuth authorization
 * server, users signing in with Google:
 *
 * ```ts
 * registerGoogleDriveTools(getMcpServer());
 * await run({ transport: "http", postRegisterHook: setupGoogleDriveOAuth(getMcpServer()) });
 * ```
 *
 * Configuration is checked now, not when the server starts: missing
 * credentials throw a `ConfigError` naming `GOOGLE_CLIENT_ID` /
 * `GOOGLE_CLIENT_SECRET`, where to create them, and the redirect URI to
 * register. The Drive tools registered with `registerGoogleDriveTools(mcp)`
 * follow `GOOGLE_UPSTREAM_URL` / `upstreamUrl` too.
 */
export function setupGoogleDriveOAuth(mcp: ChukMCPServer, options: GoogleDriveSetupOptions = {}): PostRegisterHook {
  const settings = resolveProviderSettings(GOOGLE_CREDENTIALS, options);
  const provider = new GoogleDriveOAuthProvider({
    ...providerOptionsFrom(settings),
    ...(options.googleScopes === undefined ? {} : { scopes: options.googleScopes }),
  });
  useDriveEndpoints(mcp, provider.driveEndpoints);
  return providerSetupHook(mcp, provider, settings, {
    middleware: options.middleware,
    scopesSupported: options.scopesSupported ?? GOOGLE_DRIVE_MCP_SCOPES,
  });
}
