/**
 * The `refresh_token` grant over real HTTP: rotation, reuse detection with
 * a grace period for concurrent refreshes, binding to the client, scope
 * narrowing (never widening), resource, and the grant id carried forward.
 */
import { describe, expect, test } from "vitest";
import { jwtPayload, obtainTokens, refresh, saveClient, type Tokens } from "../helpers/oauth-flow.js";
import { useOAuthServer, withOAuthServer } from "../helpers/oauth-server.js";

// The default grace period (5 s).
const server = useOAuthServer();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectInvalidGrant(response: Awaited<ReturnType<typeof refresh>>) {
  expect(response.status).toBe(400);
  expect(response.body?.error).toBe("invalid_grant");
  expect(response.body?.access_token).toBeUndefined();
}

describe("rotation", () => {
  test("a refresh returns a new access token and a new refresh token, in the same grant", async () => {
    const { client, tokens } = await obtainTokens(server, { scope: "posts.write" });
    const response = await refresh(server, client, tokens.refresh_token as string);
    expect(response.status).toBe(200);
    const next = response.body as unknown as Tokens;
    expect(next.refresh_token).toBeDefined();
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(next.access_token).not.toBe(tokens.access_token);
    expect(next).toMatchObject({ token_type: "Bearer", expires_in: 900, scope: "posts.write" });
    expect(jwtPayload(next.access_token).gid).toBe(jwtPayload(tokens.access_token).gid);
    expect(jwtPayload(next.access_token)).toMatchObject({ sub: "dev:ada", aud: server.mcpUrl });
    expect(response.headers.get("cache-control")).toBe("no-store");
    // The new one rotates in turn.
    expect((await refresh(server, client, next.refresh_token as string)).status).toBe(200);
  });

  test("concurrent refreshes with the same token within the grace period all succeed", async () => {
    const { client, tokens } = await obtainTokens(server);
    const answers = await Promise.all(
      Array.from({ length: 3 }, () => refresh(server, client, tokens.refresh_token as string)),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    for (const a of answers) expect((await refresh(server, client, a.body?.refresh_token as string)).status).toBe(200);
  });

  test("an unknown refresh token → invalid_grant", async () => {
    const client = await saveClient(server);
    expectInvalidGrant(await refresh(server, client, "A".repeat(43)));
  });
});

describe("reuse after the grace period", () => {
  test("revokes the whole family: the reused token and its successor stop working", async () => {
    await withOAuthServer({ middleware: { refreshReuseGracePeriod: 1 } }, async (strict) => {
      const { client, tokens } = await obtainTokens(strict);
      const rotated = await refresh(strict, client, tokens.refresh_token as string);
      expect(rotated.status).toBe(200);
      await sleep(1100);
      expectInvalidGrant(await refresh(strict, client, tokens.refresh_token as string));
      expectInvalidGrant(await refresh(strict, client, rotated.body?.refresh_token as string));
      const gid = jwtPayload(tokens.access_token).gid as string;
      expect(await strict.middleware.store.isGrantRevoked(gid)).toBe(true);
    });
  });

  test("with no grace period, a second presentation is reuse at once", async () => {
    await withOAuthServer({ middleware: { refreshReuseGracePeriod: 0 } }, async (none) => {
      const { client, tokens } = await obtainTokens(none);
      const rotated = await refresh(none, client, tokens.refresh_token as string);
      expect(rotated.status).toBe(200);
      expectInvalidGrant(await refresh(none, client, tokens.refresh_token as string));
      expectInvalidGrant(await refresh(none, client, rotated.body?.refresh_token as string));
    });
  });
});

describe("binding to the client", () => {
  test("another client presenting the token → invalid_grant, and the token still works for its own client", async () => {
    const { client, tokens } = await obtainTokens(server);
    const other = await saveClient(server);
    expectInvalidGrant(await refresh(server, other, tokens.refresh_token as string));
    expect((await refresh(server, client, tokens.refresh_token as string)).status).toBe(200);
  });

  test("a client no longer allowed the refresh_token grant → unauthorized_client", async () => {
    const { client, tokens } = await obtainTokens(server);
    await server.middleware.store.saveClient({ ...client.record, grantTypes: ["authorization_code"] });
    const response = await refresh(server, { ...client, record: { ...client.record } }, tokens.refresh_token as string);
    expect(response.status).toBe(400);
    expect(response.body?.error).toBe("unauthorized_client");
  });
});

describe("scopes", () => {
  test("a refresh may narrow the scopes; the narrowed token cannot widen them back", async () => {
    const { client, tokens } = await obtainTokens(server, { scope: "posts.write profile.read" });
    expect(tokens.scope).toBe("posts.write profile.read");
    const narrowed = await refresh(server, client, tokens.refresh_token as string, { scope: "profile.read" });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body?.scope).toBe("profile.read");
    expect(jwtPayload(narrowed.body?.access_token as string).scope).toBe("profile.read");

    const widened = await refresh(server, client, narrowed.body?.refresh_token as string, {
      scope: "profile.read posts.write",
    });
    expect(widened.status).toBe(400);
    expect(widened.body?.error).toBe("invalid_scope");
    // A refused widening changes nothing: the narrowed token still refreshes.
    expect((await refresh(server, client, narrowed.body?.refresh_token as string)).status).toBe(200);
  });

  test("asking for a scope never granted → invalid_scope", async () => {
    const { client, tokens } = await obtainTokens(server, { scope: "profile.read" });
    const response = await refresh(server, client, tokens.refresh_token as string, { scope: "posts.write" });
    expect(response.status).toBe(400);
    expect(response.body?.error).toBe("invalid_scope");
  });
});

describe("resource", () => {
  test("a resource other than this server's → invalid_target; this server's is fine", async () => {
    const { client, tokens } = await obtainTokens(server);
    const other = await refresh(server, client, tokens.refresh_token as string, { resource: "https://x.example/mcp" });
    expect(other.status).toBe(400);
    expect(other.body?.error).toBe("invalid_target");
    const same = await refresh(server, client, tokens.refresh_token as string, { resource: server.mcpUrl });
    expect(same.status).toBe(200);
  });
});
