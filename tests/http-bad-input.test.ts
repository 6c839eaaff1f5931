/**
 * The Streamable HTTP endpoint against bad input, over real HTTP (raw fetch,
 * node:http where fetch cannot set a header): the exact status, headers and
 * JSON-RPC error for each refusal, and that the server keeps serving after.
 */
import { request as httpRequest } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type StartedServer, startEverything } from "./helpers/everything.js";

const ACCEPT_BOTH = "application/json, text/event-stream";
const LATEST = "2025-11-25";

interface JsonRpcErrorBody {
  jsonrpc: string;
  id: string | number | null;
  error: { code: number; message: string };
}

interface ToolResultBody {
  jsonrpc: string;
  id: number;
  result: { content: { type: string; text: string }[]; isError?: boolean };
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: ACCEPT_BOTH, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const initializeMessage = (protocolVersion: string) => ({
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion, capabilities: {}, clientInfo: { name: "bad-input-test", version: "1.0.0" } },
});

/** Opens a session at `version` and completes the handshake; returns its headers. */
async function openSession(url: string, version = LATEST): Promise<Record<string, string>> {
  const res = await post(url, initializeMessage(version));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await res.json()) as { result: { protocolVersion: string } };
  expect(body.result.protocolVersion).toBe(version);
  const sessionId = res.headers.get("mcp-session-id");
  expect(sessionId).toMatch(/^[0-9a-f]{32}$/);
  const headers = { "mcp-session-id": sessionId as string, "mcp-protocol-version": version };
  const ready = await post(url, { jsonrpc: "2.0", method: "notifications/initialized" }, headers);
  expect(ready.status).toBe(202);
  return headers;
}

let echoId = 1000;
/** A successful `tools/call echo`: the server still serves. */
async function expectEcho(url: string, headers: Record<string, string>, text = "still here"): Promise<void> {
  const id = ++echoId;
  const res = await post(
    url,
    { jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { text } } },
    headers,
  );
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(await res.json()).toEqual({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text }] } });
}

/** Checks a JSON-RPC error response: status, JSON content type, code and id. */
async function expectRpcError(
  res: Response,
  status: number,
  code: number,
  id: string | number | null = null,
): Promise<JsonRpcErrorBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await res.json()) as JsonRpcErrorBody;
  expect(body.jsonrpc).toBe("2.0");
  expect(body.id).toBe(id);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  return body;
}

/** A raw node:http request, for headers fetch will not let us set (Host). */
function rawRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname, method, headers, agent: false },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          data += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("the MCP endpoint refuses bad input precisely", () => {
  let server: StartedServer;
  let url: string;
  let session: Record<string, string>;

  beforeAll(async () => {
    server = await startEverything();
    url = server.url;
    session = await openSession(url);
  });
  afterAll(async () => {
    await server?.close();
  });
  // Whatever a test sent, the server must still answer a good request.
  afterEach(async () => {
    await expectEcho(url, session);
  });

  test("/health answers ok", async () => {
    const res = await fetch(new URL("/health", url));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.status).toBe("ok");
    expect(body.name).toBe("chuk-everything");
  });

  test("malformed JSON → 400, -32700, id null", async () => {
    const res = await post(url, '{"jsonrpc":"2.0","id":1,"method":"ping"', session);
    const body = await expectRpcError(res, 400, -32700, null);
    expect(body.error.message).toBe("Parse error: the body is not valid JSON");
  });

  test("malformed JSON before any session → still 400 -32700", async () => {
    await expectRpcError(await post(url, "{not json"), 400, -32700, null);
  });

  test('a wrong "jsonrpc" value → 400, -32600, the id kept', async () => {
    const body = await expectRpcError(
      await post(url, { jsonrpc: "1.0", id: 5, method: "ping" }, session),
      400,
      -32600,
      5,
    );
    expect(body.error.message).toBe('Invalid request: "jsonrpc" must be "2.0"');
  });

  test.each([
    ["a number", "42"],
    ["a string", '"ping"'],
    ["null", "null"],
    ["true", "true"],
  ])("a body that is not an object (%s) → 400, -32600, id null", async (_what, raw) => {
    const body = await expectRpcError(await post(url, raw, session), 400, -32600, null);
    expect(body.error.message).toBe("Invalid request: a message must be a JSON object");
  });

  test("a request whose id is an object → 400, -32600, id null", async () => {
    await expectRpcError(await post(url, { jsonrpc: "2.0", id: { a: 1 }, method: "ping" }, session), 400, -32600, null);
  });

  test("a wrong Content-Type → 415", async () => {
    const res = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }), {
      ...session,
      "content-type": "text/plain",
    });
    const body = await expectRpcError(res, 415, -32600, null);
    expect(body.error.message).toBe("Invalid request: Content-Type must be application/json");
  });

  test("no Content-Type at all → 415", async () => {
    const res = await rawRequest(
      url,
      "POST",
      { accept: ACCEPT_BOTH, ...session },
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    );
    expect(res.status).toBe(415);
    expect(JSON.parse(res.body)).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, message: "Invalid request: Content-Type must be application/json" },
    });
  });

  test("Content-Type with a charset parameter is fine", async () => {
    const res = await post(
      url,
      { jsonrpc: "2.0", id: 3, method: "ping" },
      {
        ...session,
        "content-type": "application/json; charset=utf-8",
      },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 3, result: {} });
  });

  test("an Accept that admits neither JSON nor SSE → 406", async () => {
    const res = await post(url, { jsonrpc: "2.0", id: 1, method: "ping" }, { ...session, accept: "text/html" });
    const body = await expectRpcError(res, 406, -32600, null);
    expect(body.error.message).toContain("Not Acceptable");
  });

  test("an unknown method → 200 with a -32601 JSON-RPC error", async () => {
    const res = await post(url, { jsonrpc: "2.0", id: 9, method: "tools/explode" }, session);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      jsonrpc: "2.0",
      id: 9,
      error: { code: -32601, message: "Method not found: tools/explode" },
    });
  });

  test("a missing Mcp-Session-Id on a non-initialize request → 400", async () => {
    const res = await post(url, { jsonrpc: "2.0", id: 1, method: "tools/list" }, { "mcp-protocol-version": LATEST });
    const body = await expectRpcError(res, 400, -32600, null);
    expect(body.error.message).toBe("Bad Request: Mcp-Session-Id header is required");
  });

  test("an unknown session id → 404, -32001", async () => {
    const res = await post(
      url,
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      {
        ...session,
        "mcp-session-id": "0".repeat(32),
      },
    );
    const body = await expectRpcError(res, 404, -32001, null);
    expect(body.error.message).toBe("Session not found");
  });

  test("a terminated session: DELETE, then requests → 404", async () => {
    const doomed = await openSession(url);
    await expectEcho(url, doomed);
    const del = await fetch(url, { method: "DELETE", headers: doomed });
    expect(del.status).toBe(200);
    await expectRpcError(await post(url, { jsonrpc: "2.0", id: 1, method: "ping" }, doomed), 404, -32001, null);
    const again = await fetch(url, { method: "DELETE", headers: doomed });
    await expectRpcError(again, 404, -32001, null);
  });

  test("an unsupported MCP-Protocol-Version header → 400", async () => {
    const res = await post(
      url,
      { jsonrpc: "2.0", id: 1, method: "ping" },
      {
        ...session,
        "mcp-protocol-version": "1999-01-01",
      },
    );
    const body = await expectRpcError(res, 400, -32600, null);
    expect(body.error.message).toBe("Bad Request: unsupported MCP-Protocol-Version: 1999-01-01");
  });

  test("an absent MCP-Protocol-Version header is accepted", async () => {
    const res = await post(
      url,
      { jsonrpc: "2.0", id: 4, method: "ping" },
      {
        "mcp-session-id": session["mcp-session-id"] as string,
      },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 4, result: {} });
  });

  test("a batch under 2025-11-25 → 400, -32600", async () => {
    const res = await post(
      url,
      [
        { jsonrpc: "2.0", id: 1, method: "ping" },
        { jsonrpc: "2.0", id: 2, method: "ping" },
      ],
      session,
    );
    const body = await expectRpcError(res, 400, -32600, null);
    expect(body.error.message).toContain("batches are not supported in protocol version 2025-11-25");
  });

  test("a batch in a session negotiated at 2025-03-26 → an array of responses", async () => {
    const old = await openSession(url, "2025-03-26");
    const res = await post(
      url,
      [
        { jsonrpc: "2.0", id: 1, method: "ping" },
        { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: { text: "batched" } } },
        { jsonrpc: "2.0", method: "notifications/initialized" },
        { jsonrpc: "2.0", id: 3, method: "no/such" },
      ],
      old,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as unknown[];
    expect(body).toHaveLength(3);
    expect(body).toEqual(
      expect.arrayContaining([
        { jsonrpc: "2.0", id: 1, result: {} },
        { jsonrpc: "2.0", id: 2, result: { content: [{ type: "text", text: "batched" }] } },
        { jsonrpc: "2.0", id: 3, error: { code: -32601, message: "Method not found: no/such" } },
      ]),
    );
  });

  test("an empty batch → 400, -32600", async () => {
    const body = await expectRpcError(await post(url, [], session), 400, -32600, null);
    expect(body.error.message).toBe("Invalid request: empty batch");
  });

  test("initialize inside a batch is refused, and opens no session", async () => {
    const res = await post(url, [initializeMessage("2025-03-26"), { jsonrpc: "2.0", id: 1, method: "ping" }]);
    const body = await expectRpcError(res, 400, -32600, null);
    expect(body.error.message).toBe("Invalid request: initialize must not be part of a batch");
    expect(res.headers.get("mcp-session-id")).toBeNull();
  });

  test("a foreign Origin → 403", async () => {
    const res = await post(
      url,
      { jsonrpc: "2.0", id: 1, method: "ping" },
      { ...session, origin: "https://evil.example" },
    );
    const body = await expectRpcError(res, 403, -32000, null);
    expect(body.error.message).toBe("Origin not allowed: https://evil.example");
  });

  test("a foreign Origin is refused even for initialize", async () => {
    const res = await post(url, initializeMessage(LATEST), { origin: "https://evil.example" });
    await expectRpcError(res, 403, -32000, null);
    expect(res.headers.get("mcp-session-id")).toBeNull();
  });

  test("a loopback Origin is allowed", async () => {
    const res = await post(
      url,
      { jsonrpc: "2.0", id: 2, method: "ping" },
      { ...session, origin: "http://localhost:5173" },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 2, result: {} });
  });

  test("a foreign Host header → 403 (DNS rebinding)", async () => {
    const res = await rawRequest(
      url,
      "POST",
      {
        host: `evil.example:${new URL(url).port}`,
        "content-type": "application/json",
        accept: ACCEPT_BOTH,
        ...session,
      },
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    );
    expect(res.status).toBe(403);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32000, message: `Invalid Host: evil.example:${new URL(url).port}` },
    });
  });

  test("a loopback Host header through node:http is accepted", async () => {
    const res = await rawRequest(
      url,
      "POST",
      { host: `localhost:${new URL(url).port}`, "content-type": "application/json", accept: ACCEPT_BOTH, ...session },
      JSON.stringify({ jsonrpc: "2.0", id: 6, method: "ping" }),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ jsonrpc: "2.0", id: 6, result: {} });
  });

  test("GET without Accept text/event-stream → 406", async () => {
    const res = await fetch(url, { method: "GET", headers: { ...session, accept: "application/json" } });
    const body = await expectRpcError(res, 406, -32600, null);
    expect(body.error.message).toBe("Not Acceptable: the client must accept text/event-stream");
  });

  test("GET or DELETE without a session id → 405 (only POST is served outside a legacy session)", async () => {
    const get = await fetch(url, { method: "GET", headers: { accept: "text/event-stream" } });
    await expectRpcError(get, 405, -32600, null);
    expect(get.headers.get("allow")).toBe("POST");
    const del = await fetch(url, { method: "DELETE" });
    await expectRpcError(del, 405, -32600, null);
  });

  test("a second standalone GET while one is open → 409", async () => {
    const own = await openSession(url);
    const first = new AbortController();
    const stream = await fetch(url, {
      method: "GET",
      headers: { ...own, accept: "text/event-stream" },
      signal: first.signal,
    });
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers.get("content-type")).toBe("text/event-stream");
      expect(stream.headers.get("cache-control")).toBe("no-cache, no-transform");
      // 2025-11-25: the stream opens with a priming event (an id, empty data).
      const reader = stream.body!.getReader();
      const { value } = await reader.read();
      expect(new TextDecoder().decode(value)).toMatch(/^id: g_0\nretry: \d+\nevent: message\ndata: \n\n/);
      const second = await fetch(url, { method: "GET", headers: { ...own, accept: "text/event-stream" } });
      const body = await expectRpcError(second, 409, -32600, null);
      expect(body.error.message).toBe("Conflict: this session already has an open SSE stream");
    } finally {
      first.abort();
    }
  });

  test("tools/call with invalid arguments → 200, isError, the message names the field", async () => {
    const res = await post(
      url,
      { jsonrpc: "2.0", id: 11, method: "tools/call", params: { name: "echo", arguments: { text: 42 } } },
      session,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as ToolResultBody;
    expect(body.id).toBe(11);
    expect(body.result.isError).toBe(true);
    expect(body.result.content).toHaveLength(1);
    expect(body.result.content[0]?.text).toMatch(/^Invalid arguments for tool echo: text: /);
  });

  test("tools/call with a missing required argument names it", async () => {
    const res = await post(
      url,
      { jsonrpc: "2.0", id: 12, method: "tools/call", params: { name: "echo", arguments: {} } },
      session,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as ToolResultBody;
    expect(body.result.isError).toBe(true);
    expect(body.result.content[0]?.text).toContain("text:");
  });

  test("tools/call of an unknown tool → 200 with -32602", async () => {
    const res = await post(url, { jsonrpc: "2.0", id: 13, method: "tools/call", params: { name: "nope" } }, session);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      jsonrpc: "2.0",
      id: 13,
      error: { code: -32602, message: "Invalid params: Unknown tool: nope" },
    });
  });

  test("a client that accepts only SSE gets even a plain answer as an SSE stream", async () => {
    const res = await post(
      url,
      { jsonrpc: "2.0", id: 77, method: "tools/call", params: { name: "echo", arguments: { text: "sse" } } },
      { ...session, accept: "text/event-stream" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await res.text();
    const data = text
      .split("\n")
      .filter((l) => l.startsWith("data: ") && l.length > 6)
      .map((l) => JSON.parse(l.slice(6)) as ToolResultBody);
    expect(data).toEqual([{ jsonrpc: "2.0", id: 77, result: { content: [{ type: "text", text: "sse" }] } }]);
  });

  test("a notification POST → 202 with an empty body", async () => {
    const res = await post(url, { jsonrpc: "2.0", method: "notifications/roots/list_changed" }, session);
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
  });

  test("a response POST to nothing pending → 202 with an empty body", async () => {
    const res = await post(url, { jsonrpc: "2.0", id: "srv-999", result: {} }, session);
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
  });
});

describe("a small body limit", () => {
  let server: StartedServer;
  beforeAll(async () => {
    server = await startEverything({ bodyLimit: 1024 });
  });
  afterAll(async () => {
    await server?.close();
  });

  test("an oversized body → 413, and the server still serves", async () => {
    const session = await openSession(server.url);
    const big = {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "echo", arguments: { text: "x".repeat(2000) } },
    };
    const body = await expectRpcError(await post(server.url, big, session), 413, -32600, null);
    expect(body.error.message).toBe("Invalid request: request body larger than 1024 bytes");
    await expectEcho(server.url, session, "small");
  });
});

describe("a stateless server", () => {
  let server: StartedServer;
  beforeAll(async () => {
    server = await startEverything({ stateless: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  test("GET → 405 with Allow: POST", async () => {
    const res = await fetch(server.url, { method: "GET", headers: { accept: "text/event-stream" } });
    const body = await expectRpcError(res, 405, -32600, null);
    expect(res.headers.get("allow")).toBe("POST");
    expect(body.error.message).toMatch(/^Method Not Allowed/);
  });

  test("DELETE → 405 with Allow: POST", async () => {
    const res = await fetch(server.url, { method: "DELETE", headers: { "mcp-session-id": "whatever" } });
    await expectRpcError(res, 405, -32600, null);
    expect(res.headers.get("allow")).toBe("POST");
  });

  test("without MCP-Protocol-Version a request is taken as 2025-03-26, so a batch is served", async () => {
    const res = await post(server.url, [
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { text: "a" } } },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: { text: "b" } } },
    ]);
    expect(res.status).toBe(200);
    const answers = (await res.json()) as ToolResultBody[];
    expect(answers.map((a) => [a.id, a.result.content[0]?.text])).toEqual([
      [1, "a"],
      [2, "b"],
    ]);
  });

  test("POST needs no session, and initialize issues none", async () => {
    const init = await post(server.url, initializeMessage(LATEST));
    expect(init.status).toBe(200);
    expect(init.headers.get("mcp-session-id")).toBeNull();
    await expectEcho(server.url, { "mcp-protocol-version": LATEST }, "stateless");
  });
});
