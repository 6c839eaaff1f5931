/**
 * The `authorization_code` grant (OAuth 2.1 §4.1.3). The code is redeemed
 * atomically and once; a second presentation is a replay, and the store has
 * already revoked everything issued from the code by the time we refuse it.
 * The code must belong to the authenticated client, come with the redirect
 * URI it was issued for and the PKCE verifier of its challenge, and be for
 * the resource asked for.
 */
import type { AuthorizationServerContext } from "../context.js";
import { TokenEndpointError } from "../errors.js";
import type { ClientRecord, RefreshTokenRecord } from "../store/records.js";
import { generateOpaqueToken } from "../tokens/opaque.js";
import { isCodeVerifier, verifyCodeVerifier } from "../tokens/pkce.js";
import { accessTokenResponse, type TokenResponseBody } from "./token-response.js";

/** Exchanges a code for tokens. Throws `TokenEndpointError`. */
export async function exchangeAuthorizationCode(
  ctx: AuthorizationServerContext,
  client: ClientRecord,
  params: ReadonlyMap<string, string>,
): Promise<TokenResponseBody> {
  if (!client.grantTypes.includes("authorization_code")) {
    throw new TokenEndpointError(
      "unauthorized_client",
      "This client is not registered for the authorization_code grant",
    );
  }
  const code = params.get("code");
  if (code === undefined) throw new TokenEndpointError("invalid_request", "code is required");
  const verifier = params.get("code_verifier");
  if (verifier === undefined) throw new TokenEndpointError("invalid_request", "code_verifier is required (PKCE)");
  if (!isCodeVerifier(verifier)) {
    throw new TokenEndpointError("invalid_request", "code_verifier must be 43-128 characters of [A-Za-z0-9-._~]");
  }
  const resource = params.get("resource");
  const redirectUri = params.get("redirect_uri");

  // Checked after the code is taken: a code presented wrongly is used up, so
  // it cannot be tried again with other values.
  const redemption = await ctx.store.takeAuthorizationCode(code);
  if (redemption.status === "replayed") {
    ctx.logger.warn(
      { clientId: client.clientId },
      "an authorization code was presented again: every token issued from it has been revoked",
    );
    throw new TokenEndpointError("invalid_grant", "The authorization code has already been used");
  }
  if (redemption.status === "unknown") {
    throw new TokenEndpointError("invalid_grant", "The authorization code is invalid or has expired");
  }
  const record = redemption.record;
  if (record.expiresAt * 1000 <= Date.now()) {
    throw new TokenEndpointError("invalid_grant", "The authorization code has expired");
  }
  if (record.clientId !== client.clientId) {
    throw new TokenEndpointError("invalid_grant", "The authorization code was issued to another client");
  }
  if (!redirectUriMatches(client, record.redirectUri, redirectUri)) {
    throw new TokenEndpointError("invalid_grant", "redirect_uri does not match the authorization request");
  }
  if (!verifyCodeVerifier({ verifier, challenge: record.codeChallenge, method: record.codeChallengeMethod })) {
    throw new TokenEndpointError("invalid_grant", "code_verifier does not match the code_challenge");
  }
  if (resource !== undefined && resource !== record.resource) {
    throw new TokenEndpointError("invalid_target", `The code was issued for the resource ${record.resource}`);
  }

  const access = {
    grantId: record.grantId,
    clientId: record.clientId,
    userId: record.userId,
    scopes: record.scopes,
    resource: record.resource,
  };
  const response = await accessTokenResponse(ctx, access);
  if (client.grantTypes.includes("refresh_token")) {
    const refreshToken = generateOpaqueToken();
    const issuedAt = Math.floor(Date.now() / 1000);
    const ttl = ctx.config.ttl.refreshToken;
    const refreshRecord: RefreshTokenRecord = {
      ...access,
      scopes: [...access.scopes],
      issuedAt,
      expiresAt: issuedAt + ttl,
    };
    await ctx.store.putRefreshToken(refreshToken, refreshRecord, ttl);
    response.refresh_token = refreshToken;
  }
  return response;
}

/**
 * The token request's `redirect_uri` must be the one the code was issued
 * for. It may be left out only when it could not have been anything else: the
 * code went to the client's one registered redirect URI exactly.
 */
function redirectUriMatches(client: ClientRecord, issuedFor: string, presented: string | undefined): boolean {
  if (presented !== undefined) return presented === issuedFor;
  return client.redirectUris.length === 1 && client.redirectUris[0] === issuedFor;
}
