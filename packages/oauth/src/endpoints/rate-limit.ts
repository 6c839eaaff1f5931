/**
 * Counts requests to the registration, authorization and token endpoints
 * per client address and refuses the excess with 429 (`RateLimitedError`),
 * before any other work. A store that cannot count lets the request through
 * (the endpoint itself then answers for the store): limits protect the
 * service, they must not take it down.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AuthorizationServerContext } from "../context.js";
import { oauthErrorResponse, RateLimitedError } from "../errors.js";
import type { RateLimitBucket, RateLimitSettings } from "../rate-limits.js";

/** Counts one request in `bucket` for `req`'s address; throws `RateLimitedError` past the limit. */
export async function countRequest(
  ctx: AuthorizationServerContext,
  limits: RateLimitSettings,
  bucket: RateLimitBucket,
  address: string,
): Promise<void> {
  const limit = limits[bucket];
  if (limit === false) return;
  let count: number;
  try {
    count = await ctx.store.increment(`rate:${bucket}:${address}`, limit.windowSeconds);
  } catch (err) {
    ctx.logger.warn({ err, bucket }, "rate limit not counted: the store is unavailable");
    return;
  }
  if (count > limit.max) throw new RateLimitedError(limit.windowSeconds);
}

/** Adds the per-address limits to the endpoints mounted in `app` (one encapsulated scope). */
export function rateLimitEndpoints(
  app: FastifyInstance,
  ctx: AuthorizationServerContext,
  limits: RateLimitSettings,
): void {
  const buckets = new Map<string, RateLimitBucket>([
    [`POST ${ctx.paths.register}`, "register"],
    [`GET ${ctx.paths.authorize}`, "authorize"],
    [`POST ${ctx.paths.token}`, "token"],
  ]);
  app.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
    const bucket = buckets.get(`${req.method} ${req.routeOptions.url}`);
    if (bucket === undefined) return;
    try {
      await countRequest(ctx, limits, bucket, req.ip);
    } catch (err) {
      const response = oauthErrorResponse(err);
      ctx.logger.warn({ bucket, address: req.ip }, "rate limit exceeded");
      return reply
        .code(response.status)
        .headers(response.headers)
        .header("access-control-allow-origin", "*")
        .type("application/json; charset=utf-8")
        .send(JSON.stringify(response.body));
    }
  });
}
