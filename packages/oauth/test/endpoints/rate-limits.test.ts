/**
 * Per-address limits on registration, authorization and token requests (429
 * with Retry-After, counted in the store so instances share them), the daily
 * cap on new registrations, idempotent re-registration of a public client,
 * and the configuration that sets the limits.
 */
import { ConfigError } from "@chuk-mcp/server";
import { describe, expect, test } from "vitest";
import { DEFAULT_RATE_LIMITS, resolveRateLimits } from "../../src/rate-limits.js";
import { withOAuthServer } from "../helpers/oauth-server.js";

const register = (origin: string, metadata: Record<string, unknown>) =>
  fetch(`${origin}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(metadata),
  });

const publicClient = (name: string) => ({
  client_name: name,
  redirect_uris: ["http://127.0.0.1:40100/cb"],
  token_endpoint_auth_method: "none",
});

describe("rate limits", () => {
  test("registration: the request past the limit gets 429 with Retry-After and an OAuth error body", async () => {
    await withOAuthServer(
      { middleware: { rateLimits: { register: { max: 3, windowSeconds: 60 } } } },
      async (server) => {
        for (let i = 0; i < 3; i++) expect((await register(server.origin, publicClient(`c${i}`))).status).toBe(201);
        const refused = await register(server.origin, publicClient("c3"));
        expect(refused.status).toBe(429);
        expect(refused.headers.get("retry-after")).toBe("60");
        expect(refused.headers.get("cache-control")).toBe("no-store");
        expect(await refused.json()).toEqual({
          error: "temporarily_unavailable",
          error_description: "Too many requests; try again in 60 seconds",
        });
      },
    );
  });

  test("authorization and token endpoints are limited each on their own", async () => {
    const rateLimits = { authorize: { max: 2, windowSeconds: 30 }, token: { max: 1, windowSeconds: 30 } };
    await withOAuthServer({ middleware: { rateLimits } }, async (server) => {
      const authorize = () => fetch(`${server.origin}/oauth/authorize?client_id=nobody`, { redirect: "manual" });
      expect((await authorize()).status).toBe(400);
      expect((await authorize()).status).toBe(400);
      expect((await authorize()).status).toBe(429);
      const token = () =>
        fetch(`${server.origin}/oauth/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: "grant_type=authorization_code&client_id=nobody",
        });
      expect((await token()).status).toBe(401);
      expect((await token()).status).toBe(429);
      // Registration has its own (default) budget.
      expect((await register(server.origin, publicClient("fine"))).status).toBe(201);
    });
  });

  test("new registrations per address are capped; re-registering an identical public client is not a new one", async () => {
    const rateLimits = { registrationsPerDay: { max: 2, windowSeconds: 86_400 } };
    await withOAuthServer({ middleware: { rateLimits } }, async (server) => {
      const first = (await (await register(server.origin, publicClient("desktop"))).json()) as { client_id: string };
      // The same metadata, members in another order: the same client, and it does not count.
      const again = await register(server.origin, {
        token_endpoint_auth_method: "none",
        redirect_uris: ["http://127.0.0.1:40100/cb"],
        client_name: "desktop",
      });
      expect(again.status).toBe(201);
      expect(((await again.json()) as { client_id: string }).client_id).toBe(first.client_id);
      expect((await register(server.origin, publicClient("second"))).status).toBe(201);
      expect((await register(server.origin, publicClient("third"))).status).toBe(429);
    });
  });

  test("confidential clients are never deduplicated: their secret is shown once", async () => {
    await withOAuthServer({}, async (server) => {
      const metadata = { ...publicClient("web"), token_endpoint_auth_method: "client_secret_basic" };
      const a = (await (await register(server.origin, metadata)).json()) as {
        client_id: string;
        client_secret: string;
      };
      const b = (await (await register(server.origin, metadata)).json()) as {
        client_id: string;
        client_secret: string;
      };
      expect(a.client_id).not.toBe(b.client_id);
      expect(a.client_secret).not.toBe(b.client_secret);
    });
  });

  test("limits are on by default", async () => {
    expect(resolveRateLimits(undefined, {})).toEqual(DEFAULT_RATE_LIMITS);
  });
});

describe("rate limit configuration", () => {
  test("options, then OAUTH_RATE_LIMIT_*, then defaults; off and false turn a limit off", () => {
    const limits = resolveRateLimits(
      { token: false },
      { OAUTH_RATE_LIMIT_REGISTER: "5/10", OAUTH_RATE_LIMIT_AUTHORIZE: "off", OAUTH_RATE_LIMIT_TOKEN: "9/9" },
    );
    expect(limits).toEqual({
      ...DEFAULT_RATE_LIMITS,
      register: { max: 5, windowSeconds: 10 },
      authorize: false,
      token: false,
    });
    expect(Object.values(resolveRateLimits(false, { OAUTH_RATE_LIMIT_TOKEN: "9/9" }))).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  test("a bad value names the variable or option", () => {
    expect(() => resolveRateLimits(undefined, { OAUTH_RATE_LIMIT_TOKEN: "lots" })).toThrow(ConfigError);
    expect(() => resolveRateLimits(undefined, { OAUTH_RATE_LIMIT_TOKEN: "lots" })).toThrow(
      "OAUTH_RATE_LIMIT_TOKEN: must be <max>/<seconds> (e.g. 30/60) or off",
    );
    expect(() => resolveRateLimits({ register: { max: 0, windowSeconds: 60 } }, {})).toThrow(
      "OAuth options: rateLimits.register: must be at least 1",
    );
  });
});
