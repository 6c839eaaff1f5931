/**
 * The successful token response (RFC 6749 §5.1) and the tokens in it: an
 * RFC 9068 access token carrying the grant id (`gid`), so that revoking the
 * grant revokes it too, and, where the client may refresh, an opaque refresh
 * token stored only as its hash.
 */
import type { AuthorizationServerContext } from "../context.js";
import { GRANT_ID_CLAIM, issueAccessToken } from "../tokens/access-token.js";

/** The JSON body of a successful token response. */
export interface TokenResponseBody {
  access_token: string;
  token_type: "Bearer";
  /** Seconds until the access token expires: exactly its lifetime. */
  expires_in: number;
  refresh_token?: string;
  /** The granted scopes, space-separated; absent when none were granted. */
  scope?: string;
}

/** What the tokens are issued for. */
export interface GrantedAccess {
  /** The grant (from one authorization code) the tokens belong to. */
  grantId: string;
  clientId: string;
  userId: string;
  scopes: readonly string[];
  /** The resource (audience). */
  resource: string;
}

/** Signs an access token for `access` and builds the response around it (add `refresh_token` separately). */
export async function accessTokenResponse(
  ctx: AuthorizationServerContext,
  access: GrantedAccess,
): Promise<TokenResponseBody> {
  const issued = await issueAccessToken(ctx.keys, {
    issuer: ctx.config.issuer,
    subject: access.userId,
    audience: access.resource,
    clientId: access.clientId,
    scopes: access.scopes,
    ttl: ctx.config.ttl.accessToken,
    extraClaims: { [GRANT_ID_CLAIM]: access.grantId },
  });
  return {
    access_token: issued.token,
    token_type: "Bearer",
    expires_in: issued.expiresIn,
    // RFC 6749 §3.3: a scope value has at least one token, so no scopes means no `scope` member.
    ...(issued.claims.scope === "" ? {} : { scope: issued.claims.scope }),
  };
}
