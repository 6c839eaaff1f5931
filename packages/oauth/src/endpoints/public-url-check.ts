/**
 * A misconfiguration detector for reverse proxies. The issuer is configured
 * (`OAUTH_SERVER_URL`) and never follows a request: tokens' `iss` and `aud`
 * and every URL we emit come from it. When a request arrives through a
 * trusted proxy (`trustProxy`) that reports another public origin
 * (`X-Forwarded-Proto|Host`) or path prefix (`X-Forwarded-Prefix`, when sent),
 * clients are reaching us at a URL our metadata does not name: one warning
 * says so, naming both, and nothing else changes.
 */
import { forwardedBaseUrl } from "@chuk-mcp/server";
import type { FastifyInstance } from "fastify";
import type { AuthorizationServerContext } from "../context.js";

/** Adds the check to the authorization server's routes; it warns at most once. */
export function warnOnPublicUrlMismatch(app: FastifyInstance, ctx: AuthorizationServerContext): void {
  const issuer = new URL(ctx.config.issuer);
  const issuerPath = issuer.pathname.replace(/\/+$/, "");
  let warned = false;
  app.addHook("onRequest", (request, _reply, done) => {
    if (!warned) {
      const forwarded = forwardedBaseUrl(request);
      if (
        forwarded !== undefined &&
        (forwarded.origin !== issuer.origin || (forwarded.prefix !== undefined && forwarded.prefix !== issuerPath))
      ) {
        warned = true;
        const publicUrl = `${forwarded.origin}${forwarded.prefix ?? ""}`;
        ctx.logger.warn(
          { issuer: ctx.config.issuer, publicUrl },
          `a trusted proxy forwards this server as ${publicUrl}, but the OAuth issuer is ${ctx.config.issuer}: set OAUTH_SERVER_URL to the public URL (or fix the proxy's X-Forwarded-Proto/Host/Prefix)`,
        );
      }
    }
    done();
  });
}
