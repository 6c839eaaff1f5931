/** Sample records and store construction for the TokenStore suites. */
import { randomBytes } from "node:crypto";
import type { StoreBackend } from "../../src/store/backend.js";
import type {
  AuthorizationCodeRecord,
  ClientRecord,
  PendingAuthorizationRecord,
  RefreshTokenRecord,
} from "../../src/store/records.js";
import { TokenStore, type TokenStoreOptions } from "../../src/store/token-store.js";

export const KEY = randomBytes(32);

/** A store on `backend` with a fixed key and an empty environment (nothing leaks in from the test runner's). */
export const storeOn = (backend: StoreBackend, options: Partial<TokenStoreOptions> = {}): TokenStore =>
  new TokenStore({ sandboxId: "sandbox-a", backend, encryptionKey: KEY, env: {}, ...options });

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export const client = (clientId = "client-1"): ClientRecord => ({
  clientId,
  clientName: "Test Client",
  redirectUris: ["http://127.0.0.1/callback"],
  grantTypes: ["authorization_code", "refresh_token"],
  responseTypes: ["code"],
  tokenEndpointAuthMethod: "none",
  applicationType: "native",
  issuedAt: nowSeconds(),
  metadata: { client_uri: "https://example.com", contacts: ["ops@example.com"] },
});

export const pending = (clientId = "client-1"): PendingAuthorizationRecord => ({
  clientId,
  redirectUri: "http://127.0.0.1/callback",
  scopes: ["posts.write"],
  clientState: "client-state-123",
  codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  codeChallengeMethod: "S256",
  resource: "http://localhost:8000/mcp",
  upstreamCodeVerifier: "upstream-verifier",
  createdAt: nowSeconds(),
});

export const codeRecord = (grantId = "grant-1"): AuthorizationCodeRecord => ({
  grantId,
  clientId: "client-1",
  userId: "user-1",
  redirectUri: "http://127.0.0.1/callback",
  scopes: ["posts.write", "profile.read"],
  resource: "http://localhost:8000/mcp",
  codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  codeChallengeMethod: "S256",
  issuedAt: nowSeconds(),
  expiresAt: nowSeconds() + 600,
});

export const refreshRecord = (grantId = "grant-1", ttlSeconds = 3600): RefreshTokenRecord => ({
  grantId,
  clientId: "client-1",
  userId: "user-1",
  scopes: ["posts.write", "profile.read"],
  resource: "http://localhost:8000/mcp",
  issuedAt: nowSeconds(),
  expiresAt: Date.now() / 1000 + ttlSeconds,
});

/** A fresh random opaque value (a code, a token, a state). */
export const opaque = (): string => randomBytes(32).toString("base64url");
