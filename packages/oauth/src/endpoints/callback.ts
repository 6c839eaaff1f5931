/**
 * `GET /oauth/callback`: where the upstream provider sends the browser back.
 *
 * The `state` names an approved pending authorization, taken once (a replayed
 * callback finds nothing) and honoured only in the browser that approved it.
 * The provider exchanges its code and identifies the user; we keep the
 * upstream tokens server-side, record the user's consent for the client,
 * remember the user in this browser, and answer the client with our own
 * single-use code, its `state` and our `iss` (RFC 9207).
 */
import type { FastifyInstance } from "fastify";
import type { AuthorizationServerContext } from "../context.js";
import { AuthorizationEndpointError } from "../errors.js";
import { UpstreamError } from "../provider.js";
import type { AuthorizationCodeRecord, PendingAuthorizationRecord } from "../store/records.js";
import { generateOpaqueToken } from "../tokens/opaque.js";
import { isBoundBrowser, rememberUser } from "./browser-cookies.js";
import {
  loggableFailure,
  redirectAuthorizationError,
  redirectBrowser,
  showAuthorizationError,
} from "./browser-responses.js";
import { queryParams } from "./request-params.js";

/** Upstream errors that mean the user (or the upstream on their behalf) said no. */
const REFUSALS = new Set(["access_denied", "login_required", "consent_required", "interaction_required"]);

export async function callbackRoute(app: FastifyInstance, ctx: AuthorizationServerContext): Promise<void> {
  app.get(ctx.paths.callback, async (request, reply) => {
    let pending: PendingAuthorizationRecord | undefined;
    try {
      const parsed = queryParams(request);
      if (!parsed.ok) return showInvalid(reply, `The sign-in response is malformed: ${parsed.problem}`);
      const state = parsed.params.get("state");
      if (state === undefined) return showInvalid(reply, "The sign-in response has no state");
      const taken = await ctx.store.takePendingAuthorization(state);
      if (taken?.stage !== "upstream" || taken.browserBinding === undefined) {
        return showInvalid(
          reply,
          "This sign-in has expired or was already completed. Start again from your application",
        );
      }
      if (!isBoundBrowser(request, ctx, taken.browserBinding)) {
        return showInvalid(
          reply,
          "This sign-in was started in another browser. Start again from your application, in this browser",
        );
      }
      pending = taken;

      const upstreamError = parsed.params.get("error");
      if (upstreamError !== undefined) {
        const refused = REFUSALS.has(upstreamError);
        ctx.logger.warn({ upstreamError: upstreamError.slice(0, 64) }, "the upstream provider refused the sign-in");
        const error = refused
          ? new AuthorizationEndpointError("access_denied", `${ctx.providerName} sign-in was not completed`)
          : new AuthorizationEndpointError("server_error", `${ctx.providerName} reported an error`);
        return redirectAuthorizationError(reply, ctx, error, pending.redirectUri, pending.clientState);
      }

      const callbackUrl = new URL(ctx.urls.callback);
      callbackUrl.search = parsed.raw.toString();
      const grant = await ctx.provider.finishAuthorization({
        url: callbackUrl,
        state,
        ...(pending.upstreamCodeVerifier === undefined ? {} : { codeVerifier: pending.upstreamCodeVerifier }),
        ...(pending.extra === undefined ? {} : { extra: pending.extra }),
      });
      const userId = grant.identity.userId;

      // Consent was skipped for the user this browser remembered: someone else
      // signed in, and must see the consent page for themselves.
      if (pending.approval?.kind === "remembered" && pending.approval.userId !== userId) {
        const consent = await ctx.store.getConsent(pending.clientId, userId);
        const scopes = pending.scopes;
        if (consent === undefined || !scopes.every((s) => consent.scopes.includes(s))) {
          rememberUser(reply, ctx, userId);
          const error = new AuthorizationEndpointError(
            "access_denied",
            "A different account signed in than the one that approved this client; authorize again to review the request",
          );
          return redirectAuthorizationError(reply, ctx, error, pending.redirectUri, pending.clientState);
        }
      }

      await ctx.store.saveUpstreamTokens(userId, grant.tokens);
      if (pending.approval?.kind === "consent_page") {
        const previous = await ctx.store.getConsent(pending.clientId, userId);
        await ctx.store.saveConsent(
          {
            clientId: pending.clientId,
            userId,
            scopes: [...new Set([...(previous?.scopes ?? []), ...pending.scopes])],
            grantedAt: Math.floor(Date.now() / 1000),
          },
          ctx.config.ttl.clientRegistration,
        );
      }
      rememberUser(reply, ctx, userId);

      const code = generateOpaqueToken();
      const issuedAt = Math.floor(Date.now() / 1000);
      const record: AuthorizationCodeRecord = {
        grantId: generateOpaqueToken(),
        clientId: pending.clientId,
        userId,
        redirectUri: pending.redirectUri,
        scopes: pending.scopes,
        resource: pending.resource,
        codeChallenge: pending.codeChallenge,
        codeChallengeMethod: "S256",
        issuedAt,
        expiresAt: issuedAt + ctx.config.ttl.authCode,
      };
      await ctx.store.putAuthorizationCode(code, record, ctx.config.ttl.authCode);

      const location = new URL(pending.redirectUri);
      location.searchParams.append("code", code);
      if (pending.clientState !== undefined) location.searchParams.append("state", pending.clientState);
      location.searchParams.append("iss", ctx.config.issuer);
      return redirectBrowser(reply, location.href);
    } catch (err) {
      if (pending === undefined) {
        ctx.logger.error(loggableFailure(err), "sign-in callback failed");
        return showAuthorizationError(reply, err);
      }
      const refused = err instanceof UpstreamError && err.kind === "access_denied";
      if (refused) ctx.logger.warn(loggableFailure(err), "the upstream provider refused the sign-in");
      else ctx.logger.error(loggableFailure(err), "sign-in callback failed");
      const error = refused
        ? new AuthorizationEndpointError("access_denied", `${ctx.providerName} sign-in was not completed`)
        : new AuthorizationEndpointError("server_error", `The sign-in with ${ctx.providerName} failed`);
      return redirectAuthorizationError(reply, ctx, error, pending.redirectUri, pending.clientState);
    }
  });
}

const showInvalid = (reply: Parameters<typeof showAuthorizationError>[0], description: string) =>
  showAuthorizationError(reply, new AuthorizationEndpointError("invalid_request", description));
