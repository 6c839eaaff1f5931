/**
 * The development IdP's resource endpoints: `GET /dev-idp/userinfo` and
 * `POST /dev-idp/api/posts`, with good, expired, unknown and missing tokens.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type DevIdp, login, startDevIdp } from "./dev-idp.js";

let idp: DevIdp;
let accessToken: string;
beforeAll(async () => {
  // One-second access tokens, so a test can watch one expire.
  idp = await startDevIdp({ accessTokenTtl: 1 });
  accessToken = (await login(idp.provider, "alice")).tokens.accessToken;
});
afterAll(() => idp.close());

const post = (body: unknown, authorization?: string) =>
  fetch(idp.provider.postsUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: JSON.stringify(body),
  });

describe("POST /dev-idp/api/posts", () => {
  test("publishes with the user's token: 201 with the post and its author", async () => {
    const fresh = (await login(idp.provider, "alice")).tokens.accessToken;
    const response = await post({ content: "Hello from the dev provider" }, `Bearer ${fresh}`);
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      content: "Hello from the dev provider",
      author: { id: "dev:alice", name: "alice" },
    });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(body.createdAt as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(idp.provider.postsUrl).toBe(`${idp.origin}/dev-idp/api/posts`);
  });

  test("without a token: 401 with a Bearer challenge", async () => {
    const response = await post({ content: "x" });
    expect(response.status).toBe(401);
    // RFC 6750 §3.1: no error attribute when the request carried no credentials.
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
  });

  test("with an unknown token, or one that is not ours: 401 invalid_token", async () => {
    for (const authorization of ["Bearer not-a-token-we-issued", "Basic ZGV2OnNlY3JldA==", "Bearer a b"]) {
      const response = await post({ content: "x" }, authorization);
      expect(response.status, authorization).toBe(401);
      expect(response.headers.get("www-authenticate"), authorization).toMatch(/^Bearer .*error="invalid_token"/);
      expect(((await response.json()) as { error: string }).error).toBe("invalid_token");
    }
  });

  test("with an expired token: 401 invalid_token", async () => {
    const grant = await login(idp.provider, "bob");
    expect((await post({ content: "x" }, `Bearer ${grant.tokens.accessToken}`)).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const response = await post({ content: "x" }, `Bearer ${grant.tokens.accessToken}`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
    // And the refresh that follows brings a working token.
    const refreshed = await idp.provider.refreshTokens(grant.tokens);
    expect((await post({ content: "x" }, `Bearer ${refreshed.accessToken}`)).status).toBe(201);
  });

  test("refuses empty or missing content with 400 invalid_request", async () => {
    const fresh = (await login(idp.provider, "carol")).tokens.accessToken;
    for (const body of [{}, { content: "" }, { content: "   " }, { content: 42 }, { content: "x".repeat(10_001) }]) {
      const response = await post(body, `Bearer ${fresh}`);
      expect(response.status, JSON.stringify(body).slice(0, 40)).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe("invalid_request");
    }
  });
});

describe("GET /dev-idp/userinfo", () => {
  const userinfo = (authorization?: string) =>
    fetch(new URL("/dev-idp/userinfo", idp.origin), {
      headers: authorization === undefined ? {} : { authorization },
    });

  test("answers sub, name and preferred_username for a good token", async () => {
    const fresh = (await login(idp.provider, "dana@example.org")).tokens.accessToken;
    const response = await userinfo(`Bearer ${fresh}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({
      sub: "dev:dana@example.org",
      name: "dana@example.org",
      preferred_username: "dana@example.org",
    });
  });

  test("refuses missing, unknown and expired tokens with 401", async () => {
    const missing = await userinfo();
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe("Bearer");
    expect((await userinfo("Bearer unknown")).status).toBe(401);
    // The token from beforeAll is more than a second old by now, or will be.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const expired = await userinfo(`Bearer ${accessToken}`);
    expect(expired.status).toBe(401);
    expect(expired.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
  });
});
