/**
 * `POST /oauth/token`: the token endpoint (OAuth 2.1 §3.2). Form-encoded
 * requests only, client authentication as registered, then the grant:
 * `authorization_code` or `refresh_token`; any other is
 * `unsupported_grant_type`. Every answer is `no-store`; browser-based clients
 * may call it cross-origin (no credentials involved).
 */
import type { FastifyInstance } from "fastify";
import type { AuthorizationServerContext } from "../context.js";
import { TokenEndpointError } from "../errors.js";
import { exchangeAuthorizationCode } from "../grants/authorization-code.js";
import { exchangeRefreshToken } from "../grants/refresh-token.js";
import { backChannelEndpoint } from "./back-channel.js";

export async function tokenRoute(app: FastifyInstance, ctx: AuthorizationServerContext): Promise<void> {
  await backChannelEndpoint(app, ctx, ctx.paths.token, "token request", async ({ params, client }) => {
    const grantType = params.get("grant_type");
    switch (grantType) {
      case "authorization_code":
        return exchangeAuthorizationCode(ctx, client, params);
      case "refresh_token":
        return exchangeRefreshToken(ctx, client, params);
      case undefined:
        throw new TokenEndpointError("invalid_request", "grant_type is required");
      default:
        throw new TokenEndpointError(
          "unsupported_grant_type",
          "Supported grant types: authorization_code, refresh_token",
        );
    }
  });
}
