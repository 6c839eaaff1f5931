/**
 * `protect: "all"`: every request to the MCP endpoint needs a valid token —
 * initialize and tools/list in the legacy era, any single request in the
 * modern era, and the session's GET (SSE stream) and DELETE — while a
 * session still belongs to the user who opened it.
 */
import { beforeAll, describe, expect, test } from "vitest";
import {
  type Answer,
  LEGACY,
  legacyPost,
  legacyRequest,
  mintToken,
  modernPost,
  openSession,
  parseChallenge,
} from "../helpers/mcp-requests.js";
import { useOAuthServer } from "../helpers/oauth-server.js";

const started = useOAuthServer({ middleware: { protect: "all" } });
let url: string;
let bare: string;
let alice: string;
let bob: string;

beforeAll(async () => {
  url = started.mcpUrl;
  bare = `Bearer resource_metadata="${started.origin}/.well-known/oauth-protected-resource/mcp"`;
  alice = (await mintToken(started.ctx, { subject: "alice" })).token;
  bob = (await mintToken(started.ctx, { subject: "bob" })).token;
});

function expectChallenge(answer: Answer, challenge: string): void {
  expect(answer.status).toBe(401);
  expect(answer.headers.get("www-authenticate")).toBe(challenge);
  expect(answer.body?.error?.code).toBe(-32001);
}

const toolNames = (answer: Answer): string[] =>
  ((answer.body?.result?.tools as { name: string }[] | undefined) ?? []).map((t) => t.name).sort();

describe("legacy era", () => {
  test("initialize without a token → 401, challenge without error or scope", async () => {
    const { sessionId, answer } = await openSession(url);
    expect(sessionId).toBeUndefined();
    expectChallenge(answer, bare);
  });

  test("with a token: initialize and tools/list work; tools/list without it in the same session → 401", async () => {
    const { sessionId } = await openSession(url, alice);
    expect(sessionId).toBeDefined();
    const listed = await legacyPost(url, legacyRequest("tools/list"), { sessionId: sessionId as string, token: alice });
    expect(listed.status).toBe(200);
    expect(toolNames(listed)).toEqual(["echo", "publish", "whoami"]);
    const anonymous = await legacyPost(url, legacyRequest("tools/list"), { sessionId: sessionId as string });
    expectChallenge(anonymous, bare);
  });

  test("a public tool needs the token too; a scoped tool's challenge names its scope", async () => {
    const { sessionId } = await openSession(url, alice);
    const echo = legacyRequest("tools/call", { name: "echo", arguments: { text: "x" } });
    expectChallenge(await legacyPost(url, echo, { sessionId: sessionId as string }), bare);
    const publish = legacyRequest("tools/call", { name: "publish", arguments: { content: "x" } });
    expectChallenge(await legacyPost(url, publish, { sessionId: sessionId as string }), `${bare}, scope="posts.write"`);
  });
});

describe("modern era", () => {
  test("tools/list without a token → 401; with one → the tools", async () => {
    expectChallenge(await modernPost(url, "tools/list"), bare);
    const listed = await modernPost(url, "tools/list", {}, { token: alice });
    expect(listed.status).toBe(200);
    expect(toolNames(listed)).toEqual(["echo", "publish", "whoami"]);
  });

  test("server/discover and a public tool need the token as well", async () => {
    expectChallenge(await modernPost(url, "server/discover"), bare);
    expectChallenge(await modernPost(url, "tools/call", { name: "echo", arguments: { text: "x" } }), bare);
    const echoed = await modernPost(url, "tools/call", { name: "echo", arguments: { text: "x" } }, { token: alice });
    expect(echoed.status).toBe(200);
  });

  test("an invalid token → 401 invalid_token", async () => {
    const answer = await modernPost(url, "tools/list", {}, { token: "aaa.bbb.ccc" });
    expect(answer.status).toBe(401);
    expect(parseChallenge(answer.headers.get("www-authenticate")).params.error).toBe("invalid_token");
  });
});

describe("GET and DELETE of a session", () => {
  const sessionRequest = (method: "GET" | "DELETE", sessionId: string, token?: string, signal?: AbortSignal) =>
    fetch(url, {
      method,
      headers: {
        accept: "text/event-stream",
        "mcp-session-id": sessionId,
        "mcp-protocol-version": LEGACY,
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      ...(signal ? { signal } : {}),
    });

  test("GET: without a token → 401, by another user → 404, by the owner → the SSE stream", async () => {
    const { sessionId } = await openSession(url, alice);
    const id = sessionId as string;
    const anonymous = await sessionRequest("GET", id);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe(bare);
    await anonymous.body?.cancel();
    const other = await sessionRequest("GET", id, bob);
    expect(other.status).toBe(404);
    await other.body?.cancel();
    const abort = new AbortController();
    const owner = await sessionRequest("GET", id, alice, abort.signal);
    expect(owner.status).toBe(200);
    expect(owner.headers.get("content-type")).toContain("text/event-stream");
    abort.abort();
  });

  test("DELETE: without a token → 401, by another user → 404, by the owner → 200 and the session is gone", async () => {
    const { sessionId } = await openSession(url, alice);
    const id = sessionId as string;
    const anonymous = await sessionRequest("DELETE", id);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe(bare);
    expect((await sessionRequest("DELETE", id, bob)).status).toBe(404);
    expect((await sessionRequest("DELETE", id, alice)).status).toBe(200);
    expect((await sessionRequest("DELETE", id, alice)).status).toBe(404);
  });
});
