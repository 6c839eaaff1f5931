/**
 * The resource server behind the MCP server's auth gate, over real HTTP, in
 * both protocol eras, with `protect: "tools"`: public tools need nothing;
 * protected ones answer 401 with the exact RFC 6750 / RFC 9728 challenge (no
 * error code without credentials), 401 `invalid_token` for every token that
 * is not ours, live, for this resource and from a standing grant, 403
 * `insufficient_scope` naming every scope needed, 400 for a token in the
 * wrong place; sessions belong to their user; and `ctx.auth` comes from the
 * verified token alone, never from what the client sends.
 */
import { randomUUID } from "node:crypto";
import { requiresAuth } from "@chuk-mcp/server";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import type { AuthorizationServerContext } from "../../src/context.js";
import { generateSigningKey } from "../../src/tokens/keys.js";
import {
  type Answer,
  claimsFor,
  legacyPost,
  legacyRequest,
  mintToken,
  modernPost,
  openSession,
  parseChallenge,
  publicKeyHmacTokens,
  toolOutput,
  unsignedToken,
} from "../helpers/mcp-requests.js";
import { useOAuthServer } from "../helpers/oauth-server.js";

let ctx: AuthorizationServerContext;
let url: string;
let metadataUrl: string;
/** alice's upstream access token, as stored (the handler must see exactly this). */
const UPSTREAM_ACCESS = `upstream-at-${randomUUID()}`;

const fakeAuth = {
  token: "forged",
  clientId: "evil-client",
  scopes: ["posts.write", "admin"],
  subject: "root",
  externalAccessToken: "fake-upstream-token",
};

const started = useOAuthServer({
  setup: (server) => {
    // Echo what the handler was given, so the test can see where ctx.auth came from.
    const input = { auth: z.unknown().optional(), externalAccessToken: z.unknown().optional() };
    server.tool(
      "inspect",
      { input },
      requiresAuth({}, (_args, c) => ({
        subject: c.auth.subject ?? null,
        clientId: c.auth.clientId,
        scopes: c.auth.scopes,
        externalAccessToken: c.auth.externalAccessToken ?? null,
      })),
    );
    server.tool("inspect_public", { input }, (_args, c) => ({
      authenticated: c.auth !== undefined,
      subject: c.auth?.subject ?? null,
    }));
    server.tool(
      "publish_profile",
      {},
      requiresAuth({ scopes: ["posts.write", "profile.read"] }, () => "ok"),
    );
  },
});

beforeAll(async () => {
  ctx = started.ctx;
  url = started.mcpUrl;
  metadataUrl = `${started.origin}/.well-known/oauth-protected-resource/mcp`;
  const inAnHour = Math.floor(Date.now() / 1000) + 3600;
  for (const user of ["alice", "bob"]) {
    await ctx.store.saveUpstreamTokens(user, {
      accessToken: user === "alice" ? UPSTREAM_ACCESS : `upstream-at-${user}`,
      refreshToken: `upstream-rt-${user}`,
      expiresAt: inAnHour,
      scopes: ["posts"],
    });
  }
});

/** A tools/call in the given era (legacy: in a fresh session opened with the same token). */
async function callTool(
  era: "legacy" | "modern",
  name: string,
  args: Record<string, unknown> = {},
  token?: string,
  meta: Record<string, unknown> = {},
): Promise<Answer> {
  const auth = token === undefined ? {} : { token };
  if (era === "modern") return modernPost(url, "tools/call", { name, arguments: args }, { ...auth, meta });
  const { sessionId, answer } = await openSession(url, token);
  if (sessionId === undefined) return answer;
  return legacyPost(url, legacyRequest("tools/call", { name, arguments: args, _meta: meta }), {
    ...auth,
    sessionId,
  });
}

function expectRefused(answer: Answer, status: number): Record<string, string> {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body?.error?.code).toBe(-32001);
  expect(answer.headers.get("cache-control")).toBe("no-store");
  const challenge = parseChallenge(answer.headers.get("www-authenticate"));
  expect(challenge.scheme).toBe("Bearer");
  expect(challenge.params.resource_metadata).toBe(metadataUrl);
  return challenge.params;
}

describe.each(["legacy", "modern"] as const)("%s era, protect: tools", (era) => {
  test("a public tool works without a token", async () => {
    const answer = await callTool(era, "echo", { text: "hi" });
    expect(answer.status).toBe(200);
    expect(toolOutput(answer)).toBe("hi");
  });

  test("a protected tool without a token → 401, challenge with resource_metadata and no error", async () => {
    const answer = await callTool(era, "whoami");
    expectRefused(answer, 401);
    // Exact: whoami needs no scope, so the challenge names none; no error code (RFC 6750 §3.1).
    expect(answer.headers.get("www-authenticate")).toBe(`Bearer resource_metadata="${metadataUrl}"`);
  });

  test("a protected tool needing scopes, without a token → 401 naming the scopes, no error", async () => {
    const answer = await callTool(era, "publish_profile");
    expectRefused(answer, 401);
    expect(answer.headers.get("www-authenticate")).toBe(
      `Bearer resource_metadata="${metadataUrl}", scope="posts.write profile.read"`,
    );
  });

  test("a valid token: the protected tool runs as the token's user", async () => {
    const { token } = await mintToken(ctx, { subject: "alice", clientId: "client-7", scopes: ["profile.read"] });
    const answer = await callTool(era, "whoami", {}, token);
    expect(answer.status).toBe(200);
    expect(toolOutput(answer)).toEqual({ userId: "alice", clientId: "client-7", scopes: ["profile.read"] });
  });

  test("a token lacking a scope → 403 insufficient_scope naming every scope needed", async () => {
    const { token } = await mintToken(ctx, { scopes: ["posts.write"] });
    const answer = await callTool(era, "publish_profile", {}, token);
    const params = expectRefused(answer, 403);
    expect(params.error).toBe("insufficient_scope");
    expect(params.scope).toBe("posts.write profile.read");
    expect(answer.body?.error?.data).toMatchObject({ error: "insufficient_scope" });
  });

  test("client-sent auth in arguments and _meta is ignored: ctx.auth comes from the token alone", async () => {
    const { token } = await mintToken(ctx, { subject: "alice", clientId: "client-1", scopes: ["profile.read"] });
    const args = { auth: fakeAuth, externalAccessToken: "fake-upstream-token" };
    const meta = {
      auth: fakeAuth,
      externalAccessToken: "fake-upstream-token",
      "io.modelcontextprotocol/auth": fakeAuth,
    };
    const answer = await callTool(era, "inspect", args, token, meta);
    expect(answer.status).toBe(200);
    expect(toolOutput(answer)).toEqual({
      subject: "alice",
      clientId: "client-1",
      scopes: ["profile.read"],
      externalAccessToken: UPSTREAM_ACCESS,
    });
  });

  test("client-sent auth without a token: a protected tool is still refused, a public one sees no auth", async () => {
    const args = { auth: fakeAuth, externalAccessToken: "fake-upstream-token" };
    const meta = { auth: fakeAuth, "io.modelcontextprotocol/auth": fakeAuth };
    expectRefused(await callTool(era, "inspect", args, undefined, meta), 401);
    const open = await callTool(era, "inspect_public", args, undefined, meta);
    expect(open.status).toBe(200);
    expect(toolOutput(open)).toEqual({ authenticated: false, subject: null });
  });
});

describe("tokens that are not ours, not live, or not for us → 401 invalid_token (even on a public tool)", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<string>, string][] = [
    ["garbage", async () => "not-a-jwt", "malformed"],
    ["a JWT-shaped garbage", async () => "aaa.bbb.ccc", "malformed"],
    ["alg: none", async () => unsignedToken(claimsFor(ctx), ctx.keys.signing.kid), "algorithm"],
    [
      "signed by another key under our kid",
      async () => {
        const other = await generateSigningKey("ES256");
        return new SignJWT(claimsFor(ctx))
          .setProtectedHeader({ alg: other.alg, typ: "at+jwt", kid: ctx.keys.signing.kid })
          .sign(other.privateKey);
      },
      "signature",
    ],
    [
      "a tampered payload",
      async () => {
        const { token } = await mintToken(ctx, { scopes: [] });
        const [h, , s] = token.split(".");
        const payload = Buffer.from(JSON.stringify(claimsFor(ctx, { scope: "posts.write admin" }))).toString(
          "base64url",
        );
        return `${h}.${payload}.${s}`;
      },
      "signature",
    ],
    ["expired", async () => (await mintToken(ctx, { now: now() - 2000, ttl: 900 })).token, "expired"],
    [
      "for another resource",
      async () => (await mintToken(ctx, { audience: `${started.origin}/other` })).token,
      "another resource",
    ],
    [
      "from another issuer",
      async () => (await mintToken(ctx, { issuer: "https://evil.example" })).token,
      "another issuer",
    ],
    [
      "typ JWT instead of at+jwt (an ID token, say)",
      async () =>
        new SignJWT(claimsFor(ctx))
          .setProtectedHeader({ alg: ctx.keys.signing.alg, typ: "JWT", kid: ctx.keys.signing.kid })
          .sign(ctx.keys.signing.privateKey),
      "typ",
    ],
    ["without a grant id", async () => (await mintToken(ctx, { grantId: null })).token, "names no grant"],
  ];

  test.each(cases)("%s", async (_what, make, description) => {
    const token = await make();
    for (const answer of [
      await modernPost(url, "tools/call", { name: "echo", arguments: { text: "x" } }, { token }),
      await callTool("legacy", "whoami", {}, token),
    ]) {
      const params = expectRefused(answer, 401);
      expect(params.error).toBe("invalid_token");
      expect(params.error_description).toContain(description);
      expect(params.scope).toBeUndefined();
    }
  });

  test("HS256 keyed with our public key (PEM and JWK) → 401 invalid_token", async () => {
    for (const token of await publicKeyHmacTokens(ctx, claimsFor(ctx))) {
      const params = expectRefused(await callTool("modern", "whoami", {}, token), 401);
      expect(params.error).toBe("invalid_token");
      expect(params.error_description).toContain("algorithm");
    }
  });

  test("a revoked access token (jti) → 401; another token of the same grant still works", async () => {
    const grantId = randomUUID();
    const revoked = await mintToken(ctx, { grantId });
    const sibling = await mintToken(ctx, { grantId });
    expect((await callTool("modern", "whoami", {}, revoked.token)).status).toBe(200);
    await ctx.store.revokeAccessToken(revoked.jti, revoked.exp);
    const params = expectRefused(await callTool("modern", "whoami", {}, revoked.token), 401);
    expect(params.error).toBe("invalid_token");
    expect(params.error_description).toContain("revoked");
    expect((await callTool("modern", "whoami", {}, sibling.token)).status).toBe(200);
  });

  test("a revoked grant → 401 for every access token it issued", async () => {
    const grantId = randomUUID();
    const tokens = [await mintToken(ctx, { grantId }), await mintToken(ctx, { grantId })];
    const other = await mintToken(ctx);
    await ctx.store.revokeGrant(grantId);
    for (const { token } of tokens) {
      const params = expectRefused(await callTool("legacy", "whoami", {}, token), 401);
      expect(params.error).toBe("invalid_token");
      expect(params.error_description).toContain("revoked");
    }
    expect((await callTool("legacy", "whoami", {}, other.token)).status).toBe(200);
  });
});

describe("credentials in the wrong form", () => {
  test("an access_token in the query → 400 invalid_request, even for a public tool", async () => {
    const { token } = await mintToken(ctx);
    const answer = await modernPost(`${url}?access_token=${token}`, "tools/call", {
      name: "echo",
      arguments: { text: "x" },
    });
    const params = expectRefused(answer, 400);
    expect(params.error).toBe("invalid_request");
    expect(params.error_description).toContain("query");
  });

  test("a Bearer header with no token, or two tokens folded into one header → 400 invalid_request", async () => {
    const { token } = await mintToken(ctx);
    for (const authorization of ["Bearer", `Bearer ${token}, Bearer ${token}`]) {
      const answer = await modernPost(
        url,
        "tools/call",
        { name: "echo", arguments: { text: "x" } },
        { headers: { authorization } },
      );
      expect(expectRefused(answer, 400).error).toBe("invalid_request");
    }
  });

  test("Basic credentials → 401 with a Bearer challenge and no error code", async () => {
    const answer = await modernPost(
      url,
      "tools/call",
      { name: "whoami", arguments: {} },
      { headers: { authorization: `Basic ${Buffer.from("alice:secret").toString("base64")}` } },
    );
    expectRefused(answer, 401);
    expect(answer.headers.get("www-authenticate")).toBe(`Bearer resource_metadata="${metadataUrl}"`);
  });

  test("the scheme is case-insensitive", async () => {
    const { token } = await mintToken(ctx, { subject: "alice" });
    const answer = await modernPost(
      url,
      "tools/call",
      { name: "whoami", arguments: {} },
      { headers: { authorization: `bEaReR ${token}` } },
    );
    expect(answer.status).toBe(200);
    expect(toolOutput(answer)).toMatchObject({ userId: "alice" });
  });
});

describe("legacy sessions belong to the user who opened them", () => {
  test("alice's session is 404 for bob and for an anonymous caller, and works for alice", async () => {
    const alice = await mintToken(ctx, { subject: "alice" });
    const bob = await mintToken(ctx, { subject: "bob" });
    const { sessionId } = await openSession(url, alice.token);
    expect(sessionId).toBeDefined();
    const call = () => legacyRequest("tools/call", { name: "echo", arguments: { text: "x" } });
    const asBob = await legacyPost(url, call(), { sessionId: sessionId as string, token: bob.token });
    expect(asBob.status).toBe(404);
    const anonymous = await legacyPost(url, call(), { sessionId: sessionId as string });
    expect(anonymous.status).toBe(404);
    const asAlice = await legacyPost(url, call(), { sessionId: sessionId as string, token: alice.token });
    expect(asAlice.status).toBe(200);
    expect(toolOutput(asAlice)).toBe("x");
  });
});
