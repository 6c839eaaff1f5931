/**
 * The JWKS document (RFC 7517 §5): the public keys that verify our access
 * tokens, current and previous, so that resource servers can check tokens
 * without asking us. Public parameters only, by construction of `KeySet.jwks()`.
 */
import type { FastifyInstance } from "fastify";
import type { AuthorizationServerContext } from "../context.js";
import { allowAnyOrigin, crossOriginEndpoint } from "./cors.js";

/**
 * Short enough that a rotated-in key is seen soon after a restart, long
 * enough that verifiers do not fetch it on every token.
 */
const JWKS_CACHE_CONTROL = "public, max-age=600";

/** Mounts `GET /oauth/jwks` (at `ctx.paths.jwks`) with a CORS preflight and 405 for other methods. */
export async function jwksRoute(app: FastifyInstance, ctx: AuthorizationServerContext): Promise<void> {
  const url = ctx.paths.jwks;
  app.get(url, async (_req, reply) => {
    allowAnyOrigin(reply)
      .header("cache-control", JWKS_CACHE_CONTROL)
      .type("application/jwk-set+json; charset=utf-8")
      .send(JSON.stringify(ctx.keys.jwks()));
  });
  crossOriginEndpoint(app, url, ["GET"]);
}
