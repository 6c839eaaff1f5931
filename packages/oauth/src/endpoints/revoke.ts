/**
 * `POST /oauth/revoke`: token revocation (RFC 7009). The client
 * authenticates as at the token endpoint. A refresh token revokes its whole
 * grant: the refresh-token family and every access token carrying the
 * grant's id. An access token (one of our JWTs, signature verified) is
 * revoked by its `jti` until it expires. Only the client a token was issued
 * to can revoke it; for anything else (unknown, expired, another client's)
 * the answer is the same 200, as RFC 7009 §2.2 requires, so the endpoint
 * tells nobody whether a token exists.
 */
import type { FastifyInstance } from "fastify";
import type { AuthorizationServerContext } from "../context.js";
import { TokenEndpointError } from "../errors.js";
import type { ClientRecord } from "../store/records.js";
import { verifyAccessToken } from "../tokens/access-token.js";
import { backChannelEndpoint } from "./back-channel.js";

export async function revocationRoute(app: FastifyInstance, ctx: AuthorizationServerContext): Promise<void> {
  await backChannelEndpoint(app, ctx, ctx.paths.revoke, "revocation request", async ({ params, client }) => {
    const token = params.get("token");
    if (token === undefined) throw new TokenEndpointError("invalid_request", "token is required");
    // The hint only orders the lookups (RFC 7009 §2.1); an unknown hint is ignored.
    if (params.get("token_type_hint") === "access_token") {
      if (!(await revokeAccessToken(ctx, client, token))) await revokeRefreshToken(ctx, client, token);
    } else if (!(await revokeRefreshToken(ctx, client, token))) {
      await revokeAccessToken(ctx, client, token);
    }
    return undefined;
  });
}

/** Revokes the grant of a refresh token of `client`. `false` when `token` is not one. */
async function revokeRefreshToken(
  ctx: AuthorizationServerContext,
  client: ClientRecord,
  token: string,
): Promise<boolean> {
  const record = await ctx.store.getRefreshToken(token);
  if (record === undefined) return false;
  if (record.clientId === client.clientId) await ctx.store.revokeGrant(record.grantId);
  return true;
}

/** Revokes an access token of `client` by its `jti`. `false` when `token` is not one of our live access tokens. */
async function revokeAccessToken(
  ctx: AuthorizationServerContext,
  client: ClientRecord,
  token: string,
): Promise<boolean> {
  let claims: Awaited<ReturnType<typeof verifyAccessToken>>;
  try {
    claims = await verifyAccessToken(token, ctx.keys, {
      issuer: ctx.config.issuer,
      audience: ctx.resource,
      clockTolerance: ctx.config.clockTolerance,
    });
  } catch {
    // Not ours, malformed, or expired: nothing to revoke.
    return false;
  }
  if (claims.client_id === client.clientId) await ctx.store.revokeAccessToken(claims.jti, claims.exp);
  return true;
}
