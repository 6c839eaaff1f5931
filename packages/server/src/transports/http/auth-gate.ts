/**
 * Authentication on the MCP endpoint, before dispatch: the installed
 * verifier turns the request's credentials into `AuthInfo`, and a request
 * that calls a `requiresAuth` tool (or any request, with `protectAll`)
 * without the credentials or scopes it needs is refused with HTTP 401/403 and
 * a `WWW-Authenticate` challenge — so MCP clients can start or step up their
 * OAuth flow — instead of reaching the handler.
 */
import type { FastifyRequest } from "fastify";
import {
  type AuthFailure,
  type AuthInfo,
  type AuthRequirement,
  type AuthVerifier,
  defaultAuthChallenge,
  missingScopes,
} from "../../auth.js";
import type { McpHttpError } from "../../protocol/errors.js";
import type { ServerCore } from "../../protocol/server-core.js";

const refusal = (verifier: AuthVerifier, failure: AuthFailure): McpHttpError =>
  verifier.challenge ? verifier.challenge(failure) : defaultAuthChallenge(failure);

/** The requirement of the tool a `tools/call` message names, if it has one. */
function toolRequirement(server: ServerCore, message: unknown): AuthRequirement | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const { method, params } = message as { method?: unknown; params?: { name?: unknown } | null };
  if (method !== "tools/call" || typeof params?.name !== "string") return undefined;
  return server.tools.get(params.name)?.auth;
}

/** What the messages of a body need: `undefined` when none of them is protected. */
function requirementOf(
  server: ServerCore,
  verifier: AuthVerifier,
  body: unknown,
): { scopes: string[]; callsProtectedTool: boolean } | undefined {
  let scopes: string[] | undefined = verifier.protectAll ? [...(verifier.requiredScopes ?? [])] : undefined;
  let callsProtectedTool = false;
  for (const message of Array.isArray(body) ? body : [body]) {
    const required = toolRequirement(server, message);
    if (!required) continue;
    callsProtectedTool = true;
    scopes ??= [];
    for (const scope of required.scopes ?? []) if (!scopes.includes(scope)) scopes.push(scope);
  }
  return scopes === undefined ? undefined : { scopes, callsProtectedTool };
}

/**
 * Who sent `req`, checked against what `body` asks for. Returns synchronously
 * (`undefined`, no promise) when no verifier is installed: the hot path of an
 * open server pays nothing. Throws the verifier's `McpHttpError` to refuse.
 */
export function authenticateRequest(
  server: ServerCore,
  req: FastifyRequest,
  body: unknown,
): Promise<AuthInfo | undefined> | undefined {
  const verifier = server.authVerifier;
  if (!verifier) return undefined;
  return gate(server, verifier, req, body);
}

async function gate(
  server: ServerCore,
  verifier: AuthVerifier,
  req: FastifyRequest,
  body: unknown,
): Promise<AuthInfo | undefined> {
  const auth = await verifier.verify({ method: req.method, url: req.url, headers: req.headers });
  const requirement = requirementOf(server, verifier, body);
  if (!requirement) return auth;
  const { scopes } = requirement;
  if (!auth) throw refusal(verifier, { kind: "unauthenticated", scopes });
  if (missingScopes(auth, scopes).length > 0) throw refusal(verifier, { kind: "insufficient_scope", scopes });
  // Only a protected tool's handler uses what `prepare` adds (an upstream token, say).
  return requirement.callsProtectedTool && verifier.prepare ? verifier.prepare(auth, { scopes }) : auth;
}
