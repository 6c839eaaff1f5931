/**
 * The server's auth seam over real HTTP, with a small verifier of our own
 * (the OAuth one is tested in packages/oauth): who gets refused before
 * dispatch (401/403 with the verifier's challenge), what handlers see as
 * `ctx.auth`, `prepare`, `protectAll`, sessions bound to their user, and
 * `beforeListen` failing start-up.
 */
import {
  type AuthFailure,
  type AuthInfo,
  type AuthRequest,
  type AuthVerifier,
  ChukMCPServer,
  McpHttpError,
  type RunningServer,
  requiresAuth,
} from "@chuk-mcp/server";
import { afterEach, describe, expect, test } from "vitest";
import { z } from "zod";
import {
  type Json,
  jsonOf,
  LEGACY,
  legacyInitialize,
  modernBody,
  modernPost,
  openLegacySession,
  post,
  sessionHeaders,
} from "./helpers/mcp-http.js";

/** Tokens are `<user>:<scope>,<scope>`; "bad" is refused as an invalid token. */
class TestVerifier implements AuthVerifier {
  prepared = 0;
  constructor(readonly protectAll = false) {}

  async verify(request: AuthRequest): Promise<AuthInfo | undefined> {
    const header = request.headers.authorization;
    if (typeof header !== "string") return undefined;
    const token = header.replace(/^Bearer /, "");
    if (token === "bad") {
      throw new McpHttpError(401, -32001, "invalid token", { "www-authenticate": 'Bearer error="invalid_token"' });
    }
    const [user = "", scopes = ""] = token.split(":");
    return { token, clientId: "test-client", subject: user, scopes: scopes ? scopes.split(",") : [] };
  }

  challenge(failure: AuthFailure): McpHttpError {
    const status = failure.kind === "unauthenticated" ? 401 : 403;
    return new McpHttpError(status, -32001, failure.kind, {
      "www-authenticate": `Bearer realm="test", kind="${failure.kind}", scope="${failure.scopes.join(" ")}"`,
    });
  }

  async prepare(auth: AuthInfo): Promise<AuthInfo> {
    this.prepared++;
    if (auth.subject === "lapsed")
      throw new McpHttpError(401, -32001, "upstream gone", { "www-authenticate": "Bearer" });
    return { ...auth, externalAccessToken: `upstream-for-${auth.subject}` };
  }
}

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function start(verifier: AuthVerifier | undefined): Promise<string> {
  const server = new ChukMCPServer("gate-test", { logLevel: "silent" });
  server.tool("open", {}, (_args, ctx) => ({ auth: ctx.auth?.subject ?? null }));
  server.tool(
    "whoami",
    { input: { note: z.string().optional() } },
    requiresAuth({}, (_args, ctx) => ({
      subject: ctx.auth.subject,
      scopes: ctx.auth.scopes,
      external: ctx.auth.externalAccessToken ?? null,
    })),
  );
  server.tool(
    "write",
    {},
    requiresAuth({ scopes: ["posts.write", "posts.read"] }, (_args, ctx) => ({ subject: ctx.auth.subject })),
  );
  if (verifier) server.setAuthVerifier(verifier);
  const r = await server.run({ transport: "http", host: "127.0.0.1", port: 0, handleSignals: false });
  running.push(r);
  return r.url as string;
}

const call = (name: string, args: Json = {}) => modernBody("tools/call", { name, arguments: args });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const structured = async (res: Response) => (await jsonOf(res, 200)).result?.structuredContent;

describe("with a verifier installed", () => {
  test("a public tool needs no credentials, and sees none", async () => {
    const url = await start(new TestVerifier());
    expect(await structured(await modernPost(url, call("open")))).toEqual({ auth: null });
    expect(await structured(await modernPost(url, call("open"), bearer("alice:")))).toEqual({ auth: "alice" });
  });

  test("a protected tool without credentials → 401 with the verifier's challenge, before the handler", async () => {
    const url = await start(new TestVerifier());
    const res = await modernPost(url, call("write"));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(
      'Bearer realm="test", kind="unauthenticated", scope="posts.write posts.read"',
    );
    expect(await res.json()).toMatchObject({ error: { code: -32001, message: "unauthenticated" } });
  });

  test("missing scopes → 403 naming every scope the tool needs (for step-up)", async () => {
    const url = await start(new TestVerifier());
    const res = await modernPost(url, call("write"), bearer("alice:posts.read"));
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain('kind="insufficient_scope", scope="posts.write posts.read"');
    expect(await structured(await modernPost(url, call("write"), bearer("alice:posts.read,posts.write")))).toEqual({
      subject: "alice",
    });
  });

  test("an invalid token is refused with the verifier's own error, even for a public tool", async () => {
    const url = await start(new TestVerifier());
    const res = await modernPost(url, call("open"), bearer("bad"));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
  });

  test("prepare runs for protected tools only, and its AuthInfo is what the handler sees", async () => {
    const verifier = new TestVerifier();
    const url = await start(verifier);
    await structured(await modernPost(url, call("open"), bearer("alice:")));
    expect(verifier.prepared).toBe(0);
    expect(await structured(await modernPost(url, call("whoami"), bearer("alice:a,b")))).toEqual({
      subject: "alice",
      scopes: ["a", "b"],
      external: "upstream-for-alice",
    });
    expect(verifier.prepared).toBe(1);
    const refused = await modernPost(url, call("whoami"), bearer("lapsed:"));
    expect(refused.status).toBe(401);
  });

  test("arguments and _meta cannot set ctx.auth", async () => {
    const url = await start(new TestVerifier());
    const forged = modernBody("tools/call", {
      name: "open",
      arguments: { auth: { subject: "mallory" } },
      _meta: { ...(modernBody("x").params._meta as Json), auth: { subject: "mallory" }, externalAccessToken: "x" },
    });
    expect(await structured(await modernPost(url, forged))).toEqual({ auth: null });
    const res = await modernPost(url, call("whoami", { note: "x" }), { authorization: "Bearer mallory:" });
    expect((await structured(res)) as Json).toMatchObject({ subject: "mallory", external: "upstream-for-mallory" });
  });

  test("legacy era: the same refusals, inside a session", async () => {
    const url = await start(new TestVerifier());
    const headers = await openLegacySession(url);
    const body = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "write", arguments: {} } };
    expect((await post(url, body, headers)).status).toBe(401);
    expect((await post(url, body, { ...headers, ...bearer("alice:posts.write") })).status).toBe(403);
    const ok = await post(url, body, { ...headers, ...bearer("alice:posts.write,posts.read") });
    expect((await jsonOf(ok, 200)).result?.structuredContent).toEqual({ subject: "alice" });
  });

  test("a 2025-03-26 batch with one protected call is refused as a whole", async () => {
    const url = await start(new TestVerifier());
    const init = await legacyInitialize(url, {}, "2025-03-26");
    const headers = sessionHeaders(init, undefined);
    const batch = [
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "open", arguments: {} } },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "whoami", arguments: {} } },
    ];
    expect((await post(url, batch, headers)).status).toBe(401);
    const ok = await post(url, batch, { ...headers, ...bearer("alice:") });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as unknown[]).length).toBe(2);
  });

  test("a session opened by one user is not found for another; an anonymous one may be taken up", async () => {
    const url = await start(new TestVerifier());
    const alice = await legacyInitialize(url, bearer("alice:"));
    const ping = { jsonrpc: "2.0", id: 1, method: "ping" };
    const headers = sessionHeaders(alice);
    expect((await post(url, ping, { ...headers, ...bearer("alice:") })).status).toBe(200);
    expect((await post(url, ping, { ...headers, ...bearer("bob:") })).status).toBe(404);
    expect((await post(url, ping, headers)).status).toBe(404);
    const bobDelete = await fetch(url, { method: "DELETE", headers: { ...headers, ...bearer("bob:") } });
    expect(bobDelete.status).toBe(404);

    const anonymous = await openLegacySession(url);
    expect((await post(url, ping, { ...anonymous, ...bearer("carol:") })).status).toBe(200);
  });
});

describe("protectAll", () => {
  test("every request needs credentials, in both eras and on GET/DELETE", async () => {
    const url = await start(new TestVerifier(true));
    const list = modernBody("tools/list");
    const res = await modernPost(url, list);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('kind="unauthenticated"');
    expect((await modernPost(url, list, bearer("alice:"))).status).toBe(200);

    expect((await legacyInitialize(url)).status).toBe(401);
    const opened = await legacyInitialize(url, bearer("alice:"));
    const session = {
      "mcp-session-id": opened.headers.get("mcp-session-id") as string,
      "mcp-protocol-version": LEGACY,
    };
    expect((await fetch(url, { headers: { accept: "text/event-stream", ...session } })).status).toBe(401);
    expect((await fetch(url, { method: "DELETE", headers: session })).status).toBe(401);
    expect((await fetch(url, { method: "DELETE", headers: { ...session, ...bearer("alice:") } })).status).toBe(200);
  });
});

describe("without a verifier", () => {
  test("a protected tool refuses inside its result, as over STDIO: no HTTP challenge without a verifier", async () => {
    const url = await start(undefined);
    const body = await jsonOf(await modernPost(url, call("whoami")), 200);
    expect(body.result).toMatchObject({ isError: true, content: [{ type: "text", text: "Authentication required" }] });
  });
});

describe("beforeListen", () => {
  test("a failed start-up task fails run() and leaves nothing listening", async () => {
    const server = new ChukMCPServer("gate-test", { logLevel: "silent" });
    await expect(
      server.run({
        transport: "http",
        host: "127.0.0.1",
        port: 0,
        handleSignals: false,
        postRegisterHook: (s) => {
          s.beforeListen(Promise.reject(new Error("keys unavailable")));
        },
      }),
    ).rejects.toThrow("keys unavailable");
    expect(server.http).toBeUndefined();
  });
});
