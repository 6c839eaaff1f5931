/**
 * The modern era (2026-07-28) over real HTTP (fetch): the status and body of
 * each validation failure, JSON versus SSE answers, cancellation by closing
 * the response stream, subscriptions/listen, GET/DELETE without a session,
 * and a legacy session served beside modern requests.
 */
import { ChukMCPServer, type RunningServer } from "@chuk-mcp/server";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { z } from "zod";
import { type StartedServer, startEverything } from "./helpers/everything.js";
import {
  type Json,
  jsonOf,
  LEGACY,
  META,
  modernBody,
  modernPost,
  openLegacySession,
  post,
  type RpcBody,
  SseReader,
  VERSION,
} from "./helpers/mcp-http.js";

const SERVER_INFO = "io.modelcontextprotocol/serverInfo";
const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
/** What the everything server says it is in every modern result's _meta. */
const EVERYTHING_INFO = { name: "chuk-everything", version: "0.1.0", title: "Everything" };

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("the everything server over modern HTTP", () => {
  let server: StartedServer;
  let url: string;

  beforeAll(async () => {
    server = await startEverything();
    url = server.url;
  });
  afterAll(async () => {
    await server?.close();
  });

  describe("the validation order: status and body", () => {
    test("no _meta (with a 2026 version header) → 400, -32602", async () => {
      const body = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} };
      const res = await jsonOf(await modernPost(url, body), 400);
      expect(res).toMatchObject({ jsonrpc: "2.0", id: 1, error: { code: -32602 } });
      expect(res.error?.message).toContain("params._meta is required");
    });

    test("_meta without clientCapabilities → 400, -32602", async () => {
      const body = {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/list",
        params: { _meta: { "io.modelcontextprotocol/protocolVersion": VERSION } },
      };
      const res = await jsonOf(await modernPost(url, body), 400);
      expect(res.error).toEqual({
        code: -32602,
        message: 'Invalid params: _meta["io.modelcontextprotocol/clientCapabilities"] must be an object',
      });
    });

    test("an initialize sent with the 2026 header and no _meta → 400, -32602 (not a legacy session)", async () => {
      const body = {
        jsonrpc: "2.0",
        id: 3,
        method: "initialize",
        params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: "x", version: "1" } },
      };
      const res = await modernPost(url, body);
      expect(res.headers.get("mcp-session-id")).toBeNull();
      expect((await jsonOf(res, 400)).error?.code).toBe(-32602);
    });

    test("MCP-Protocol-Version disagreeing with _meta → 400, -32020", async () => {
      const res = await jsonOf(
        await modernPost(url, modernBody("tools/list"), { "mcp-protocol-version": LEGACY }),
        400,
      );
      expect(res.error).toEqual({
        code: -32020,
        message: `Header mismatch: MCP-Protocol-Version header '${LEGACY}' does not match _meta protocolVersion '${VERSION}'`,
      });
    });

    test("MCP-Protocol-Version missing → 400, -32020", async () => {
      const res = await jsonOf(
        await modernPost(url, modernBody("tools/list"), { "mcp-protocol-version": undefined }),
        400,
      );
      expect(res.error?.code).toBe(-32020);
    });

    test("Mcp-Method missing or different → 400, -32020", async () => {
      const missing = await jsonOf(await modernPost(url, modernBody("tools/list"), { "mcp-method": undefined }), 400);
      expect(missing.error).toEqual({ code: -32020, message: "Header mismatch: the Mcp-Method header is required" });
      const other = await jsonOf(await modernPost(url, modernBody("tools/list"), { "mcp-method": "TOOLS/LIST" }), 400);
      expect(other.error?.code).toBe(-32020);
    });

    test("Mcp-Name missing or different on tools/call → 400, -32020", async () => {
      const call = modernBody("tools/call", { name: "echo", arguments: { text: "x" } });
      expect((await jsonOf(await modernPost(url, call, { "mcp-name": undefined }), 400)).error?.code).toBe(-32020);
      const other = await jsonOf(await modernPost(url, call, { "mcp-name": "add" }), 400);
      expect(other.error).toEqual({
        code: -32020,
        message: "Header mismatch: Mcp-Name header 'add' does not match body value 'echo'",
      });
      // The Base64 sentinel form of the right name is accepted.
      const encoded = await jsonOf(await modernPost(url, call, { "mcp-name": "=?base64?ZWNobw==?=" }), 200);
      expect(encoded.result?.content).toEqual([{ type: "text", text: "x" }]);
    });

    test("Mcp-Param-Region must mirror the x-mcp-header argument", async () => {
      const call = modernBody("tools/call", { name: "test_custom_header", arguments: { region: "eu-west1" } });
      const ok = await jsonOf(await modernPost(url, call, { "mcp-param-region": "eu-west1" }), 200);
      expect(ok.result?.content).toEqual([{ type: "text", text: "Region: eu-west1" }]);
      const wrong = await jsonOf(await modernPost(url, call, { "mcp-param-region": "us-east1" }), 400);
      expect(wrong.error?.code).toBe(-32020);
      const missing = await jsonOf(await modernPost(url, call), 400);
      expect(missing.error?.message).toBe(
        "Header mismatch: the Mcp-Param-Region header is required when region is given",
      );
    });

    test("an unsupported version → 400, -32022 with supported and requested", async () => {
      const body = modernBody("tools/list", {
        _meta: META({ "io.modelcontextprotocol/protocolVersion": "2099-01-01" }),
      });
      const res = await jsonOf(await modernPost(url, body, { "mcp-protocol-version": "2099-01-01" }), 400);
      expect(res.id).toBe(body.id);
      expect(res.error?.code).toBe(-32022);
      expect(res.error?.message).toBe("Unsupported protocol version");
      const data = res.error?.data as { supported: string[]; requested: string };
      expect(data.requested).toBe("2099-01-01");
      expect(data.supported).toContain(VERSION);
      expect(data.supported).toContain(LEGACY);
    });

    test("an unknown method → 404, -32601", async () => {
      const body = modernBody("tools/destroy");
      const res = await jsonOf(await modernPost(url, body), 404);
      expect(res).toEqual({
        jsonrpc: "2.0",
        id: body.id,
        error: { code: -32601, message: "Method not found: tools/destroy" },
      });
    });

    test.each(["ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe", "initialize"])(
      "the removed method %s → 404, -32601",
      async (method) => {
        const body = modernBody(method, { level: "info", uri: "test://static-text" });
        const res = await jsonOf(await modernPost(url, body, { "mcp-name": undefined }), 404);
        expect(res.error).toEqual({ code: -32601, message: `Method not found: ${method}` });
        expect(res.id).toBe(body.id);
      },
    );
  });

  describe("answers", () => {
    test("a plain result is JSON: resultType, content and serverInfo", async () => {
      const body = modernBody("tools/call", { name: "echo", arguments: { text: "hello modern" } });
      const res = await modernPost(url, body);
      expect(res.headers.get("mcp-session-id")).toBeNull();
      expect(await jsonOf(res, 200)).toEqual({
        jsonrpc: "2.0",
        id: body.id,
        result: {
          resultType: "complete",
          content: [{ type: "text", text: "hello modern" }],
          _meta: { [SERVER_INFO]: EVERYTHING_INFO },
        },
      });
    });

    test("server/discover and tools/list carry cache hints", async () => {
      const discover = await jsonOf(await modernPost(url, modernBody("server/discover")), 200);
      expect(discover.result).toMatchObject({
        resultType: "complete",
        ttlMs: 300_000,
        cacheScope: "private",
        instructions: "A test server exercising every MCP feature.",
      });
      expect(discover.result?.supportedVersions).toContain(VERSION);
      const list = await jsonOf(await modernPost(url, modernBody("tools/list")), 200);
      expect(list.result).toMatchObject({ resultType: "complete", ttlMs: 60_000, cacheScope: "private" });
      expect(((list.result?.tools ?? []) as { name: string }[]).some((t) => t.name === "echo")).toBe(true);
    });

    test("progress turns the answer into SSE: the notifications, then the result; no event ids", async () => {
      const body = modernBody("tools/call", {
        name: "test_tool_with_progress",
        _meta: META({ progressToken: "tok-7" }),
      });
      const res = await modernPost(url, body);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-accel-buffering")).toBe("no");
      const sse = new SseReader(res);
      const messages = await sse.rest();
      expect(messages).toEqual([
        {
          jsonrpc: "2.0",
          method: "notifications/progress",
          params: { progressToken: "tok-7", progress: 0, total: 100, message: "Completed step 0 of 100" },
        },
        {
          jsonrpc: "2.0",
          method: "notifications/progress",
          params: { progressToken: "tok-7", progress: 50, total: 100, message: "Completed step 50 of 100" },
        },
        {
          jsonrpc: "2.0",
          method: "notifications/progress",
          params: { progressToken: "tok-7", progress: 100, total: 100, message: "Completed step 100 of 100" },
        },
        {
          jsonrpc: "2.0",
          id: body.id,
          result: {
            resultType: "complete",
            content: [{ type: "text", text: "tok-7" }],
            _meta: { [SERVER_INFO]: EVERYTHING_INFO },
          },
        },
      ]);
      // Modern streams are not resumable: no event ids.
      expect(sse.blocks.some((b) => /^id:/m.test(b))).toBe(false);
    });

    test("log messages only with a logLevel: JSON without one, SSE with one", async () => {
      const plain = await jsonOf(
        await modernPost(url, modernBody("tools/call", { name: "test_tool_with_logging" })),
        200,
      );
      expect(plain.result?.content).toEqual([{ type: "text", text: "Tool with logging executed successfully" }]);
      const body = modernBody("tools/call", {
        name: "test_tool_with_logging",
        _meta: META({ "io.modelcontextprotocol/logLevel": "info" }),
      });
      const messages = await new SseReader(await modernPost(url, body)).rest();
      expect(messages.filter((m) => m.method === "notifications/message").map((m) => (m.params as Json).data)).toEqual([
        "Tool execution started",
        "Tool processing data",
        "Tool execution completed",
      ]);
      expect(messages.at(-1)).toMatchObject({ id: body.id, result: { resultType: "complete" } });
    });

    test("an input-required round over HTTP, then the retry completes", async () => {
      const caps = { elicitation: {} };
      const params = { name: "test_input_required_result_elicitation", arguments: {} };
      const first = await jsonOf(
        await modernPost(url, modernBody("tools/call", { ...params, _meta: META({}, caps) })),
        200,
      );
      expect(first.result?.resultType).toBe("input_required");
      expect(Object.keys(first.result?.inputRequests as Json)).toEqual(["user_name"]);
      const retry = await jsonOf(
        await modernPost(
          url,
          modernBody("tools/call", {
            ...params,
            inputResponses: { user_name: { action: "accept", content: { name: "Ada" } } },
            requestState: first.result?.requestState,
            _meta: META({}, caps),
          }),
        ),
        200,
      );
      expect(retry.result).toMatchObject({ resultType: "complete", content: [{ type: "text", text: "Hello, Ada!" }] });
    });

    test("a capability the client lacks → 400, -32021 (not an isError result)", async () => {
      const res = await jsonOf(
        await modernPost(url, modernBody("tools/call", { name: "test_missing_capability", arguments: {} })),
        400,
      );
      expect(res.error?.code).toBe(-32021);
      expect(res.error?.data).toEqual({ requiredCapabilities: { sampling: {} } });
      expect(res.result).toBeUndefined();
    });
  });

  describe("GET and DELETE without a session", () => {
    test.each(["GET", "DELETE"])("%s → 405 with Allow: POST", async (method) => {
      const res = await fetch(url, {
        method,
        headers: { accept: "text/event-stream", "mcp-protocol-version": VERSION },
      });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      const body = (await res.json()) as RpcBody;
      expect(body.id).toBeNull();
      expect(body.error?.code).toBe(-32600);
    });
  });

  describe("a legacy session beside modern requests", () => {
    test("both are served, interleaved and at once, each in its own wire form", async () => {
      const session = await openLegacySession(url);
      const legacyCall = (id: number, text: string) =>
        post(url, { jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { text } } }, session);
      const modernCall = (text: string) =>
        modernPost(url, modernBody("tools/call", { name: "echo", arguments: { text } }));

      const legacy1 = await jsonOf(await legacyCall(1, "legacy one"), 200);
      expect(legacy1).toEqual({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "legacy one" }] } });
      const modern1 = await jsonOf(await modernCall("modern one"), 200);
      expect(modern1.result).toMatchObject({ resultType: "complete", content: [{ type: "text", text: "modern one" }] });

      const [l2, m2, l3, m3] = await Promise.all([
        legacyCall(2, "legacy two").then((r) => jsonOf(r, 200)),
        modernCall("modern two").then((r) => jsonOf(r, 200)),
        legacyCall(3, "legacy three").then((r) => jsonOf(r, 200)),
        modernCall("modern three").then((r) => jsonOf(r, 200)),
      ]);
      expect(l2.result).toEqual({ content: [{ type: "text", text: "legacy two" }] });
      expect(l3.result).toEqual({ content: [{ type: "text", text: "legacy three" }] });
      expect(m2.result?.content).toEqual([{ type: "text", text: "modern two" }]);
      expect(m3.result?.content).toEqual([{ type: "text", text: "modern three" }]);

      // The legacy session still has its own methods (ping), which modern requests do not.
      const ping = await jsonOf(await post(url, { jsonrpc: "2.0", id: 9, method: "ping" }, session), 200);
      expect(ping).toEqual({ jsonrpc: "2.0", id: 9, result: {} });
      expect((await jsonOf(await modernPost(url, modernBody("ping")), 404)).error?.code).toBe(-32601);

      const closed = await fetch(url, { method: "DELETE", headers: session });
      expect(closed.status).toBe(200);
    });
  });
});

describe("a server of our own: cancellation and subscriptions", () => {
  let mcp: ChukMCPServer;
  let running: RunningServer;
  let url: string;
  let holdStarted = deferred<void>();
  let holdStopped = deferred<{ reason: unknown; finished: boolean }>();

  beforeAll(async () => {
    mcp = new ChukMCPServer("modern-e2e", { version: "9.9.9", logLevel: "silent" });
    mcp.tool("hold", { description: "Reports progress, then waits until cancelled." }, async (_a, ctx) => {
      await ctx.progress(1, 2, "started");
      holdStarted.resolve();
      const finished = await new Promise<boolean>((resolve) => {
        ctx.signal.addEventListener("abort", () => resolve(false), { once: true });
        // Never finishes by itself: only cancellation ends it.
      });
      holdStopped.resolve({ reason: ctx.signal.reason, finished });
      return "not reached";
    });
    mcp.tool("ping_tool", { input: { n: z.number() } }, ({ n }) => `pong ${n}`);
    running = await mcp.run({ transport: "http", host: "127.0.0.1", port: 0, handleSignals: false });
    url = running.url as string;
  });
  afterAll(async () => {
    await running?.close();
  });

  test("closing the response stream mid-request cancels it: the handler's signal fires; the server serves on", async () => {
    holdStarted = deferred<void>();
    holdStopped = deferred<{ reason: unknown; finished: boolean }>();
    const abort = new AbortController();
    const body = modernBody("tools/call", { name: "hold", _meta: META({ progressToken: "h" }) });
    const res = await modernPost(url, body, {}, abort.signal);
    const sse = new SseReader(res);
    expect(await sse.next()).toEqual({
      jsonrpc: "2.0",
      method: "notifications/progress",
      params: { progressToken: "h", progress: 1, total: 2, message: "started" },
    });
    await holdStarted.promise;
    abort.abort();
    const stopped = await holdStopped.promise;
    expect(stopped.finished).toBe(false);
    expect((stopped.reason as Error).message).toBe("The client closed the response stream");

    const after = await jsonOf(
      await modernPost(url, modernBody("tools/call", { name: "ping_tool", arguments: { n: 1 } })),
      200,
    );
    expect(after.result?.content).toEqual([{ type: "text", text: "pong 1" }]);
  });

  test("closing a request still waiting for its JSON answer (no SSE yet) cancels it too", async () => {
    holdStarted = deferred<void>();
    holdStopped = deferred<{ reason: unknown; finished: boolean }>();
    const abort = new AbortController();
    // No progressToken: the handler sends nothing, so the answer would be plain JSON.
    const pending = modernPost(url, modernBody("tools/call", { name: "hold" }), {}, abort.signal);
    await holdStarted.promise;
    abort.abort();
    await expect(pending).rejects.toThrow();
    const stopped = await holdStopped.promise;
    expect((stopped.reason as Error).message).toBe("The client closed the response stream");
    const after = await jsonOf(
      await modernPost(url, modernBody("tools/call", { name: "ping_tool", arguments: { n: 2 } })),
      200,
    );
    expect(after.result?.content).toEqual([{ type: "text", text: "pong 2" }]);
  });

  test("subscriptions/listen over SSE: the ack, then a tagged list_changed when a tool is registered; closing ends it", async () => {
    const abort = new AbortController();
    const body = modernBody(
      "subscriptions/listen",
      { notifications: { toolsListChanged: true, promptsListChanged: false } },
      501,
    );
    const res = await modernPost(url, body, {}, abort.signal);
    expect(res.status).toBe(200);
    const sse = new SseReader(res);
    expect(await sse.next()).toEqual({
      jsonrpc: "2.0",
      method: "notifications/subscriptions/acknowledged",
      params: { notifications: { toolsListChanged: true }, _meta: { [SUBSCRIPTION_ID]: 501 } },
    });
    expect(mcp.subscriptions.size).toBe(1);
    mcp.prompt("not_listened_to", {}, () => "p");
    mcp.tool("added_later", {}, () => "new");
    expect(await sse.next()).toEqual({
      jsonrpc: "2.0",
      method: "notifications/tools/list_changed",
      params: { _meta: { [SUBSCRIPTION_ID]: 501 } },
    });
    abort.abort();
    await vi.waitFor(() => expect(mcp.subscriptions.size).toBe(0), { timeout: 10_000, interval: 20 });
  });

  test("a legacy session's GET stream and a modern listen both hear a tool being registered", async () => {
    const session = await openLegacySession(url);
    const legacyAbort = new AbortController();
    const get = await fetch(url, {
      method: "GET",
      headers: {
        accept: "text/event-stream",
        "mcp-session-id": session["mcp-session-id"] as string,
        "mcp-protocol-version": LEGACY,
      },
      signal: legacyAbort.signal,
    });
    expect(get.status).toBe(200);
    const legacyStream = new SseReader(get);

    const modernAbort = new AbortController();
    const listen = new SseReader(
      await modernPost(
        url,
        modernBody("subscriptions/listen", { notifications: { toolsListChanged: true } }, "sub-x"),
        {},
        modernAbort.signal,
      ),
    );
    expect((await listen.next())?.method).toBe("notifications/subscriptions/acknowledged");

    mcp.tool("seen_by_both", {}, () => "both");
    expect(await listen.next()).toEqual({
      jsonrpc: "2.0",
      method: "notifications/tools/list_changed",
      params: { _meta: { [SUBSCRIPTION_ID]: "sub-x" } },
    });
    expect(await legacyStream.next()).toEqual({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });

    legacyAbort.abort();
    modernAbort.abort();
    await vi.waitFor(() => expect(mcp.subscriptions.size).toBe(0), { timeout: 10_000, interval: 20 });
    expect((await fetch(url, { method: "DELETE", headers: session })).status).toBe(200);
  });

  test("shutting down completes an open listen with its subscriptionId", async () => {
    const body = modernBody("subscriptions/listen", { notifications: { toolsListChanged: true } }, 777);
    const sse = new SseReader(await modernPost(url, body));
    expect((await sse.next())?.method).toBe("notifications/subscriptions/acknowledged");
    const closing = running.close();
    expect(await sse.next()).toEqual({
      jsonrpc: "2.0",
      id: 777,
      result: {
        resultType: "complete",
        _meta: { [SUBSCRIPTION_ID]: 777, [SERVER_INFO]: { name: "modern-e2e", version: "9.9.9" } },
      },
    });
    expect(await sse.next()).toBeUndefined();
    await closing;
  });
});
