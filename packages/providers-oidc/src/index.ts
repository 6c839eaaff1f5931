/**
 * @chuk-mcp/providers-oidc — any OpenID Connect issuer (Auth0, Keycloak,
 * Okta, Microsoft Entra ID, …) as the upstream of a chuk-mcp server's OAuth,
 * found by discovery:
 *
 * ```ts
 * await run({ transport: "http", postRegisterHook: setupOidcOAuth(getMcpServer()) });
 * ```
 *
 * with `OIDC_ISSUER`, `OIDC_CLIENT_ID` and `OIDC_CLIENT_SECRET` set.
 */
export {
  DEFAULT_OIDC_SCOPES,
  discoverOidcIssuer,
  discoveryUrl,
  OIDC_DISCOVERY_PATH,
  OidcDiscoveryError,
  type OidcDiscoveryFailure,
  type OidcDiscoveryOptions,
  type OidcIssuerMetadata,
  OidcOAuthProvider,
  type OidcOAuthProviderOptions,
} from "./oidc-provider.js";
export { OIDC_CREDENTIALS, type OidcSetupOptions, setupOidcOAuth } from "./setup.js";
