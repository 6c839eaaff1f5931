/**
 * The `refresh_token` grant (OAuth 2.1 §4.3) with rotation: every refresh
 * returns a new refresh token and retires the old one. Presenting a retired
 * token again within the configured grace period (two requests racing) still
 * works; after it, it is reuse, and the store revokes the whole grant. A
 * refresh token is bound to its client, and a refresh may narrow the scopes
 * but never widen them. Every refusal is `invalid_grant` (or `invalid_scope`
 * for a widening), with no hint of which rule failed beyond that.
 */
import type { AuthorizationServerContext } from "../context.js";
import { TokenEndpointError } from "../errors.js";
import type { ClientRecord } from "../store/records.js";
import { generateOpaqueToken } from "../tokens/opaque.js";
import { accessTokenResponse, type TokenResponseBody } from "./token-response.js";

/** Rotates a refresh token and issues a new access token. Throws `TokenEndpointError`. */
export async function exchangeRefreshToken(
  ctx: AuthorizationServerContext,
  client: ClientRecord,
  params: ReadonlyMap<string, string>,
): Promise<TokenResponseBody> {
  if (!client.grantTypes.includes("refresh_token")) {
    throw new TokenEndpointError("unauthorized_client", "This client is not registered for the refresh_token grant");
  }
  const presented = params.get("refresh_token");
  if (presented === undefined) throw new TokenEndpointError("invalid_request", "refresh_token is required");
  const resource = params.get("resource");
  if (resource !== undefined && resource !== ctx.resource) {
    throw new TokenEndpointError("invalid_target", `This server issues tokens only for the resource ${ctx.resource}`);
  }
  const scope = params.get("scope");
  const scopes = scope === undefined ? undefined : [...new Set(scope.split(" ").filter((s) => s !== ""))];

  const next = generateOpaqueToken();
  const rotation = await ctx.store.rotateRefreshToken(presented, {
    clientId: client.clientId,
    next,
    ttlSeconds: ctx.config.ttl.refreshToken,
    graceSeconds: ctx.config.refreshReuseGracePeriod,
    ...(scopes === undefined ? {} : { scopes }),
  });
  switch (rotation.status) {
    case "rotated":
      break;
    case "scope_widened":
      throw new TokenEndpointError("invalid_scope", "A refresh may narrow the granted scopes, never widen them");
    case "reused":
      ctx.logger.warn(
        { clientId: client.clientId },
        "a rotated refresh token was presented again after the grace period: its grant has been revoked",
      );
      throw new TokenEndpointError("invalid_grant", "The refresh token is invalid, expired or revoked");
    default:
      throw new TokenEndpointError("invalid_grant", "The refresh token is invalid, expired or revoked");
  }
  const { current } = rotation;
  const response = await accessTokenResponse(ctx, {
    grantId: current.grantId,
    clientId: current.clientId,
    userId: current.userId,
    scopes: current.scopes,
    resource: current.resource,
  });
  response.refresh_token = next;
  return response;
}
