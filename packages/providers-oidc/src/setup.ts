/**
 * `setupOidcOAuth(getMcpServer())`: one line for any OpenID Connect issuer.
 * The configuration is read and checked when it is called (options first,
 * then `OIDC_ISSUER`, `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`,
 * `OIDC_REDIRECT_URI`, `OIDC_SCOPES`, `OIDC_AUDIENCE`, `OIDC_CLIENT_AUTH_METHOD`,
 * `OAUTH_SERVER_URL`),
 * so a missing variable stops start-up at once with a message naming it. The
 * hook it returns discovers the issuer when `run()` calls it, before the
 * server listens: an issuer that cannot be discovered stops start-up too.
 */
import {
  type OAuthMiddleware,
  type ProviderCredentialSpec,
  type ProviderSetupOptions,
  providerOptionsFrom,
  providerSetupHook,
  resolveProviderSettings,
} from "@chuk-mcp/oauth";
import { type ChukMCPServer, ConfigError, type PostRegisterHook } from "@chuk-mcp/server";
import { OidcOAuthProvider, type OidcOAuthProviderOptions, parseIssuer } from "./oidc-provider.js";

/** Who asks for the credentials, in the messages that ask for them. */
export const OIDC_CREDENTIALS: ProviderCredentialSpec = {
  envPrefix: "OIDC",
  displayName: "OpenID Connect",
  consoleUrl: "your identity provider's admin console",
};

/** Options of `setupOidcOAuth`; each may instead come from its environment variable. */
export interface OidcSetupOptions extends ProviderSetupOptions {
  /** The issuer identifier (`OIDC_ISSUER`), e.g. `https://YOUR-TENANT.auth0.com/`. */
  issuer?: string;
  /** Upstream scopes (`OIDC_SCOPES`, space-separated). Default: `openid profile email offline_access`, as the issuer supports them. */
  scopes?: readonly string[];
  /** Sent as the `audience` authorization parameter (`OIDC_AUDIENCE`): Auth0's API identifier. */
  audience?: string;
  /** More authorization request parameters (e.g. `{ prompt: "consent" }`). */
  authorizationParams?: Record<string, string>;
  /**
   * How to authenticate at the token endpoint (`OIDC_CLIENT_AUTH_METHOD`): set it to the method the
   * client is registered with when the issuer checks (Auth0, Okta). Default: from the issuer's
   * metadata, `client_secret_basic` first.
   */
  clientAuthentication?: OidcOAuthProviderOptions["clientAuthentication"];
  /** Shown on the consent page. Default: the issuer's host. */
  name?: string;
  /** MCP scopes our authorization server offers its clients. Default: none beyond what tools require. */
  scopesSupported?: readonly string[];
  /** Seconds to wait for each request to the issuer, discovery included. Default 10. */
  requestTimeout?: number;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/**
 * The `postRegisterHook` for an OpenID Connect issuer:
 *
 * ```ts
 * await run({ transport: "http", postRegisterHook: setupOidcOAuth(getMcpServer()) });
 * ```
 *
 * Throws `ConfigError` at once when the issuer, the client id or the client
 * secret is missing (naming every variable to set) or malformed. The hook
 * returned is async: it discovers the issuer (rejecting with
 * `OidcDiscoveryError`, naming the URL and the HTTP status, when it cannot)
 * and then installs `OAuthMiddleware`, which it resolves to; `run()` awaits it
 * before listening.
 */
export function setupOidcOAuth(mcp: ChukMCPServer, options: OidcSetupOptions = {}): PostRegisterHook {
  const env = options.env ?? process.env;
  const issuer = nonEmpty(options.issuer) ?? nonEmpty(env.OIDC_ISSUER);
  if (issuer === undefined) throw missingIssuer(options, env);
  const settings = resolveProviderSettings(OIDC_CREDENTIALS, options);
  const scopes = options.scopes ?? splitScopes(env.OIDC_SCOPES);
  const audience = nonEmpty(options.audience) ?? nonEmpty(env.OIDC_AUDIENCE);
  const clientAuthentication = options.clientAuthentication ?? clientAuthMethod(env.OIDC_CLIENT_AUTH_METHOD);
  const authorizationParams = {
    ...(audience === undefined ? {} : { audience }),
    ...options.authorizationParams,
  };
  const providerOptions: OidcOAuthProviderOptions = {
    issuer,
    ...providerOptionsFrom(settings),
    ...(scopes === undefined ? {} : { scopes }),
    ...(Object.keys(authorizationParams).length === 0 ? {} : { authorizationParams }),
    ...(clientAuthentication === undefined ? {} : { clientAuthentication }),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.requestTimeout === undefined ? {} : { requestTimeout: options.requestTimeout }),
  };
  // A malformed issuer is a configuration error now, not when the hook runs.
  parseIssuer(issuer);
  return async (server: ChukMCPServer = mcp): Promise<OAuthMiddleware> => {
    const provider = await OidcOAuthProvider.discover(providerOptions);
    const install = providerSetupHook(mcp, provider, settings, {
      middleware: options.middleware,
      ...(options.scopesSupported === undefined ? {} : { scopesSupported: options.scopesSupported }),
    });
    return install(server) as OAuthMiddleware;
  };
}

/** `OIDC_CLIENT_AUTH_METHOD`, checked; `undefined` when unset or blank. */
function clientAuthMethod(value: string | undefined): OidcOAuthProviderOptions["clientAuthentication"] {
  const method = nonEmpty(value);
  if (method === undefined) return undefined;
  if (method === "client_secret_basic" || method === "client_secret_post") return method;
  throw new ConfigError("OIDC_CLIENT_AUTH_METHOD must be client_secret_basic or client_secret_post");
}

/** `OIDC_SCOPES` split on whitespace; `undefined` when unset or blank. */
function splitScopes(value: string | undefined): string[] | undefined {
  const scopes = (value ?? "").split(/\s+/).filter((scope) => scope !== "");
  return scopes.length === 0 ? undefined : scopes;
}

/** The message for a missing issuer, naming the client id and secret too when they are missing as well. */
function missingIssuer(options: OidcSetupOptions, env: NodeJS.ProcessEnv): ConfigError {
  const missing = [
    "OIDC_ISSUER",
    ...((nonEmpty(options.clientId) ?? nonEmpty(env.OIDC_CLIENT_ID)) ? [] : ["OIDC_CLIENT_ID"]),
    ...((nonEmpty(options.clientSecret) ?? nonEmpty(env.OIDC_CLIENT_SECRET)) ? [] : ["OIDC_CLIENT_SECRET"]),
  ];
  const listed = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(", ")} and ${missing.at(-1)}`;
  // The redirect URI as the shared settings resolve it (the credentials here only stand in for the missing ones).
  const { redirectUri } = resolveProviderSettings(OIDC_CREDENTIALS, { ...options, clientId: "-", clientSecret: "-" });
  const credentials =
    missing.length === 1
      ? ""
      : ` Create an OAuth app (a confidential OpenID Connect client) at ${OIDC_CREDENTIALS.consoleUrl} ` +
        `with the redirect URI ${redirectUri}, then set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET ` +
        "(or pass clientId and clientSecret).";
  return new ConfigError(
    `OpenID Connect OAuth needs ${listed}. Set OIDC_ISSUER to your identity provider's issuer URL, the one its ` +
      "/.well-known/openid-configuration is under (e.g. https://YOUR-TENANT.auth0.com/ or " +
      `https://keycloak.example.com/realms/YOUR-REALM), or pass issuer.${credentials}`,
  );
}
