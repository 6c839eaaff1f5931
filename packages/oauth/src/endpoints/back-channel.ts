/**
 * What the token and revocation endpoints share: they are called by clients
 * directly (no browser cookies), cross-origin from browser-based clients,
 * with form bodies and client authentication; every answer is `no-store`
 * (RFC 6749 §5.1), and errors take their wire form from `oauthErrorResponse`.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { authenticateClient } from "../clients/client-auth.js";
import { clientLookupOf } from "../clients/lookup.js";
import type { AuthorizationServerContext } from "../context.js";
import { oauthErrorResponse, TokenEndpointError } from "../errors.js";
import type { ClientRecord } from "../store/records.js";
import { loggableFailure } from "./browser-responses.js";
import { allowAnyOrigin, crossOriginEndpoint } from "./cors.js";
import { acceptRawBodies, formParams, type RequestParams } from "./request-params.js";

/** A request to a back-channel endpoint: its form parameters and the authenticated client. */
export interface AuthenticatedRequest {
  params: RequestParams;
  client: ClientRecord;
}

/**
 * Mounts `POST path` (with CORS and its preflight) in its own plugin scope,
 * whose bodies are parsed here. `handle` gets the form and the authenticated
 * client and returns the JSON body to send (200), or `undefined` for an empty 200.
 */
export async function backChannelEndpoint(
  app: FastifyInstance,
  ctx: AuthorizationServerContext,
  path: string,
  name: string,
  handle: (request: AuthenticatedRequest) => Promise<object | undefined>,
): Promise<void> {
  await app.register(async (scope) => {
    acceptRawBodies(scope);
    // What fastify refuses before the handler (a body over the limit, a broken
    // stream) is still answered as OAuth.
    scope.setErrorHandler((err: { statusCode?: number }, _request, reply) => {
      const clientFault = typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500;
      return sendError(
        reply,
        ctx,
        clientFault ? new TokenEndpointError("invalid_request", "Unreadable request") : err,
        name,
      );
    });
    crossOriginEndpoint(scope, path, ["POST"]);
    scope.post(path, async (request, reply) => {
      try {
        const parsed = formParams(request);
        if (!parsed.ok) throw new TokenEndpointError("invalid_request", parsed.problem);
        const client = await authenticateClient(clientLookupOf(ctx), {
          authorization: request.headers.authorization,
          params: parsed.params,
        });
        const body = await handle({ params: parsed.params, client });
        noStore(reply).code(200);
        return body === undefined ? reply.send() : reply.send(body);
      } catch (err) {
        return sendError(reply, ctx, err, name);
      }
    });
  });
}

/** Answers with the OAuth error for `err` (unknown errors: `server_error`, logged without request data). */
function sendError(reply: FastifyReply, ctx: AuthorizationServerContext, err: unknown, name: string): FastifyReply {
  if (!(err instanceof TokenEndpointError)) ctx.logger.error(loggableFailure(err), `${name} failed`);
  const { status, headers, body } = oauthErrorResponse(err);
  noStore(reply).code(status);
  for (const [header, value] of Object.entries(headers)) reply.header(header, value);
  return reply.send(body);
}

const noStore = (reply: FastifyReply): FastifyReply =>
  allowAnyOrigin(reply).header("cache-control", "no-store").header("pragma", "no-cache");
