/**
 * The modern era's dispatch (2026-07-28) with a real ChukMCPServer and a
 * recording channel: version and method checks, the wire form of results,
 * log and progress notifications, input-required rounds (MRTR) and their
 * signed requestState, capability errors, and cancellation.
 */

import { beforeEach, describe, expect, test } from "vitest";
import { z } from "zod";
import type { AuthInfo } from "../src/auth.js";
import { LazyAbort } from "../src/protocol/cancellation.js";
import { handleModernRequest } from "../src/protocol/modern/dispatch.js";
import { SUPPORTED_PROTOCOL_VERSIONS } from "../src/protocol/versions.js";
import { ChukMCPServer } from "../src/server.js";
import { errorOf, modernSender, resultOf } from "./helpers/modern-request.js";
import { type RecordingChannel, recordingChannel } from "./helpers/recording-channel.js";

const VERSION = "2026-07-28";
const SERVER_INFO = "io.modelcontextprotocol/serverInfo";

let server: ChukMCPServer;
let channel: RecordingChannel;
const { send, request, reset } = modernSender(() => ({ server, channel }));

const serverInfo = { name: "modern-dispatch-test", version: "2.3.4" };
const askName = { message: "What is your name?", requestedSchema: { type: "object" as const, properties: {} } };
const ELICIT = { elicitation: {} };
const accept = (content: Record<string, unknown>) => ({ action: "accept", content });
const auth = (subject: string): AuthInfo => ({ token: `t-${subject}`, clientId: "client-1", scopes: [], subject });

beforeEach(() => {
  server = new ChukMCPServer("modern-dispatch-test", {
    version: "2.3.4",
    logLevel: "silent",
    instructions: "Use the tools.",
  });
  channel = recordingChannel();
  reset();
  server.tool("echo", { input: { text: z.string() } }, ({ text }) => text);
  server.resource("test://static", { name: "static", mimeType: "text/plain" }, () => "static text");
  server.resource(
    "test://cached",
    { name: "cached", mimeType: "text/plain", cache: { ttlMs: 5000, cacheScope: "public" } },
    () => "cached text",
  );
  server.prompt("hello", { description: "Says hello." }, () => "Hello!");
});

describe("protocol version and method", () => {
  test("an unsupported version is -32022 with the supported versions and the requested one, HTTP 400", async () => {
    const outcome = await send("tools/list", {}, { version: "2099-01-01" });
    expect(outcome?.status).toBe(400);
    expect(outcome?.response).toEqual({
      jsonrpc: "2.0",
      id: 1,
      error: {
        code: -32022,
        message: "Unsupported protocol version",
        data: { supported: [...SUPPORTED_PROTOCOL_VERSIONS], requested: "2099-01-01" },
      },
    });
    expect(SUPPORTED_PROTOCOL_VERSIONS).toContain(VERSION);
  });

  test("an envelope without clientCapabilities is -32602, HTTP 400, before the version is looked at", async () => {
    const outcome = await handleModernRequest(server, {
      request: {
        jsonrpc: "2.0",
        id: "no-caps",
        method: "tools/list",
        params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2099-01-01" } },
      },
      channel,
      cancel: new LazyAbort(),
      auth: undefined,
    });
    expect(outcome?.status).toBe(400);
    expect(outcome?.response).toMatchObject({ id: "no-caps", error: { code: -32602 } });
  });

  test("a bad logLevel is -32602, HTTP 400", async () => {
    const outcome = await send("tools/list", {}, { meta: { "io.modelcontextprotocol/logLevel": "chatty" } });
    expect(outcome?.status).toBe(400);
    expect(errorOf(outcome).code).toBe(-32602);
  });

  test.each([
    "no/such",
    "tools/destroy",
    // Removed in this era: the handshake, ping, setLevel and the subscribe RPCs.
    "initialize",
    "ping",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
    "notifications/initialized",
  ])("%s is -32601 Method not found, HTTP 404", async (method) => {
    const outcome = await send(method);
    expect(outcome?.status).toBe(404);
    expect(outcome?.response).toEqual({
      jsonrpc: "2.0",
      id: 1,
      error: { code: -32601, message: `Method not found: ${method}` },
    });
  });
});

describe("results", () => {
  test("tools/list: resultType complete, serverInfo, and the list cache hint", async () => {
    const result = resultOf(await send("tools/list"));
    expect(result.resultType).toBe("complete");
    expect(result.ttlMs).toBe(60_000);
    expect(result.cacheScope).toBe("private");
    expect(result._meta).toEqual({ [SERVER_INFO]: serverInfo });
    expect((result.tools as { name: string }[]).map((t) => t.name)).toEqual(["echo"]);
  });

  test.each([
    ["prompts/list", "prompts"],
    ["resources/list", "resources"],
    ["resources/templates/list", "resourceTemplates"],
  ])("%s carries the list cache hint", async (method, key) => {
    const result = resultOf(await send(method));
    expect(result).toMatchObject({ resultType: "complete", ttlMs: 60_000, cacheScope: "private" });
    expect(Array.isArray(result[key])).toBe(true);
  });

  test("server/discover: versions, capabilities, instructions, serverInfo and the discover cache hint", async () => {
    const result = resultOf(await send("server/discover"));
    expect(result).toEqual({
      resultType: "complete",
      supportedVersions: [...SUPPORTED_PROTOCOL_VERSIONS],
      capabilities: server.capabilities,
      instructions: "Use the tools.",
      ttlMs: 300_000,
      cacheScope: "private",
      _meta: { [SERVER_INFO]: serverInfo },
    });
    // No tool runs as a task: the tasks extension is not declared.
    expect((result.capabilities as Record<string, unknown>).extensions).toBeUndefined();
  });

  test("resources/read: the server's hint, or the resource's own", async () => {
    const plain = resultOf(await send("resources/read", { uri: "test://static" }));
    expect(plain).toMatchObject({ resultType: "complete", ttlMs: 0, cacheScope: "private" });
    expect(plain.contents).toEqual([{ uri: "test://static", mimeType: "text/plain", text: "static text" }]);
    const cached = resultOf(await send("resources/read", { uri: "test://cached" }));
    expect(cached).toMatchObject({ resultType: "complete", ttlMs: 5000, cacheScope: "public" });
  });

  test("configured cache hints are used", async () => {
    server = new ChukMCPServer("hints", {
      logLevel: "silent",
      cache: { lists: { ttlMs: 1000, cacheScope: "public" }, discover: { ttlMs: 0, cacheScope: "private" } },
    });
    expect(resultOf(await send("tools/list"))).toMatchObject({ ttlMs: 1000, cacheScope: "public" });
    expect(resultOf(await send("server/discover"))).toMatchObject({ ttlMs: 0, cacheScope: "private" });
  });

  test("tools/call, prompts/get and completion/complete carry no cache hint", async () => {
    const call = resultOf(await send("tools/call", { name: "echo", arguments: { text: "hi" } }));
    expect(call).toEqual({
      resultType: "complete",
      content: [{ type: "text", text: "hi" }],
      _meta: { [SERVER_INFO]: serverInfo },
    });
    const prompt = resultOf(await send("prompts/get", { name: "hello" }));
    expect(prompt.resultType).toBe("complete");
    expect("ttlMs" in prompt).toBe(false);
    expect("cacheScope" in prompt).toBe(false);
    const completion = resultOf(
      await send("completion/complete", {
        ref: { type: "ref/resource", uri: "test://static" },
        argument: { name: "x", value: "" },
      }),
    );
    expect(completion).toEqual({
      resultType: "complete",
      completion: { values: [] },
      _meta: { [SERVER_INFO]: serverInfo },
    });
  });

  test("a tool's own _meta is kept beside serverInfo, and the handler's object is not changed", async () => {
    const own = { content: [{ type: "text" as const, text: "x" }], _meta: { "example.com/trace": "abc" } };
    server.tool("meta_tool", {}, () => own);
    const result = resultOf(await send("tools/call", { name: "meta_tool" }));
    expect(result._meta).toEqual({ "example.com/trace": "abc", [SERVER_INFO]: serverInfo });
    expect(own._meta).toEqual({ "example.com/trace": "abc" });
    expect("resultType" in own).toBe(false);
  });

  test("serverInfo carries the title when the server has one (but not icons)", async () => {
    server = new ChukMCPServer("titled", {
      version: "1.0.0",
      title: "Titled Server",
      icons: [{ src: "https://example.com/i.png" }],
      logLevel: "silent",
    });
    expect(resultOf(await send("tools/list"))._meta).toEqual({
      [SERVER_INFO]: { name: "titled", version: "1.0.0", title: "Titled Server" },
    });
  });

  test("a resource that does not exist is -32602 with data.uri (not the legacy -32002)", async () => {
    const error = errorOf(await send("resources/read", { uri: "test://missing" }));
    expect(error).toEqual({
      code: -32602,
      message: "Resource not found: test://missing",
      data: { uri: "test://missing" },
    });
  });

  test("a tool that throws gives an isError result, not a protocol error", async () => {
    server.tool("boom", {}, () => {
      throw new Error("it broke");
    });
    const result = resultOf(await send("tools/call", { name: "boom" }));
    expect(result).toMatchObject({
      resultType: "complete",
      isError: true,
      content: [{ type: "text", text: "it broke" }],
    });
  });

  test("the request id comes back as sent (string ids too)", async () => {
    const outcome = await handleModernRequest(server, {
      request: { ...request("tools/list", {}, {}), id: "abc-1" },
      channel,
      cancel: new LazyAbort(),
      auth: undefined,
    });
    expect(outcome?.response.id).toBe("abc-1");
  });
});

describe("notifications on the request's channel", () => {
  beforeEach(() => {
    server.tool("chatty", {}, async (_a, ctx) => {
      await ctx.log("debug", "debug message");
      await ctx.log("info", "info message", "my-logger");
      await ctx.log("error", { problem: "error message" });
      return "done";
    });
  });

  test("no log messages unless _meta names a logLevel", async () => {
    expect(resultOf(await send("tools/call", { name: "chatty" })).isError).toBeUndefined();
    expect(channel.sent).toEqual([]);
  });

  test("messages at or above the requested level, in order", async () => {
    await send("tools/call", { name: "chatty" }, { meta: { "io.modelcontextprotocol/logLevel": "info" } });
    expect(channel.sent).toEqual([
      {
        jsonrpc: "2.0",
        method: "notifications/message",
        params: { level: "info", data: "info message", logger: "my-logger" },
      },
      {
        jsonrpc: "2.0",
        method: "notifications/message",
        params: { level: "error", data: { problem: "error message" } },
      },
    ]);
  });

  test("logLevel debug gets everything, error only the error", async () => {
    await send("tools/call", { name: "chatty" }, { meta: { "io.modelcontextprotocol/logLevel": "debug" } });
    expect(channel.sent.map((m) => ("params" in m ? m.params?.level : undefined))).toEqual(["debug", "info", "error"]);
    channel = recordingChannel();
    await send("tools/call", { name: "chatty" }, { meta: { "io.modelcontextprotocol/logLevel": "error" } });
    expect(channel.sent.map((m) => ("params" in m ? m.params?.level : undefined))).toEqual(["error"]);
  });

  test("progress goes out only with a progressToken", async () => {
    server.tool("progressing", {}, async (_a, ctx) => {
      await ctx.progress(1, 2, "half");
      await ctx.progress(2, 2);
      return "ok";
    });
    await send("tools/call", { name: "progressing" });
    expect(channel.sent).toEqual([]);
    await send("tools/call", { name: "progressing" }, { meta: { progressToken: "tok" } });
    expect(channel.sent).toEqual([
      {
        jsonrpc: "2.0",
        method: "notifications/progress",
        params: { progressToken: "tok", progress: 1, total: 2, message: "half" },
      },
      { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "tok", progress: 2, total: 2 } },
    ]);
  });
});

describe("input-required rounds (MRTR)", () => {
  let runs: number;
  let signals: AbortSignal[];

  beforeEach(() => {
    runs = 0;
    signals = [];
    server.tool("greet", { input: { greeting: z.string() } }, async ({ greeting }, ctx) => {
      runs++;
      signals.push(ctx.signal);
      const answer = await ctx.elicit(askName, { key: "user_name" });
      return `${greeting}, ${String(answer.content?.name ?? answer.action)}!`;
    });
    server.tool("two_steps", {}, async (_a, ctx) => {
      runs++;
      const name = await ctx.elicit({ ...askName, message: "Step 1" }, { key: "step1" });
      const color = await ctx.elicit({ ...askName, message: "Step 2" }, { key: "step2" });
      return `${String(name.content?.name)} likes ${String(color.content?.color)}`;
    });
    server.tool("three_at_once", {}, async (_a, ctx) => {
      const [name, reply, roots] = await Promise.all([
        ctx.elicit(askName, { key: "user_name" }),
        ctx.sample({ messages: [{ role: "user", content: { type: "text", text: "Hi" } }], maxTokens: 5 }),
        ctx.listRoots(),
      ]);
      return `${String(name.content?.name)} / ${JSON.stringify(reply.content)} / ${roots.roots.length}`;
    });
  });

  test("an elicit ends the round: input_required with inputRequests and a requestState; the handler is aborted", async () => {
    const result = resultOf(
      await send("tools/call", { name: "greet", arguments: { greeting: "Hi" } }, { caps: ELICIT }),
    );
    expect(result).toEqual({
      resultType: "input_required",
      inputRequests: { user_name: { method: "elicitation/create", params: askName } },
      requestState: expect.any(String),
      _meta: { [SERVER_INFO]: serverInfo },
    });
    expect(runs).toBe(1);
    expect(signals[0]?.aborted).toBe(true);
    // Nothing was sent to the client as a request of its own.
    expect(channel.sent).toEqual([]);
  });

  test("the retry with inputResponses and the requestState completes", async () => {
    const params = { name: "greet", arguments: { greeting: "Hi" } };
    const first = resultOf(await send("tools/call", params, { caps: ELICIT }));
    const retry = resultOf(
      await send(
        "tools/call",
        { ...params, inputResponses: { user_name: accept({ name: "Ada" }) }, requestState: first.requestState },
        { caps: ELICIT },
      ),
    );
    expect(retry).toEqual({
      resultType: "complete",
      content: [{ type: "text", text: "Hi, Ada!" }],
      _meta: { [SERVER_INFO]: serverInfo },
    });
    expect(runs).toBe(2);
  });

  test("a retry with inputResponses alone (single round) completes too", async () => {
    const result = resultOf(
      await send(
        "tools/call",
        { name: "greet", arguments: { greeting: "Yo" }, inputResponses: { user_name: { action: "decline" } } },
        { caps: ELICIT },
      ),
    );
    expect(result.content).toEqual([{ type: "text", text: "Yo, decline!" }]);
  });

  test("a retry without the answer asks again", async () => {
    const params = { name: "greet", arguments: { greeting: "Hi" } };
    const first = resultOf(await send("tools/call", params, { caps: ELICIT }));
    const again = resultOf(
      await send(
        "tools/call",
        { ...params, inputResponses: { other_key: accept({}) }, requestState: first.requestState },
        { caps: ELICIT },
      ),
    );
    expect(again.resultType).toBe("input_required");
    expect(Object.keys(again.inputRequests as object)).toEqual(["user_name"]);
  });

  test("multi-round: the second state carries the first answer forward", async () => {
    const params = { name: "two_steps", arguments: {} };
    const r1 = resultOf(await send("tools/call", params, { caps: ELICIT }));
    expect(Object.keys(r1.inputRequests as object)).toEqual(["step1"]);
    const r2 = resultOf(
      await send(
        "tools/call",
        { ...params, inputResponses: { step1: accept({ name: "Ada" }) }, requestState: r1.requestState },
        { caps: ELICIT },
      ),
    );
    expect(r2.resultType).toBe("input_required");
    expect(r2.inputRequests).toEqual({
      step2: { method: "elicitation/create", params: { ...askName, message: "Step 2" } },
    });
    expect(r2.requestState).not.toBe(r1.requestState);
    // Round 3 gives only step2: step1 comes from the state.
    const r3 = resultOf(
      await send(
        "tools/call",
        { ...params, inputResponses: { step2: accept({ color: "green" }) }, requestState: r2.requestState },
        { caps: ELICIT },
      ),
    );
    expect(r3.resultType).toBe("complete");
    expect(r3.content).toEqual([{ type: "text", text: "Ada likes green" }]);
    expect(runs).toBe(3);
  });

  test("without the second state the first answer is lost: the handler asks for step1 again", async () => {
    const params = { name: "two_steps", arguments: {} };
    const r = resultOf(
      await send("tools/call", { ...params, inputResponses: { step2: accept({ color: "green" }) } }, { caps: ELICIT }),
    );
    expect(r.resultType).toBe("input_required");
    expect(Object.keys(r.inputRequests as object)).toEqual(["step1"]);
  });

  test("asks made together end one round with all of them (default keys for sampling and roots)", async () => {
    const result = resultOf(
      await send("tools/call", { name: "three_at_once" }, { caps: { elicitation: {}, sampling: {}, roots: {} } }),
    );
    expect(result.resultType).toBe("input_required");
    expect(result.inputRequests).toEqual({
      user_name: { method: "elicitation/create", params: askName },
      "sampling-1": {
        method: "sampling/createMessage",
        params: { messages: [{ role: "user", content: { type: "text", text: "Hi" } }], maxTokens: 5 },
      },
      "roots-1": { method: "roots/list" },
    });
    const done = resultOf(
      await send(
        "tools/call",
        {
          name: "three_at_once",
          inputResponses: {
            user_name: accept({ name: "Ada" }),
            "sampling-1": { role: "assistant", content: { type: "text", text: "Hello" }, model: "m" },
            "roots-1": { roots: [{ uri: "file:///a" }, { uri: "file:///b" }] },
          },
          requestState: result.requestState,
        },
        { caps: { elicitation: {}, sampling: {}, roots: {} } },
      ),
    );
    expect(done.content).toEqual([{ type: "text", text: 'Ada / {"type":"text","text":"Hello"} / 2' }]);
  });

  test("prompts/get and resources/read take part in rounds too", async () => {
    server.prompt("ask_prompt", {}, async (_a, ctx) => {
      const a = await ctx.elicit(askName, { key: "ctx" });
      return `Context: ${String(a.content?.name)}`;
    });
    server.resource("test://asks", { name: "asks" }, async (_u, ctx) => {
      const a = await ctx.elicit(askName, { key: "who" });
      return `for ${String(a.content?.name)}`;
    });
    const p1 = resultOf(await send("prompts/get", { name: "ask_prompt" }, { caps: ELICIT }));
    expect(p1.resultType).toBe("input_required");
    expect(Object.keys(p1.inputRequests as object)).toEqual(["ctx"]);
    const p2 = resultOf(
      await send(
        "prompts/get",
        { name: "ask_prompt", inputResponses: { ctx: accept({ name: "X" }) }, requestState: p1.requestState },
        { caps: ELICIT },
      ),
    );
    expect(p2.messages).toEqual([{ role: "user", content: { type: "text", text: "Context: X" } }]);

    const r1 = resultOf(await send("resources/read", { uri: "test://asks" }, { caps: ELICIT }));
    expect(r1.resultType).toBe("input_required");
    expect("ttlMs" in r1).toBe(false);
    const r2 = resultOf(
      await send(
        "resources/read",
        { uri: "test://asks", inputResponses: { who: accept({ name: "Y" }) }, requestState: r1.requestState },
        { caps: ELICIT },
      ),
    );
    expect(r2).toMatchObject({ resultType: "complete", ttlMs: 0, cacheScope: "private" });
    expect(r2.contents).toEqual([{ uri: "test://asks", text: "for Y" }]);
  });

  test("a URL-mode elicitation goes out without elicitationId (removed in 2026-07-28)", async () => {
    server.tool("connect", {}, async (_a, ctx) => {
      const a = await ctx.elicit(
        { mode: "url", message: "Open the page", url: "https://example.com/connect", elicitationId: "e-1" },
        { key: "connect" },
      );
      return a.action;
    });
    const result = resultOf(await send("tools/call", { name: "connect" }, { caps: { elicitation: { url: {} } } }));
    expect(result.inputRequests).toEqual({
      connect: {
        method: "elicitation/create",
        params: { mode: "url", message: "Open the page", url: "https://example.com/connect" },
      },
    });
  });

  test("a tampered requestState is -32602", async () => {
    const params = { name: "greet", arguments: { greeting: "Hi" } };
    const first = resultOf(await send("tools/call", params, { caps: ELICIT }));
    const state = first.requestState as string;
    const tampered = `${state[0] === "A" ? "B" : "A"}${state.slice(1)}`;
    const error = errorOf(
      await send(
        "tools/call",
        { ...params, inputResponses: { user_name: accept({ name: "Ada" }) }, requestState: tampered },
        { caps: ELICIT },
      ),
    );
    expect(error.code).toBe(-32602);
    expect(error.message).toContain("requestState failed verification");
    expect(runs).toBe(1);
  });

  test("a requestState replayed on another request (other arguments or another tool) is -32602", async () => {
    const first = resultOf(
      await send("tools/call", { name: "greet", arguments: { greeting: "Hi" } }, { caps: ELICIT }),
    );
    const answers = { user_name: accept({ name: "Ada" }) };
    const otherArgs = errorOf(
      await send(
        "tools/call",
        { name: "greet", arguments: { greeting: "Bye" }, inputResponses: answers, requestState: first.requestState },
        { caps: ELICIT },
      ),
    );
    expect(otherArgs).toEqual({
      code: -32602,
      message: "Invalid params: requestState belongs to a different request",
    });
    const otherMethod = errorOf(
      await send("prompts/get", { name: "hello", requestState: first.requestState }, { caps: ELICIT }),
    );
    expect(otherMethod.code).toBe(-32602);
  });

  test("a second-round state presented by another principal is -32602; its owner may use it", async () => {
    const params = { name: "two_steps", arguments: {} };
    const r1 = resultOf(await send("tools/call", params, { caps: ELICIT, auth: auth("alice") }));
    const r2 = resultOf(
      await send(
        "tools/call",
        { ...params, inputResponses: { step1: accept({ name: "Alice" }) }, requestState: r1.requestState },
        { caps: ELICIT, auth: auth("alice") },
      ),
    );
    expect(r2.resultType).toBe("input_required");
    const stolen = { ...params, inputResponses: { step2: accept({ color: "red" }) }, requestState: r2.requestState };
    const error = errorOf(await send("tools/call", stolen, { caps: ELICIT, auth: auth("bob") }));
    expect(error).toEqual({ code: -32602, message: "Invalid params: requestState belongs to a different caller" });
    expect(errorOf(await send("tools/call", stolen, { caps: ELICIT })).code).toBe(-32602);
    const own = resultOf(await send("tools/call", stolen, { caps: ELICIT, auth: auth("alice") }));
    expect(own.content).toEqual([{ type: "text", text: "Alice likes red" }]);
  });

  test.each([
    ["null", null],
    ["an array", [{ action: "accept" }]],
    ["a map with a non-object entry", { user_name: "Ada" }],
  ])("inputResponses that is %s is -32602", async (_what, inputResponses) => {
    const error = errorOf(
      await send("tools/call", { name: "greet", arguments: { greeting: "Hi" }, inputResponses }, { caps: ELICIT }),
    );
    expect(error.code).toBe(-32602);
    expect(runs).toBe(0);
  });

  test("an answer of the wrong shape for its request is a -32602 protocol error, not a tool result", async () => {
    const outcome = await send(
      "tools/call",
      { name: "greet", arguments: { greeting: "Hi" }, inputResponses: { user_name: { action: "maybe" } } },
      { caps: ELICIT },
    );
    expect(outcome?.response).toEqual({
      jsonrpc: "2.0",
      id: 1,
      error: {
        code: -32602,
        message: 'Invalid params: inputResponses["user_name"] is not a valid answer to elicitation/create',
      },
    });
  });

  test("a handler asking for one key twice in a round fails the request with -32603 (not an isError result)", async () => {
    server.tool("asks_twice", {}, async (_a, ctx) => {
      await Promise.all([ctx.elicit(askName, { key: "same" }), ctx.elicit(askName, { key: "same" })]);
      return "unreachable";
    });
    const outcome = await send("tools/call", { name: "asks_twice" }, { caps: ELICIT });
    expect(outcome?.response).toEqual({
      jsonrpc: "2.0",
      id: 1,
      error: { code: -32603, message: 'input key "same" was requested twice in one round' },
    });
  });

  test("elicit without the elicitation capability is -32021 naming it, HTTP 400", async () => {
    const outcome = await send("tools/call", { name: "greet", arguments: { greeting: "Hi" } });
    expect(outcome?.status).toBe(400);
    const error = errorOf(outcome);
    expect(error.code).toBe(-32021);
    expect(error.data).toEqual({ requiredCapabilities: { elicitation: {} } });
  });

  test("ctx.sample without the sampling capability is -32021 with data.requiredCapabilities, not an isError result", async () => {
    server.tool("needs_sampling", {}, async (_a, ctx) => {
      const r = await ctx.sample({ messages: [{ role: "user", content: { type: "text", text: "?" } }], maxTokens: 5 });
      return JSON.stringify(r.content);
    });
    const outcome = await send("tools/call", { name: "needs_sampling" }, { caps: ELICIT });
    expect(outcome?.status).toBe(400);
    expect("result" in (outcome?.response ?? {})).toBe(false);
    const error = errorOf(outcome);
    expect(error.code).toBe(-32021);
    expect(error.message).toContain("Missing required client capability: sampling");
    expect(error.data).toEqual({ requiredCapabilities: { sampling: {} } });
  });

  test("listRoots without the roots capability is -32021", async () => {
    server.tool("needs_roots", {}, async (_a, ctx) => (await ctx.listRoots()).roots.length);
    const outcome = await send("tools/call", { name: "needs_roots" });
    expect(outcome?.status).toBe(400);
    expect(errorOf(outcome).data).toEqual({ requiredCapabilities: { roots: {} } });
  });
});

describe("cancellation by the transport", () => {
  test("the signal aborting ends the request with no response, and the handler's ctx.signal fires", async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    let handlerSignal: AbortSignal | undefined;
    const aborted = new Promise<unknown>((resolve) => {
      server.tool("waits", {}, (_a, ctx) => {
        handlerSignal = ctx.signal;
        ctx.signal.addEventListener("abort", () => resolve(ctx.signal.reason));
        started();
        return new Promise<string>((_resolve, reject) => {
          ctx.signal.addEventListener("abort", () => reject(new Error("stopped")));
        });
      });
    });
    const transport = new LazyAbort();
    const pending = send("tools/call", { name: "waits" }, { cancel: transport, meta: { progressToken: 1 } });
    await running;
    expect(handlerSignal?.aborted).toBe(false);
    const reason = new Error("The client closed the response stream");
    transport.abort(reason);
    expect(await aborted).toBe(reason);
    expect(await pending).toBeUndefined();
    expect(channel.sent).toEqual([]);
  });

  test("a handler that ignores the abort and finishes still gets no response", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    server.tool("stubborn", {}, async (_a, ctx) => {
      entered();
      await gate;
      await ctx.progress(1);
      return "finished anyway";
    });
    const transport = new LazyAbort();
    const pending = send("tools/call", { name: "stubborn" }, { cancel: transport, meta: { progressToken: 1 } });
    await inside;
    transport.abort();
    release();
    expect(await pending).toBeUndefined();
    // Progress after the abort is not sent either.
    expect(channel.sent).toEqual([]);
  });

  test("an already aborted signal gets no response", async () => {
    const transport = new LazyAbort();
    transport.abort();
    expect(await send("tools/list", {}, { cancel: transport })).toBeUndefined();
  });
});
