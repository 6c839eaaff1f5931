/**
 * What every endpoint of the authorization server shares, resolved once at
 * start-up by `OAuthMiddleware`: configuration, keys, store, provider and
 * the public URLs. Endpoints receive it; none reads the environment itself.
 */
import type { Logger } from "@chuk-mcp/server";
import type { ClientMetadataResolver } from "./clients/metadata-resolver.js";
import type { OAuthConfig } from "./config.js";
import type { BaseOAuthProvider } from "./provider.js";
import type { RateLimitSettings } from "./rate-limits.js";
import type { TokenStore } from "./store/token-store.js";
import type { KeySet } from "./tokens/keys.js";

/** Where each endpoint is mounted on our HTTP server (paths, not URLs). */
export interface AuthorizationServerPaths {
  authorize: string;
  token: string;
  register: string;
  revoke: string;
  jwks: string;
  /** The upstream provider's redirect back to us. */
  callback: string;
  consent: string;
}

/** The public URLs of the endpoints (the issuer followed by each path). */
export interface AuthorizationServerUrls extends AuthorizationServerPaths {
  issuer: string;
  /** This resource's protected resource metadata document (RFC 9728). */
  protectedResourceMetadata: string;
}

export interface AuthorizationServerContext {
  readonly config: OAuthConfig;
  readonly keys: KeySet;
  readonly store: TokenStore;
  readonly provider: BaseOAuthProvider;
  /** Shown on the consent page ("Sign in with …"). */
  readonly providerName: string;
  /** Scopes clients may ask for; requested scopes outside it are refused (`invalid_scope`). */
  readonly scopesSupported: readonly string[];
  /** Link in the metadata (`service_documentation`). */
  readonly serviceDocumentation: string | undefined;
  /** The MCP endpoint's canonical URL: the only `resource` (RFC 8707) and `aud` we issue tokens for. */
  readonly resource: string;
  readonly paths: AuthorizationServerPaths;
  readonly urls: AuthorizationServerUrls;
  /**
   * Signs and checks the browser cookies of the consent flow (CSRF token,
   * remembered user): derived from the store's encryption key (`OAUTH_ENCRYPTION_KEY`).
   */
  readonly cookieSecret: Uint8Array;
  /** Resolves clients whose `client_id` is an `https` URL (Client ID Metadata Documents); see `findClient`. */
  readonly clientMetadata: ClientMetadataResolver;
  /** Per-address limits of the public endpoints. */
  readonly rateLimits: RateLimitSettings;
  readonly logger: Logger;
}
