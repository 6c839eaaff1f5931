/**
 * The answers of the browser-facing endpoints (authorize, consent, callback):
 * a redirect, an error redirect to a trusted redirect URI, or an error page
 * when no redirect URI can be trusted. And what of a failure may be logged.
 */
import type { FastifyReply } from "fastify";
import type { AuthorizationServerContext } from "../context.js";
import { AuthorizationEndpointError, authorizationErrorRedirect, oauthErrorResponse } from "../errors.js";
import { UpstreamError } from "../provider.js";
import { TokenStoreError } from "../store/errors.js";
import { errorPage, sendPage } from "./html.js";

/** A 302 to `location`, never cached, and leaking no Referer to where it goes. */
export function redirectBrowser(reply: FastifyReply, location: string): FastifyReply {
  return reply
    .code(302)
    .header("location", location)
    .header("cache-control", "no-store")
    .header("pragma", "no-cache")
    .header("referrer-policy", "no-referrer")
    .send();
}

/** Sends an authorization error back to a redirect URI already checked against the client's registration. */
export function redirectAuthorizationError(
  reply: FastifyReply,
  ctx: AuthorizationServerContext,
  error: unknown,
  redirectUri: string,
  state: string | undefined,
): FastifyReply {
  return redirectBrowser(reply, authorizationErrorRedirect(error, redirectUri, { state, issuer: ctx.config.issuer }));
}

/** Shows an error to the user, never redirecting (the redirect URI is unknown or untrusted). */
export function showAuthorizationError(reply: FastifyReply, error: unknown): FastifyReply {
  const known = error instanceof AuthorizationEndpointError ? error : undefined;
  const { status, headers, body } = oauthErrorResponse(known ?? error);
  // A store outage says when to try again (503 Retry-After); a person's browser may use it too.
  if (headers["retry-after"] !== undefined) reply.header("retry-after", headers["retry-after"]);
  return sendPage(
    reply,
    status,
    errorPage({
      title: status >= 500 ? "Something went wrong" : "This authorization request cannot be completed",
      error: body?.error ?? "server_error",
      description: body?.error_description,
    }),
  );
}

/**
 * What may be logged about a failure: its kind and, for our own error types
 * (whose messages are written never to contain a secret), the message.
 * Anything else is named only: a foreign message may quote a URL with a code.
 */
export function loggableFailure(err: unknown): Record<string, string> {
  if (err instanceof UpstreamError) return { error: err.name, kind: err.kind, reason: err.message };
  if (err instanceof TokenStoreError) return { error: err.name, code: err.code, reason: err.message };
  return { error: err instanceof Error ? err.name : typeof err };
}
