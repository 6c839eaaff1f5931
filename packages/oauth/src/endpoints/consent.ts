/**
 * The consent page (`GET /oauth/consent?request=<id>`) and its form
 * (`POST /oauth/consent`): the user approves or denies a client before
 * anything goes upstream (MCP security best practices, "per-client consent").
 *
 * The page names the client (escaped), where the answer goes, the scopes and
 * the provider. For a client identified by a metadata document URL it shows
 * that URL's host first: the name is whatever the document says, the host is
 * who published it (draft-ietf-oauth-client-id-metadata-document, "OAuth
 * Phishing Attacks"). The form carries a CSRF token that is an HMAC of this
 * browser's id cookie and the request id (a signed double submit, compared in
 * constant time), so another site cannot make a browser approve. Approve binds
 * the upstream `state` to this browser and sends it upstream; Deny answers the
 * client with `access_denied`. Either way the consent request is used up.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { findClient } from "../clients/lookup.js";
import { isClientIdUrl } from "../clients/metadata-document.js";
import type { AuthorizationServerContext } from "../context.js";
import { AuthorizationEndpointError, ClientMetadataError } from "../errors.js";
import type { ClientRecord, PendingAuthorizationRecord } from "../store/records.js";
import {
  browserBindingOf,
  consentCsrfToken,
  ensureBrowserId,
  isConsentCsrfToken,
  readBrowserId,
} from "./browser-cookies.js";
import {
  loggableFailure,
  redirectAuthorizationError,
  redirectBrowser,
  showAuthorizationError,
} from "./browser-responses.js";
import { consentPage, cspSourceOf, sendPage } from "./html.js";
import { acceptRawBodies, formParams, queryParams } from "./request-params.js";

const EXPIRED = "This authorization request has expired or was already answered";

export async function consentRoutes(app: FastifyInstance, ctx: AuthorizationServerContext): Promise<void> {
  await app.register(async (scope) => {
    acceptRawBodies(scope);
    // What fastify refuses before the handler (a body over the limit) is still answered with a page.
    scope.setErrorHandler((err: { statusCode?: number }, _request, reply) => {
      const clientFault = typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500;
      if (!clientFault) ctx.logger.error(loggableFailure(err), "consent request failed");
      return clientFault
        ? showInvalid(reply, "The consent form could not be read")
        : showAuthorizationError(reply, err);
    });
    scope.get(ctx.paths.consent, async (request, reply) => {
      try {
        const parsed = queryParams(request);
        const requestId = parsed.ok ? parsed.params.get("request") : undefined;
        if (requestId === undefined) return showInvalid(reply, "The consent request id is missing");
        const pending = await ctx.store.getPendingAuthorization(requestId);
        if (pending?.stage !== "consent" || pending.upstreamUrl === undefined) return showInvalid(reply, EXPIRED);
        let client: ClientRecord | undefined;
        try {
          client = await findClient(ctx, pending.clientId);
        } catch (err) {
          if (err instanceof ClientMetadataError) {
            return showInvalid(reply, `This client cannot be used: ${err.description ?? ""}`);
          }
          throw err;
        }
        if (client === undefined) return showInvalid(reply, "The client is no longer registered");

        const browserId = ensureBrowserId(request, reply, ctx);
        const html = consentPage({
          clientName: client.clientName ?? client.clientId,
          clientId: client.clientId,
          clientHost: isClientIdUrl(client.clientId) ? new URL(client.clientId).host : undefined,
          redirectTarget: redirectTargetOf(pending.redirectUri),
          redirectUri: pending.redirectUri,
          scopes: pending.scopes,
          providerName: ctx.providerName,
          action: ctx.urls.consent,
          requestId,
          csrfToken: consentCsrfToken(ctx, browserId, requestId),
        });
        // Approve and Deny redirect there: Chrome checks those redirects against form-action.
        const formTargets = [cspSourceOf(pending.upstreamUrl), cspSourceOf(pending.redirectUri)].filter(
          (s): s is string => s !== undefined,
        );
        return sendPage(reply, 200, html, { formTargets });
      } catch (err) {
        ctx.logger.error(loggableFailure(err), "consent page failed");
        return showAuthorizationError(reply, err);
      }
    });

    scope.post(ctx.paths.consent, async (request, reply) => {
      try {
        const parsed = formParams(request);
        if (!parsed.ok) return showInvalid(reply, `The consent form is malformed: ${parsed.problem}`);
        const requestId = parsed.params.get("request");
        if (requestId === undefined) return showInvalid(reply, "The consent request id is missing");
        const browserId = readBrowserId(request, ctx);
        if (
          browserId === undefined ||
          !isConsentCsrfToken(ctx, browserId, requestId, parsed.params.get("csrf_token"))
        ) {
          return showAuthorizationError(
            reply,
            new AuthorizationEndpointError(
              "access_denied",
              "The consent form could not be verified (it was not sent from this browser's consent page). Start again from your application",
            ),
          );
        }
        const decision = parsed.params.get("decision");
        if (decision !== "approve" && decision !== "deny") return showInvalid(reply, "Choose Approve or Deny");

        const pending = await ctx.store.takePendingAuthorization(requestId);
        if (pending?.stage !== "consent" || pending.upstreamUrl === undefined || pending.upstreamState === undefined) {
          return showInvalid(reply, EXPIRED);
        }
        if (decision === "deny") {
          const denied = new AuthorizationEndpointError("access_denied", "The user denied the request");
          return redirectAuthorizationError(reply, ctx, denied, pending.redirectUri, pending.clientState);
        }
        await approve(ctx, pending, pending.upstreamState, browserBindingOf(browserId));
        return redirectBrowser(reply, pending.upstreamUrl);
      } catch (err) {
        ctx.logger.error(loggableFailure(err), "consent decision failed");
        return showAuthorizationError(reply, err);
      }
    });
  });
}

/** Makes the upstream state redeemable at the callback, for this browser only. */
async function approve(
  ctx: AuthorizationServerContext,
  pending: PendingAuthorizationRecord,
  upstreamState: string,
  browserBinding: string,
): Promise<void> {
  const { upstreamUrl: _url, upstreamState: _state, ...rest } = pending;
  const approved: PendingAuthorizationRecord = {
    ...rest,
    stage: "upstream",
    browserBinding,
    approval: { kind: "consent_page" },
  };
  await ctx.store.putPendingAuthorization(upstreamState, approved, ctx.config.ttl.authCode);
}

const showInvalid = (reply: FastifyReply, description: string): FastifyReply =>
  showAuthorizationError(reply, new AuthorizationEndpointError("invalid_request", description));

/** Where the client gets the answer, as a person can check it: the host, or the app scheme. */
function redirectTargetOf(redirectUri: string): string {
  try {
    const url = new URL(redirectUri);
    return url.host !== "" ? url.host : `${url.protocol}${url.pathname}`;
  } catch {
    return redirectUri;
  }
}
