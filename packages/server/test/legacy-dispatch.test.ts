import { beforeEach, describe, expect, test } from "vitest";
import { z } from "zod";
import type { JsonRpcRequest, JsonRpcResponse } from "../src/protocol/jsonrpc.js";
import {
  handleLegacyNotification,
  handleLegacyRequest,
  handleLegacyResponse,
} from "../src/protocol/legacy/dispatch.js";
import { LegacySession } from "../src/protocol/legacy/session.js";
import type { ClientCapabilities } from "../src/protocol/types.js";
import { ChukMCPServer } from "../src/server.js";
import { type RecordingChannel, recordingChannel } from "./helpers/recording-channel.js";

let server: ChukMCPServer;
let session: LegacySession;
let channel: RecordingChannel;
let nextId = 0;

const request = (method: string, params?: Record<string, unknown>): JsonRpcRequest =>
  params === undefined ? { jsonrpc: "2.0", id: ++nextId, method } : { jsonrpc: "2.0", id: ++nextId, method, params };

const send = (method: string, params?: Record<string, unknown>) =>
  handleLegacyRequest(server, session, request(method, params), channel, undefined);

const INIT = (caps: ClientCapabilities = {}, protocolVersion = "2025-11-25") => ({
  protocolVersion,
  capabilities: caps,
  clientInfo: { name: "test-client", version: "1.0.0" },
});

async function initialized(caps: ClientCapabilities = {}) {
  const r = await send("initialize", INIT(caps));
  expect(r && "result" in r).toBe(true);
  handleLegacyNotification(server, session, { jsonrpc: "2.0", method: "notifications/initialized" });
}

function resultOf(r: JsonRpcResponse | undefined): Record<string, unknown> {
  if (!r || !("result" in r)) throw new Error(`expected a result, got ${JSON.stringify(r)}`);
  return r.result;
}
function errorOf(r: JsonRpcResponse | undefined) {
  if (!r || !("error" in r)) throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r.error;
}

beforeEach(() => {
  server = new ChukMCPServer("dispatch-test", { logLevel: "silent", instructions: "Be nice." });
  channel = recordingChannel();
  session = new LegacySession(undefined, channel, server.sessionOptions);
  server.attachSession(session);
  nextId = 0;
});

describe("the handshake", () => {
  test("requests before initialize are refused with -32600; ping is not", async () => {
    const r = await send("tools/list");
    expect(r).toEqual({
      jsonrpc: "2.0",
      id: 1,
      error: { code: -32600, message: "Invalid request: the session is not initialized: send initialize first" },
    });
    expect(await send("ping")).toEqual({ jsonrpc: "2.0", id: 2, result: {} });
  });

  test("an unknown method is -32601, before and after initialize", async () => {
    expect(errorOf(await send("no/such"))).toEqual({ code: -32601, message: "Method not found: no/such" });
    await initialized();
    expect(errorOf(await send("tools/destroy"))).toEqual({ code: -32601, message: "Method not found: tools/destroy" });
  });

  test("initialize answers with the negotiated version, capabilities, serverInfo and instructions", async () => {
    const r = await send("initialize", INIT({ sampling: {} }, "2025-06-18"));
    expect(r?.id).toBe(1);
    expect(resultOf(r)).toEqual({
      protocolVersion: "2025-06-18",
      capabilities: server.capabilities,
      serverInfo: { name: "dispatch-test", version: "0.1.0" },
      instructions: "Be nice.",
    });
    expect(session.initialized).toBe(true);
    expect(session.ready).toBe(false);
    expect(session.protocolVersion).toBe("2025-06-18");
    expect(session.clientCapabilities).toEqual({ sampling: {} });
    expect(session.clientInfo).toEqual({ name: "test-client", version: "1.0.0" });
    handleLegacyNotification(server, session, { jsonrpc: "2.0", method: "notifications/initialized" });
    expect(session.ready).toBe(true);
  });

  test("an unknown requested version gets our latest", async () => {
    expect(resultOf(await send("initialize", INIT({}, "2024-11-05"))).protocolVersion).toBe("2025-11-25");
  });

  test("initialize twice is refused and the first negotiation stands", async () => {
    await send("initialize", INIT({}, "2025-03-26"));
    const again = await send("initialize", INIT({ roots: {} }, "2025-11-25"));
    expect(errorOf(again)).toEqual({ code: -32600, message: "Invalid request: the session is already initialized" });
    expect(session.protocolVersion).toBe("2025-03-26");
    expect(session.clientCapabilities).toEqual({});
  });

  test.each([
    ["no params", undefined, '"protocolVersion" must be a string'],
    ["a numeric protocolVersion", { ...INIT(), protocolVersion: 20251125 }, '"protocolVersion" must be a string'],
    [
      "capabilities missing",
      { protocolVersion: "2025-11-25", clientInfo: { name: "c", version: "1" } },
      '"capabilities" must be an object',
    ],
    ["capabilities as an array", { ...INIT(), capabilities: [] }, '"capabilities" must be an object'],
    ["clientInfo missing", { protocolVersion: "2025-11-25", capabilities: {} }, '"clientInfo" must have'],
    ["clientInfo without version", { ...INIT(), clientInfo: { name: "c" } }, '"clientInfo" must have'],
  ])("invalid initialize params (%s) → -32602, still uninitialized", async (_what, params, message) => {
    const err = errorOf(await send("initialize", params as Record<string, unknown> | undefined));
    expect(err.code).toBe(-32602);
    expect(err.message).toContain(message);
    expect(session.initialized).toBe(false);
    // A correct initialize still works afterwards.
    expect(resultOf(await send("initialize", INIT())).protocolVersion).toBe("2025-11-25");
  });

  test("notifications/initialized before initialize does not make the session ready", () => {
    handleLegacyNotification(server, session, { jsonrpc: "2.0", method: "notifications/initialized" });
    expect(session.ready).toBe(false);
  });
});

describe("ping and logging/setLevel", () => {
  test("results are exactly {}", async () => {
    await initialized();
    const ping = resultOf(await send("ping"));
    expect(ping).toStrictEqual({});
    expect(Object.keys(ping)).toHaveLength(0);
    const set = resultOf(await send("logging/setLevel", { level: "error" }));
    expect(set).toStrictEqual({});
    expect(session.logLevel).toBe("error");
  });

  test("setLevel with an unknown level is -32602 and changes nothing", async () => {
    await initialized();
    const before = session.logLevel;
    const err = errorOf(await send("logging/setLevel", { level: "verbose" }));
    expect(err.code).toBe(-32602);
    expect(err.message).toContain('"level" must be one of debug, info');
    expect(session.logLevel).toBe(before);
  });

  test("the client's level filters ctx.log messages on the request's channel", async () => {
    server.tool("chatty", {}, async (_a, ctx) => {
      await ctx.log("info", "info message");
      await ctx.log("error", "error message");
      return "done";
    });
    await initialized();
    await send("logging/setLevel", { level: "warning" });
    await send("tools/call", { name: "chatty" });
    expect(channel.sent).toEqual([
      { jsonrpc: "2.0", method: "notifications/message", params: { level: "error", data: "error message" } },
    ]);
  });
});

describe("tools/call through dispatch", () => {
  beforeEach(() => {
    server.tool("add", { input: { a: z.number(), b: z.number() } }, ({ a, b }) => ({ sum: a + b }));
    server.tool("crash", {}, () => {
      throw new Error("secret internals");
    });
    server.resource("test://broken", () => {
      throw new Error("disk path /var/secret");
    });
  });

  test("a call returns the normalised result", async () => {
    await initialized();
    expect(resultOf(await send("tools/call", { name: "add", arguments: { a: 2, b: 3 } }))).toEqual({
      content: [{ type: "text", text: '{"sum":5}' }],
      structuredContent: { sum: 5 },
    });
  });

  test("invalid arguments → a tool error naming the field, not a protocol error", async () => {
    await initialized();
    const result = resultOf(await send("tools/call", { name: "add", arguments: { a: 2, b: "three" } }));
    expect(result.isError).toBe(true);
    const text = (result.content as { text: string }[])[0]?.text ?? "";
    expect(text).toMatch(/^Invalid arguments for tool add: b: /);
    expect(text).not.toContain("a:");
  });

  test("an unknown tool and non-object arguments are -32602", async () => {
    await initialized();
    expect(errorOf(await send("tools/call", { name: "nope" }))).toEqual({
      code: -32602,
      message: "Invalid params: Unknown tool: nope",
    });
    expect(errorOf(await send("tools/call", { name: "add", arguments: [1, 2] })).code).toBe(-32602);
  });

  test("a tool's own error is its result, flagged", async () => {
    await initialized();
    expect(resultOf(await send("tools/call", { name: "crash" }))).toEqual({
      content: [{ type: "text", text: "secret internals" }],
      isError: true,
    });
  });

  test("a resource reader's unexpected error is -32603 with no details", async () => {
    await initialized();
    const r = await send("resources/read", { uri: "test://broken" });
    expect(errorOf(r)).toEqual({ code: -32603, message: "Internal error" });
    expect(JSON.stringify(r)).not.toContain("secret");
  });

  test("the request's in-flight entry is removed when it completes", async () => {
    await initialized();
    await send("tools/call", { name: "add", arguments: { a: 1, b: 1 } });
    expect(session.inflight.size).toBe(0);
  });
});

describe("cancellation", () => {
  test("notifications/cancelled aborts the handler's signal and no response is produced", async () => {
    let reason: unknown;
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    server.tool("wait", {}, (_a, ctx) => {
      started();
      return new Promise<string>((_resolve, reject) => {
        ctx.signal.addEventListener("abort", () => {
          reason = ctx.signal.reason;
          reject(new Error("aborted"));
        });
      });
    });
    await initialized();
    const req = request("tools/call", { name: "wait" });
    const pending = handleLegacyRequest(server, session, req, channel, undefined);
    await running;
    expect(session.inflight.has(req.id)).toBe(true);
    handleLegacyNotification(server, session, {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: req.id, reason: "user hit stop" },
    });
    expect(await pending).toBeUndefined();
    expect((reason as Error).message).toBe("user hit stop");
    expect(session.inflight.size).toBe(0);
    expect(channel.sent).toEqual([]);
  });

  test("a handler that ignores cancellation and returns still produces no response", async () => {
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    server.tool("stubborn", {}, async () => {
      started();
      await new Promise<void>((r) => {
        release = r;
      });
      return "finished anyway";
    });
    await initialized();
    const req = request("tools/call", { name: "stubborn" });
    const pending = handleLegacyRequest(server, session, req, channel, undefined);
    await running;
    handleLegacyNotification(server, session, {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: req.id },
    });
    release();
    expect(await pending).toBeUndefined();
  });

  test("a second live request with the same id is refused with -32600; the first is unaffected", async () => {
    let release!: () => void;
    server.tool(
      "hold",
      {},
      () =>
        new Promise<string>((r) => {
          release = () => r("held");
        }),
    );
    await initialized();
    const first = handleLegacyRequest(
      server,
      session,
      { jsonrpc: "2.0", id: "dup", method: "tools/call", params: { name: "hold" } },
      channel,
      undefined,
    );
    const second = await handleLegacyRequest(
      server,
      session,
      { jsonrpc: "2.0", id: "dup", method: "ping" },
      channel,
      undefined,
    );
    expect(errorOf(second).code).toBe(-32600);
    expect(errorOf(second).message).toMatch(/already in use/);
    expect(session.inflight.has("dup")).toBe(true);
    release();
    expect(resultOf(await first)).toEqual({ content: [{ type: "text", text: "held" }] });
  });

  test("cancelling an unknown id does nothing", async () => {
    await initialized();
    handleLegacyNotification(server, session, {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 999 },
    });
    expect(resultOf(await send("ping"))).toEqual({});
  });
});

describe("server→client requests", () => {
  beforeEach(() => {
    server.tool("roots", {}, async (_a, ctx) => {
      const { roots } = await ctx.listRoots();
      return roots.map((r) => r.uri).join(",");
    });
  });

  test("a request to the client resolves when its response is routed back", async () => {
    await initialized({ roots: {} });
    const pending = send("tools/call", { name: "roots" });
    const outgoing = await channel.next();
    expect(outgoing).toEqual({ jsonrpc: "2.0", id: "srv-1", method: "roots/list", params: {} });
    handleLegacyResponse(server, session, {
      jsonrpc: "2.0",
      id: "srv-1",
      result: { roots: [{ uri: "file:///a" }, { uri: "file:///b" }] },
    });
    expect(resultOf(await pending)).toEqual({ content: [{ type: "text", text: "file:///a,file:///b" }] });
  });

  test("an error response rejects the request; the tool reports it", async () => {
    await initialized({ roots: {} });
    const pending = send("tools/call", { name: "roots" });
    const outgoing = await channel.next();
    handleLegacyResponse(server, session, {
      jsonrpc: "2.0",
      id: (outgoing as JsonRpcRequest).id,
      error: { code: -32603, message: "no roots today" },
    });
    expect(resultOf(await pending)).toEqual({
      content: [{ type: "text", text: "The client answered with an error: no roots today" }],
      isError: true,
    });
  });

  test("a response to nothing pending is ignored", async () => {
    await initialized({ roots: {} });
    expect(session.handleResponse({ jsonrpc: "2.0", id: "srv-42", result: {} })).toBe(false);
    handleLegacyResponse(server, session, { jsonrpc: "2.0", id: "srv-42", result: {} });
    expect(resultOf(await send("ping"))).toEqual({});
  });

  test("without the capability the tool fails with a message naming it and nothing is sent", async () => {
    await initialized({});
    const result = resultOf(await send("tools/call", { name: "roots" }));
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0]?.text).toContain("'roots'");
    expect(channel.sent).toEqual([]);
  });

  test("cancelling the originating request cancels the request to the client and tells it", async () => {
    await initialized({ roots: {} });
    const req = request("tools/call", { name: "roots" });
    const pending = handleLegacyRequest(server, session, req, channel, undefined);
    await channel.next();
    handleLegacyNotification(server, session, {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: req.id },
    });
    expect(await pending).toBeUndefined();
    expect(channel.sent[1]).toEqual({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: "srv-1", reason: "The originating request was cancelled" },
    });
  });

  test("closing the session aborts in-flight work and fails pending client requests", async () => {
    await initialized({ roots: {} });
    const pending = send("tools/call", { name: "roots" });
    await channel.next();
    session.close();
    expect(await pending).toBeUndefined();
    expect(session.inflight.size).toBe(0);
  });
});

describe("completion/complete through dispatch", () => {
  test("more than 100 values → the first 100, total and hasMore", async () => {
    const many = Array.from({ length: 150 }, (_, i) => `v${i}`);
    server.prompt(
      "pick",
      { args: { choice: z.string() }, complete: { choice: (value) => many.filter((v) => v.startsWith(value)) } },
      ({ choice }) => choice,
    );
    await initialized();
    const r = resultOf(
      await send("completion/complete", {
        ref: { type: "ref/prompt", name: "pick" },
        argument: { name: "choice", value: "v" },
      }),
    );
    const completion = r.completion as { values: string[]; total: number; hasMore: boolean };
    expect(completion.values).toHaveLength(100);
    expect(completion.values[0]).toBe("v0");
    expect(completion.values[99]).toBe("v99");
    expect(completion.total).toBe(150);
    expect(completion.hasMore).toBe(true);
    const narrow = resultOf(
      await send("completion/complete", {
        ref: { type: "ref/prompt", name: "pick" },
        argument: { name: "choice", value: "v14" },
      }),
    );
    expect(narrow.completion).toEqual({
      values: ["v14", "v140", "v141", "v142", "v143", "v144", "v145", "v146", "v147", "v148", "v149"],
      total: 11,
      hasMore: false,
    });
  });
});
