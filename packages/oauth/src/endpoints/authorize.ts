/**
 * `GET /oauth/authorize`: the authorization endpoint (OAuth 2.1 §4.1.1).
 *
 * A valid request (see `validateAuthorizationRequest`) starts the upstream
 * authorization with a new random, single-use `state`. Then, when this
 * browser's remembered user already approved this client for these scopes,
 * the browser goes straight upstream; otherwise the request waits on the
 * consent page under a separate random id, and only the user's approval makes
 * the upstream `state` redeemable at the callback (MCP security best
 * practices: per-client consent before the upstream, state stored only after
 * consent). Either way the record lives in the TokenStore, not in memory.
 */
import type { FastifyInstance } from "fastify";
import type { AuthorizationServerContext } from "../context.js";
import { AuthorizationEndpointError } from "../errors.js";
import type { UpstreamAuthorizationStart } from "../provider.js";
import type { PendingAuthorizationRecord } from "../store/records.js";
import { generateOpaqueToken } from "../tokens/opaque.js";
import {
  type AuthorizationRequest,
  type AuthorizationRequestOutcome,
  validateAuthorizationRequest,
} from "./authorization-request.js";
import { browserBindingOf, ensureBrowserId, readRememberedUser } from "./browser-cookies.js";
import {
  loggableFailure,
  redirectAuthorizationError,
  redirectBrowser,
  showAuthorizationError,
} from "./browser-responses.js";
import { queryParams } from "./request-params.js";

export async function authorizeRoute(app: FastifyInstance, ctx: AuthorizationServerContext): Promise<void> {
  app.get(ctx.paths.authorize, async (request, reply) => {
    let outcome: AuthorizationRequestOutcome;
    try {
      outcome = await validateAuthorizationRequest(ctx, queryParams(request));
    } catch (err) {
      ctx.logger.error(loggableFailure(err), "authorization request failed before its redirect URI was checked");
      return showAuthorizationError(reply, err);
    }
    if (outcome.kind === "show") return showAuthorizationError(reply, outcome.error);
    if (outcome.kind === "redirect") {
      return redirectAuthorizationError(reply, ctx, outcome.error, outcome.redirectUri, outcome.state);
    }

    const authz = outcome.request;
    try {
      const browserId = ensureBrowserId(request, reply, ctx);
      const upstreamState = generateOpaqueToken();
      const upstream = await ctx.provider.startAuthorization({ state: upstreamState, scopes: authz.scopes });
      const base = pendingRecordOf(authz, upstream);
      const ttl = ctx.config.ttl.authCode;

      const rememberedUser = readRememberedUser(request, ctx);
      if (rememberedUser !== undefined && (await hasConsented(ctx, authz, rememberedUser))) {
        await ctx.store.putPendingAuthorization(
          upstreamState,
          {
            ...base,
            stage: "upstream",
            browserBinding: browserBindingOf(browserId),
            approval: { kind: "remembered", userId: rememberedUser },
          },
          ttl,
        );
        return redirectBrowser(reply, upstream.url);
      }

      const consentRequestId = generateOpaqueToken();
      await ctx.store.putPendingAuthorization(
        consentRequestId,
        { ...base, stage: "consent", upstreamUrl: upstream.url, upstreamState },
        ttl,
      );
      const consentUrl = new URL(ctx.urls.consent);
      consentUrl.searchParams.set("request", consentRequestId);
      return redirectBrowser(reply, consentUrl.href);
    } catch (err) {
      ctx.logger.error(
        loggableFailure(err),
        "authorization request failed: could not start the upstream authorization",
      );
      const error = new AuthorizationEndpointError("server_error", "The sign-in could not be started; try again later");
      return redirectAuthorizationError(reply, ctx, error, authz.redirectUri, authz.state);
    }
  });
}

/** The pending record of a validated request and its upstream start (the stage is set by the caller). */
function pendingRecordOf(
  authz: AuthorizationRequest,
  upstream: UpstreamAuthorizationStart,
): PendingAuthorizationRecord {
  const record: PendingAuthorizationRecord = {
    clientId: authz.client.clientId,
    redirectUri: authz.redirectUri,
    scopes: authz.scopes,
    codeChallenge: authz.codeChallenge,
    codeChallengeMethod: "S256",
    resource: authz.resource,
    createdAt: Math.floor(Date.now() / 1000),
  };
  if (authz.state !== undefined) record.clientState = authz.state;
  if (upstream.codeVerifier !== undefined) record.upstreamCodeVerifier = upstream.codeVerifier;
  if (upstream.extra !== undefined) record.extra = upstream.extra;
  return record;
}

/** Whether `userId` already approved this client for every scope asked for. */
async function hasConsented(
  ctx: AuthorizationServerContext,
  authz: AuthorizationRequest,
  userId: string,
): Promise<boolean> {
  const consent = await ctx.store.getConsent(authz.client.clientId, userId);
  return consent !== undefined && authz.scopes.every((s) => consent.scopes.includes(s));
}
