/**
 * The records the authorization server keeps, as plain JSON. Times are
 * seconds since the epoch (as in JWTs and RFC 7591). Secrets never appear in
 * a record: client secrets are kept as hashes, codes and refresh tokens only
 * as the hash that names their record, and upstream tokens are encrypted.
 */

/** Any JSON value (for metadata the store carries without interpreting). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** How a client authenticates at the token endpoint (RFC 7591 §2). */
export type TokenEndpointAuthMethod = "none" | "client_secret_basic" | "client_secret_post";

/** A registered OAuth client (RFC 7591). */
export interface ClientRecord {
  clientId: string;
  /** `hashOpaqueToken` of the client secret (SHA-256, base64url), for confidential clients; never the secret itself. */
  clientSecretHash?: string;
  /** When the client secret expires; 0 or absent = never (RFC 7591 `client_secret_expires_at`). */
  clientSecretExpiresAt?: number;
  clientName?: string;
  redirectUris: string[];
  grantTypes: string[];
  responseTypes: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  applicationType: "web" | "native";
  /** Scopes the client may request; absent = any supported scope. */
  scopes?: string[];
  /** RFC 7591 `client_id_issued_at`. */
  issuedAt: number;
  /** Other registered metadata (`client_uri`, `logo_uri`, `contacts`, …), echoed back as registered. */
  metadata?: { [key: string]: JsonValue };
}

/**
 * A client resolved from its Client ID Metadata Document (its `client_id` is
 * the document's `https` URL), cached for as long as the document's HTTP
 * cache headers allow, so that every instance sharing the store fetches it once.
 */
export interface ClientMetadataDocumentRecord {
  /** The client the document describes, as a registration would have stored it. */
  client: ClientRecord;
  /** When it was fetched and until when it is used (seconds since the epoch). */
  fetchedAt: number;
  expiresAt: number;
}

/**
 * An authorization request waiting for the upstream provider's callback,
 * keyed by the random `state` we sent upstream.
 */
export interface PendingAuthorizationRecord {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  /** The client's own `state`, returned to it unchanged. */
  clientState?: string;
  /** PKCE challenge from the client (S256 only). */
  codeChallenge: string;
  codeChallengeMethod: "S256";
  /** The resource (RFC 8707) the tokens will be for. */
  resource: string;
  /** Our PKCE verifier for the upstream leg, when the provider uses PKCE. */
  upstreamCodeVerifier?: string;
  createdAt: number;
  /** Anything else the provider needs to finish the flow (nonce, …). */
  extra?: { [key: string]: JsonValue };
  /**
   * Where the request stands. `"consent"`: waiting on the consent page, stored
   * under the consent request id; nothing upstream may come back for it yet.
   * `"upstream"`: approved and sent to the provider, stored under the upstream
   * `state`; only these records are honoured by the callback.
   */
  stage?: "consent" | "upstream";
  /** The upstream authorization URL, kept while the consent page waits (it is where Approve sends the browser). */
  upstreamUrl?: string;
  /** The upstream `state` in `upstreamUrl`: the key the record moves to once approved. */
  upstreamState?: string;
  /** SHA-256 (hex) of the browser cookie of the browser that approved the request: the callback must come from it. */
  browserBinding?: string;
  /**
   * How the user approved: on the consent page, or by a consent remembered
   * for this user id (then the callback checks the user who logged in is that user).
   */
  approval?: { kind: "consent_page" } | { kind: "remembered"; userId: string };
}

/** A user's approval of a client's scopes (the consent page). */
export interface ConsentRecord {
  clientId: string;
  userId: string;
  scopes: string[];
  grantedAt: number;
}

/** An authorization code, stored under the SHA-256 of the code. */
export interface AuthorizationCodeRecord {
  /**
   * The grant this code starts: the refresh-token family and every access
   * token issued from it carry this id, so a replayed code can revoke them all.
   */
  grantId: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  scopes: string[];
  resource: string;
  codeChallenge: string;
  codeChallengeMethod: "S256";
  issuedAt: number;
  expiresAt: number;
}

/** A refresh token, stored under the SHA-256 of the token. */
export interface RefreshTokenRecord {
  /** The grant (family) it belongs to: rotation keeps it, reuse revokes it. */
  grantId: string;
  /** The client it is bound to. */
  clientId: string;
  userId: string;
  scopes: string[];
  resource: string;
  issuedAt: number;
  expiresAt: number;
}

/** A user's tokens at the upstream provider (Google, GitHub, …); encrypted at rest. */
export interface UpstreamTokens {
  accessToken: string;
  /** Kept until `OAUTH_EXTERNAL_TOKEN_TTL` runs out, long after the access token has expired. */
  refreshToken?: string;
  /** When the upstream access token expires; absent = unknown. */
  expiresAt?: number;
  scopes: string[];
  /** Usually `Bearer`. */
  tokenType?: string;
}
