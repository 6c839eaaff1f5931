/**
 * A stand-in upstream for BaseOAuthProvider tests: a real fastify server on
 * 127.0.0.1 whose answers each test scripts, recording every request it gets.
 * It lets the tests reproduce real upstreams' quirks (GitHub's errors in HTTP
 * 200, Google's non-rotating refresh tokens, 500 pages) over real HTTP.
 */
import formbody from "@fastify/formbody";
import Fastify from "fastify";
import { BaseOAuthProvider, type BaseOAuthProviderOptions } from "../../src/provider.js";

/** What the stand-in answers to one request. */
export interface ScriptedAnswer {
  status?: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (to test timeouts). */
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  form: Record<string, string>;
}

export interface StandInUpstream {
  origin: string;
  requests: RecordedRequest[];
  /** Scripts the answer for `METHOD /path` (default: 404). */
  on(route: string, answer: ScriptedAnswer | ((request: RecordedRequest) => ScriptedAnswer)): void;
  close(): Promise<void>;
}

export async function startStandIn(): Promise<StandInUpstream> {
  const app = Fastify({ logger: false });
  await app.register(formbody);
  const requests: RecordedRequest[] = [];
  const script = new Map<string, ScriptedAnswer | ((request: RecordedRequest) => ScriptedAnswer)>();
  app.all("/*", async (request, reply) => {
    const path = request.url.split("?")[0] as string;
    const recorded: RecordedRequest = {
      method: request.method,
      path,
      headers: request.headers,
      form: typeof request.body === "object" && request.body !== null ? (request.body as Record<string, string>) : {},
    };
    requests.push(recorded);
    const scripted = script.get(`${request.method} ${path}`);
    const answer =
      typeof scripted === "function" ? scripted(recorded) : (scripted ?? { status: 404, text: "not found" });
    if (answer.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    reply.code(answer.status ?? 200).headers(answer.headers ?? {});
    if (answer.json !== undefined) return reply.type("application/json").send(JSON.stringify(answer.json));
    return reply.type("text/html").send(answer.text ?? "");
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    on: (route, answer) => script.set(route, answer),
    close: () => app.close(),
  };
}

/** Our callback URL in these tests (nothing listens there: the tests hand the provider the redirect themselves). */
export const CALLBACK = "http://127.0.0.1:9/oauth/callback";

/** Base options pointing at a stand-in, for a confidential client using userinfo. */
export function standInOptions(
  origin: string,
  overrides: Partial<BaseOAuthProviderOptions> = {},
): BaseOAuthProviderOptions {
  return {
    clientId: "client-1",
    clientSecret: "s3cret-value",
    redirectUri: CALLBACK,
    scopes: ["read", "write"],
    endpoints: {
      authorization: `${origin}/authorize`,
      token: `${origin}/token`,
      userinfo: `${origin}/userinfo`,
      revocation: `${origin}/revoke`,
    },
    allowInsecureRequests: true,
    ...overrides,
  };
}

/** The simplest subclass: everything from the base (identity from userinfo). */
export class StandInProvider extends BaseOAuthProvider {
  readonly name = "Stand-in";
}
