/**
 * What the store outage tests ask of a server: one request to each kind of
 * endpoint that needs the store (token, registration, authorization, a
 * protected MCP tool call), each timed from sending to the last byte of its
 * answer, and a bounded wait for the service to come back.
 */
import type { Logger } from "@chuk-mcp/server";
import { expect } from "vitest";
import { modernPost } from "../helpers/mcp-requests.js";
import {
  authorizationUrl,
  newPkce,
  obtainTokens,
  refresh,
  registerClient,
  type TestClient,
  type Tokens,
} from "../helpers/oauth-flow.js";
import { type StartedOAuthServer, startOAuthServer } from "../helpers/oauth-server.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { suiteFixture } from "../helpers/suite-fixture.js";

/** One answer and how long it took. */
export interface TimedAnswer {
  endpoint: "token" | "register" | "authorize" | "mcp tool call";
  status: number;
  retryAfter: string | null;
  ms: number;
}

/** What `timed` needs of an answer, read to its end. */
type Answered = Pick<Response, "status" | "headers">;

async function timed(endpoint: TimedAnswer["endpoint"], send: () => Promise<Answered>): Promise<TimedAnswer> {
  const started = performance.now();
  const { status, headers } = await send();
  return { endpoint, status, retryAfter: headers.get("retry-after"), ms: Math.round(performance.now() - started) };
}

/** `fetch`, with the body read (so the time taken covers the whole answer). */
async function fetchAll(url: string | URL, init: RequestInit): Promise<Answered> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response;
}

/** Asks each endpoint once, one after the other, as `client` holding `tokens`; refreshes nothing that could succeed. */
export async function askEveryEndpoint(
  server: StartedOAuthServer,
  client: TestClient,
  tokens: Tokens,
): Promise<TimedAnswer[]> {
  return [
    await timed("token", () =>
      fetchAll(`${server.origin}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: tokens.refresh_token as string,
          client_id: client.clientId,
        }),
      }),
    ),
    await timed("register", () =>
      fetchAll(`${server.origin}/oauth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ client_name: "during the outage", redirect_uris: ["http://127.0.0.1:40300/cb"] }),
      }),
    ),
    await timed("authorize", () =>
      fetchAll(authorizationUrl(server, client, { pkce: newPkce(), scope: "posts.write" }), { redirect: "manual" }),
    ),
    await timed("mcp tool call", () => mcpCall(server, tokens.access_token)),
  ];
}

/** A protected tool call (`whoami`) with `token`, its answer read. */
const mcpCall = (server: StartedOAuthServer, token: string): Promise<Answered> =>
  modernPost(server.mcpUrl, "tools/call", { name: "whoami", arguments: {} }, { token });

/**
 * Every answer is a 503 with Retry-After, and arrives in under a second: the
 * issue's requirement ("clear 503s within a second"), a bound against
 * hanging, not a performance target.
 */
export function expectPromptUnavailable(answers: TimedAnswer[]): void {
  for (const answer of answers) {
    expect({ endpoint: answer.endpoint, status: answer.status, retryAfter: answer.retryAfter }).toEqual({
      endpoint: answer.endpoint,
      status: 503,
      retryAfter: "5",
    });
    expect(answer.ms, `${answer.endpoint} answered in ${answer.ms} ms`).toBeLessThan(1000);
  }
}

/**
 * Refreshes with `refreshToken` until the token endpoint stops answering 503
 * (Redis is back), for at most `withinMs`; the answer must then be a
 * successful rotation. Returns the new tokens and how long the wait was.
 */
export async function refreshOnceBack(
  server: StartedOAuthServer,
  client: TestClient,
  refreshToken: string,
  withinMs: number,
): Promise<{ tokens: Tokens; waitedMs: number }> {
  const started = performance.now();
  for (;;) {
    const answer = await refresh(server, client, refreshToken);
    if (answer.status !== 503) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return { tokens: answer.body as unknown as Tokens, waitedMs: Math.round(performance.now() - started) };
    }
    if (performance.now() - started > withinMs) throw new Error(`the store was still unavailable after ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs `round` repeatedly (a quarter of a second apart) for `forMs`; returns every round's answers. */
export async function duringOutage(forMs: number, round: () => Promise<TimedAnswer[]>): Promise<TimedAnswer[][]> {
  const rounds: TimedAnswer[][] = [];
  const until = performance.now() + forMs;
  do {
    rounds.push(await round());
    await new Promise((resolve) => setTimeout(resolve, 250));
  } while (performance.now() < until);
  return rounds;
}

/** Per endpoint, the slowest answer of all `rounds`. */
export function slowest(rounds: TimedAnswer[][]): TimedAnswer[] {
  const worst = new Map<TimedAnswer["endpoint"], TimedAnswer>();
  for (const answer of rounds.flat()) {
    const known = worst.get(answer.endpoint);
    if (known === undefined || answer.ms > known.ms) worst.set(answer.endpoint, answer);
  }
  return [...worst.values()];
}

/** `token 503 in 4 ms, register 503 in 6 ms, …`, for annotations. */
export const summarize = (answers: TimedAnswer[]): string =>
  answers.map((a) => `${a.endpoint} ${a.status} in ${a.ms} ms`).join(", ");

/** The protected tool call's status with `token` (200 once the store answers). */
export const toolCallStatus = async (server: StartedOAuthServer, token: string): Promise<number> =>
  (await mcpCall(server, token)).status;

/** A server on a Redis of its own for the file, as in production: persistent, rate limits on. */
export interface OutageFixture {
  redis: TestRedis;
  server: StartedOAuthServer;
}

/** Starts the file's `OutageFixture` in `beforeAll` (with `logger`, when given) and stops it in `afterAll`. */
export const useOutageFixture = (logger?: Logger): OutageFixture =>
  suiteFixture(
    async () => {
      // Persistent, so a killed server restarted on its port has lost nothing, as a production Redis would.
      const redis = await startRedis({ persistent: true });
      const server = await startOAuthServer({
        env: { SESSION_PROVIDER: "redis", SESSION_REDIS_URL: redis.url },
        provider: { logger: { warn() {} } },
        ...(logger ? { logger } : {}),
        // Rate limits on, as by default in production: each request counts itself in the store first.
        middleware: { rateLimits: {} },
      });
      return { redis, server };
    },
    async ({ redis, server }) => {
      await server.close();
      // stop() lets a paused server go on first, should a failure have left it paused.
      await redis.stop();
    },
  );

/** A public client registered before the outage, holding tokens that work. */
export async function clientBeforeOutage(
  server: StartedOAuthServer,
  clientName: string,
): Promise<{ client: TestClient; tokens: Tokens }> {
  const client = await registerClient(server, {
    client_name: clientName,
    redirect_uris: ["http://127.0.0.1:40200/cb"],
    grant_types: ["authorization_code", "refresh_token"],
    token_endpoint_auth_method: "none",
  });
  const { tokens } = await obtainTokens(server, { client, scope: "posts.write" });
  expect(await toolCallStatus(server, tokens.access_token)).toBe(200);
  return { client, tokens };
}

/**
 * Asks every endpoint for a few seconds of outage (each answer a prompt 503),
 * reporting the first and slowest rounds as `what`.
 */
export async function expectOutageAnswered(
  server: StartedOAuthServer,
  held: { client: TestClient; tokens: Tokens },
  what: string,
  annotate: (message: string) => Promise<unknown>,
): Promise<void> {
  const rounds = await duringOutage(3000, () => askEveryEndpoint(server, held.client, held.tokens));
  for (const answers of rounds) expectPromptUnavailable(answers);
  await annotate(`${what}, first round: ${summarize(rounds[0] ?? [])}`);
  await annotate(`${what}, slowest of ${rounds.length} rounds: ${summarize(slowest(rounds))}`);
  expect((await fetch(`${server.origin}/health`)).status).toBe(200);
}

/** Once Redis is back: the refresh token and both access tokens work again (nothing was lost). */
export async function expectServiceBack(
  server: StartedOAuthServer,
  held: { client: TestClient; tokens: Tokens },
  what: string,
  annotate: (message: string) => Promise<unknown>,
): Promise<Tokens> {
  // Reconnection is tried at least once a second; a few seconds is the "within seconds".
  const back = await refreshOnceBack(server, held.client, held.tokens.refresh_token as string, 5000);
  await annotate(`${what}: the refresh succeeded ${back.waitedMs} ms later`);
  expect(await toolCallStatus(server, held.tokens.access_token)).toBe(200);
  expect(await toolCallStatus(server, back.tokens.access_token)).toBe(200);
  return back.tokens;
}
