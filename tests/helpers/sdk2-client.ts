/**
 * The official MCP TypeScript SDK 2.x client (`@modelcontextprotocol/client`),
 * wired for interop tests of the 2026-07-28 (stateless, "modern") era:
 * clients pinned to 2026-07-28 or negotiating in `auto` mode, with optional
 * elicitation / sampling / roots answers (fulfilled through input-required
 * rounds), a record of every message after connect, and the interop tests
 * shared by the HTTP and STDIO files (`defineSharedModernTests`).
 */

import {
  Client,
  type ClientCapabilities,
  type ClientOptions,
  type ConnectOptions,
  type CreateMessageRequestParams,
  type CreateMessageResult,
  type ElicitRequestParams,
  type ElicitResult,
  type JSONRPCMessage,
  LOG_LEVEL_META_KEY,
  ProtocolError,
  type Root,
  SdkError,
  SERVER_INFO_META_KEY,
  type Transport,
} from "@modelcontextprotocol/client";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  EVERYTHING_CAPABILITIES,
  EVERYTHING_INFO,
  EVERYTHING_INSTRUCTIONS,
  expectAddTool,
  PROMPT_WITH_ARGUMENTS,
} from "./everything-fixtures.js";
import { loadEverything } from "./sdk-client.js";

export const MODERN_VERSION = "2026-07-28";

/** How the client negotiates: pinned to 2026-07-28, or `auto` (probe with server/discover). */
export type Mode = "pinned" | "auto";
export const MODES: readonly Mode[] = ["pinned", "auto"];

export const negotiationFor = (mode: Mode) => ({ mode: mode === "pinned" ? { pin: MODERN_VERSION } : "auto" }) as const;

export const SERVER_INFO = EVERYTHING_INFO;

// ---- connections --------------------------------------------------------------------------

/** What the client declares and how it answers input requests. */
export interface ModernSetup {
  /** The `clientInfo.name` the client sends (default "interop-modern-client"). */
  clientName?: string;
  capabilities?: ClientCapabilities;
  onElicit?: (params: ElicitRequestParams) => ElicitResult | Promise<ElicitResult>;
  onSample?: (params: CreateMessageRequestParams) => CreateMessageResult | Promise<CreateMessageResult>;
  roots?: Root[];
  /** The SDK's list-changed handlers (on a modern connection they open a subscriptions/listen stream). */
  listChanged?: ClientOptions["listChanged"];
  /** Passed to `client.connect()` (e.g. a `prior` discover result). */
  connectOptions?: ConnectOptions;
}

export interface ModernConnection<T extends Transport = Transport> {
  client: Client;
  /** The SDK transport the client talks through (instrumented in place). */
  transport: T;
  /** Every message received after connect, in order. */
  received: JSONRPCMessage[];
  /** Every message sent after connect, in order. */
  sent: JSONRPCMessage[];
  /** Errors the client reported through `onerror`. */
  errors: Error[];
  close(): Promise<void>;
}

/**
 * Connects an SDK 2.x client over `transport` (unstarted) in `mode`. The
 * transport is not wrapped (the SDK treats its own stdio transport and the
 * per-request HTTP streams specially); its `send` and `onmessage` are
 * instrumented once connected.
 */
export async function connectModern<T extends Transport>(
  transport: T,
  mode: Mode,
  setup: ModernSetup = {},
): Promise<ModernConnection<T>> {
  const client = new Client(
    { name: setup.clientName ?? "interop-modern-client", version: "2.0.0" },
    {
      capabilities: setup.capabilities ?? {},
      versionNegotiation: negotiationFor(mode),
      ...(setup.listChanged ? { listChanged: setup.listChanged } : {}),
    },
  );
  const errors: Error[] = [];
  client.onerror = (error) => errors.push(error);
  const { onElicit, onSample, roots } = setup;
  if (onElicit) client.setRequestHandler("elicitation/create", (request) => onElicit(request.params));
  if (onSample) client.setRequestHandler("sampling/createMessage", (request) => onSample(request.params));
  if (roots) client.setRequestHandler("roots/list", () => ({ roots }));
  await client.connect(transport, setup.connectOptions);

  const received: JSONRPCMessage[] = [];
  const sent: JSONRPCMessage[] = [];
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    received.push(message);
    deliver?.(message, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    sent.push(message);
    return send(message, options);
  };

  let closed = false;
  return {
    client,
    transport,
    received,
    sent,
    errors,
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

// ---- message helpers -----------------------------------------------------------------------

export const idOf = (message: JSONRPCMessage): unknown => ("id" in message ? message.id : undefined);

/** The notifications among `messages` with this method (and matching params). */
export function notificationsOf(
  messages: readonly JSONRPCMessage[],
  method: string,
  match: (params: Record<string, unknown>) => boolean = () => true,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const m of messages) {
    if (!("method" in m) || "id" in m || m.method !== method) continue;
    const params = (m.params ?? {}) as Record<string, unknown>;
    if (match(params)) out.push(params);
  }
  return out;
}

type CollectedMethod =
  | "notifications/tools/list_changed"
  | "notifications/prompts/list_changed"
  | "notifications/resources/updated"
  | "notifications/message";

/**
 * Registers the client's handler for `method` and collects what it is given
 * (the params). The SDK dispatches notifications to handlers asynchronously,
 * so wait on `until` rather than on the raw message.
 */
export function collectNotifications(
  client: Client,
  method: CollectedMethod,
): { seen: Record<string, unknown>[]; until(count: number): Promise<void> } {
  const seen: Record<string, unknown>[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  client.setNotificationHandler(method, (n: { params?: unknown }) => {
    seen.push((n.params ?? {}) as Record<string, unknown>);
    for (const w of waiting.splice(0)) {
      if (seen.length >= w.count) w.resolve();
      else waiting.push(w);
    }
  });
  return {
    seen,
    until(count) {
      if (seen.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const entry = {
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(entry), 1);
          reject(new Error(`timed out waiting for ${count} × ${method} (got ${seen.length})`));
        }, 5_000);
        waiting.push(entry);
      });
    },
  };
}

/** The last request with this method the client sent. */
export function lastRequest(c: ModernConnection, method: string): { id: unknown; params: Record<string, unknown> } {
  const request = c.sent.findLast((m) => "method" in m && m.method === method && "id" in m);
  expect(request, `a ${method} request was sent`).toBeDefined();
  return {
    id: idOf(request as JSONRPCMessage),
    params: ((request as { params?: unknown }).params ?? {}) as Record<string, unknown>,
  };
}

/** The text of a tool result's content block (which must be text). */
export const textOf = (result: object, index = 0): string => {
  const block = ((result as { content?: { type: string; text?: string }[] }).content ?? [])[index];
  expect(block?.type).toBe("text");
  return block?.text as string;
};

/** The JSON-RPC error a rejected SDK request carried. */
export async function protocolError(
  promise: Promise<unknown>,
): Promise<{ code: number; message: string; data: unknown; name: string }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ProtocolError) return { code: err.code, message: err.message, data: err.data, name: err.name };
    throw err;
  }
  throw new Error("expected the request to be rejected");
}

/** The SDK-side error (not from the wire) a rejected request carried. */
export async function sdkError(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SdkError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected the request to be rejected");
}

// ---- the shared interop tests -----------------------------------------------------------------

/** How the shared tests reach the everything server over one transport. */
export interface ModernTarget {
  /** A new SDK 2.x client, negotiating in `mode`, connected to the everything server. */
  connect(mode: Mode, setup?: ModernSetup): Promise<ModernConnection>;
}

/** The tests that must pass the same way over every transport, in both negotiation modes. */
export function defineSharedModernTests(target: () => ModernTarget): void {
  describe.each(MODES)("%s client", (mode) => {
    /** Declares elicitation (form + URL), sampling and roots, and answers them. */
    let full: ModernConnection;
    /** Declares nothing. */
    let bare: ModernConnection;
    let PNG_1X1: string;
    const elicited: ElicitRequestParams[] = [];
    const sampled: CreateMessageRequestParams[] = [];
    let elicitAnswer: ElicitResult = { action: "decline" };
    const ROOTS: Root[] = [
      { uri: "file:///work/project", name: "project" },
      { uri: "file:///tmp/scratch", name: "scratch" },
    ];

    beforeAll(async () => {
      ({ PNG_1X1 } = await loadEverything());
      const t = target();
      [full, bare] = await Promise.all([
        t.connect(mode, {
          capabilities: { elicitation: { form: {}, url: {} }, sampling: {}, roots: {} },
          onElicit: (params) => {
            elicited.push(params);
            return params.mode === "url" ? { action: "accept" } : elicitAnswer;
          },
          onSample: (params) => {
            sampled.push(params);
            return { model: "test-model", role: "assistant", content: { type: "text", text: "Paris" } };
          },
          roots: ROOTS,
        }),
        t.connect(mode),
      ]);
    });
    afterAll(async () => {
      await Promise.all([full, bare].map((c) => c?.close()));
    });
    beforeEach(() => {
      elicited.length = 0;
      sampled.length = 0;
    });

    describe("negotiation", () => {
      test("ends up modern at 2026-07-28, with the server's identity, capabilities and instructions", () => {
        for (const c of [full, bare]) {
          expect(c.client.getProtocolEra()).toBe("modern");
          expect(c.client.getNegotiatedProtocolVersion()).toBe(MODERN_VERSION);
        }
        const discover = full.client.getDiscoverResult();
        expect(discover?.supportedVersions).toEqual(["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"]);
        expect(full.client.getServerVersion()).toEqual(SERVER_INFO);
        expect(full.client.getServerCapabilities()).toMatchObject(EVERYTHING_CAPABILITIES);
        expect(full.client.getInstructions()).toBe(EVERYTHING_INSTRUCTIONS);
      });
    });

    describe("tools", () => {
      test("tools/list keeps schemas and annotations, with cache hints", async () => {
        const result = await full.client.listTools(undefined, { cacheMode: "refresh" });
        expect(result.ttlMs).toBe(60_000);
        expect(result.cacheScope).toBe("private");
        expect(result._meta?.[SERVER_INFO_META_KEY]).toEqual(SERVER_INFO);
        const byName = new Map(result.tools.map((t) => [t.name, t]));
        for (const name of ["echo", "add", "slow", "test_elicitation", "test_sampling", "list_roots"]) {
          expect(byName.has(name), name).toBe(true);
        }
        expect(byName.get("echo")).toMatchObject({
          description: "Returns the text it is given.",
          inputSchema: {
            type: "object",
            properties: { text: { type: "string", description: "Text to echo" } },
            required: ["text"],
          },
        });
        expectAddTool(byName.get("add"));
        // JSON Schema 2020-12 keywords survive the SDK's parsing untouched.
        expect(byName.get("json_schema_2020_12_tool")?.inputSchema).toMatchObject({
          $schema: "https://json-schema.org/draft/2020-12/schema",
          $defs: { address: { $anchor: "addressDef", type: "object" } },
          properties: { address: { $ref: "#/$defs/address" } },
          allOf: [{ anyOf: [{ required: ["phone"] }, { required: ["email"] }] }],
          if: { properties: { contactMethod: { const: "phone" } }, required: ["contactMethod"] },
          else: { required: ["email"] },
          additionalProperties: false,
        });
        // The list is sent the same way to both clients.
        const other = await bare.client.listTools(undefined, { cacheMode: "refresh" });
        expect(other.tools.map((t) => t.name)).toEqual(result.tools.map((t) => t.name));
      });

      test("tools/call echo, and add with structured output", async () => {
        const echo = await full.client.callTool({ name: "echo", arguments: { text: "hello 2026" } });
        expect(echo.isError).toBeFalsy();
        expect(echo.content).toEqual([{ type: "text", text: "hello 2026" }]);
        expect(echo._meta?.[SERVER_INFO_META_KEY]).toEqual(SERVER_INFO);
        const add = await full.client.callTool({ name: "add", arguments: { a: 19, b: 23 } });
        expect(add.structuredContent).toEqual({ sum: 42 });
        expect(JSON.parse(textOf(add))).toEqual({ sum: 42 });
      });

      test("a tool that throws, and invalid arguments, give isError results", async () => {
        const thrown = await full.client.callTool({ name: "test_error_handling", arguments: {} });
        expect(thrown.isError).toBe(true);
        expect(textOf(thrown)).toBe("This tool intentionally returns an error for testing");
        const invalid = await full.client.callTool({ name: "add", arguments: { a: 1 } });
        expect(invalid.isError).toBe(true);
        expect(textOf(invalid)).toMatch(/^Invalid arguments for tool add: b: /);
      });

      test("an unknown tool is JSON-RPC error -32602", async () => {
        const { code, message } = await protocolError(full.client.callTool({ name: "no_such_tool", arguments: {} }));
        expect(code).toBe(-32602);
        expect(message).toContain("Unknown tool: no_such_tool");
      });
    });

    describe("resources", () => {
      test("resources/list and resources/templates/list, with cache hints", async () => {
        const list = await full.client.listResources(undefined, { cacheMode: "refresh" });
        expect(list.resources.map((r) => r.uri)).toEqual([
          "test://static-text",
          "test://static-binary",
          "test://watched-resource",
        ]);
        expect(list.resources[0]).toEqual({
          uri: "test://static-text",
          name: "static-text",
          description: "A static text resource.",
          mimeType: "text/plain",
        });
        expect([list.ttlMs, list.cacheScope]).toEqual([60_000, "private"]);
        const templates = await full.client.listResourceTemplates(undefined, { cacheMode: "refresh" });
        expect(templates.resourceTemplates).toEqual([
          {
            uriTemplate: "test://template/{id}/data",
            name: "template",
            description: "Data for an id.",
            mimeType: "application/json",
          },
        ]);
      });

      test("resources/read: text, blob and a template", async () => {
        const text = await full.client.readResource({ uri: "test://static-text" });
        expect(text.contents).toEqual([
          {
            uri: "test://static-text",
            mimeType: "text/plain",
            text: "This is the content of the static text resource.",
          },
        ]);
        expect([text.ttlMs, text.cacheScope]).toEqual([0, "private"]);
        const blob = await full.client.readResource({ uri: "test://static-binary" });
        expect(blob.contents).toEqual([{ uri: "test://static-binary", mimeType: "image/png", blob: PNG_1X1 }]);
        const templated = await full.client.readResource({ uri: "test://template/42/data" });
        expect(templated.contents).toHaveLength(1);
        expect(templated.contents[0]).toMatchObject({ uri: "test://template/42/data", mimeType: "application/json" });
        expect(JSON.parse((templated.contents[0] as { text: string }).text)).toEqual({
          id: "42",
          templateTest: true,
          data: "Data for ID: 42",
        });
      });

      test("reading a missing resource is JSON-RPC error -32602 (not the legacy -32002)", async () => {
        const { code, message, data } = await protocolError(full.client.readResource({ uri: "test://nothing-here" }));
        expect(code).toBe(-32602);
        expect(message).toContain("test://nothing-here");
        expect(data).toEqual({ uri: "test://nothing-here" });
      });
    });

    describe("prompts and completion", () => {
      test("prompts/list describes each prompt and its arguments", async () => {
        const { prompts } = await full.client.listPrompts(undefined, { cacheMode: "refresh" });
        expect(prompts.map((p) => p.name)).toEqual(
          expect.arrayContaining([
            "test_simple_prompt",
            "test_prompt_with_arguments",
            "test_prompt_with_embedded_resource",
            "test_prompt_with_image",
          ]),
        );
        expect(prompts.find((p) => p.name === "test_simple_prompt")).toEqual({
          name: "test_simple_prompt",
          description: "A simple prompt without arguments.",
        });
        expect(prompts.find((p) => p.name === "test_prompt_with_arguments")).toEqual(PROMPT_WITH_ARGUMENTS);
      });

      test("prompts/get with arguments; a missing one is -32602 naming it", async () => {
        const result = await full.client.getPrompt({
          name: "test_prompt_with_arguments",
          arguments: { arg1: "alpha", arg2: "beta" },
        });
        expect(result.messages).toEqual([
          { role: "user", content: { type: "text", text: "Prompt with arguments: arg1='alpha', arg2='beta'" } },
        ]);
        const { code, message } = await protocolError(
          full.client.getPrompt({ name: "test_prompt_with_arguments", arguments: { arg1: "alpha" } }),
        );
        expect(code).toBe(-32602);
        expect(message).toContain("arg2");
      });

      test("completion/complete for a prompt argument and a template variable", async () => {
        const prompt = await full.client.complete({
          ref: { type: "ref/prompt", name: "test_prompt_with_arguments" },
          argument: { name: "arg1", value: "te" },
        });
        expect([...prompt.completion.values].sort()).toEqual(["test", "tested", "testing"]);
        const template = await full.client.complete({
          ref: { type: "ref/resource", uri: "test://template/{id}/data" },
          argument: { name: "id", value: "4" },
        });
        expect(template.completion.values).toEqual(["456"]);
      });
    });

    describe("progress and logging", () => {
      test("progress notifications reach the onprogress callback", async () => {
        const seen: { progress: number; total?: number; message?: string }[] = [];
        const result = await full.client.callTool(
          { name: "test_tool_with_progress", arguments: {} },
          { onprogress: (p) => seen.push(p) },
        );
        const { id, params } = lastRequest(full, "tools/call");
        const token = (params._meta as { progressToken?: unknown }).progressToken;
        expect(token).toBe(id);
        // The tool answers with the progress token it was given.
        expect(textOf(result)).toBe(String(token));
        expect(
          notificationsOf(full.received, "notifications/progress", (p) => p.progressToken === token).map(
            (p) => p.progress,
          ),
        ).toEqual([0, 50, 100]);
        // Like 1.x, the SDK 2.x client dispatches notifications a microtask late but responses at
        // once, so a progress notification read together with the response finds its handler gone
        // (modelcontextprotocol/typescript-sdk#2580; seen over STDIO). What the server sent is
        // checked on the wire above; the callback must have seen an in-order prefix of it.
        const all = [
          { progress: 0, total: 100, message: "Completed step 0 of 100" },
          { progress: 50, total: 100, message: "Completed step 50 of 100" },
          { progress: 100, total: 100, message: "Completed step 100 of 100" },
        ];
        expect(seen.length).toBeGreaterThanOrEqual(2);
        expect(seen).toEqual(all.slice(0, seen.length));
      });

      test("log messages come only when the request's _meta asks for a level", async () => {
        const { seen: logs, until } = collectNotifications(bare.client, "notifications/message");
        const onWire = () => notificationsOf(bare.received, "notifications/message").length;
        const before = onWire();
        const quiet = await bare.client.callTool({ name: "test_tool_with_logging", arguments: {} });
        expect(textOf(quiet)).toBe("Tool with logging executed successfully");
        expect(onWire()).toBe(before);
        const loud = await bare.client.callTool({
          name: "test_tool_with_logging",
          arguments: {},
          _meta: { [LOG_LEVEL_META_KEY]: "info" },
        });
        expect(textOf(loud)).toBe("Tool with logging executed successfully");
        await until(3);
        expect(logs).toEqual([
          { level: "info", data: "Tool execution started" },
          { level: "info", data: "Tool processing data" },
          { level: "info", data: "Tool execution completed" },
        ]);
      });
    });

    describe("input required (elicitation, sampling, roots)", () => {
      const inputRequiredResults = (c: ModernConnection) =>
        c.received.filter(
          (m) => "result" in m && (m.result as { resultType?: string }).resultType === "input_required",
        ) as unknown as { id: unknown; result: { inputRequests: Record<string, unknown>; requestState: string } }[];

      test("test_elicitation completes with the client's answer after one input_required round", async () => {
        elicitAnswer = { action: "accept", content: { username: "alice", email: "alice@example.com" } };
        const before = inputRequiredResults(full).length;
        const result = await full.client.callTool({
          name: "test_elicitation",
          arguments: { message: "Who are you?" },
        });
        expect(result.isError).toBeFalsy();
        expect(textOf(result)).toBe(
          'User response: action=accept, content={"username":"alice","email":"alice@example.com"}',
        );
        expect(elicited).toHaveLength(1);
        expect(elicited[0]).toMatchObject({ message: "Who are you?", requestedSchema: { type: "object" } });
        expect((elicited[0] as { requestedSchema: { required: string[] } }).requestedSchema.required).toEqual([
          "username",
          "email",
        ]);
        // On the wire: one input_required round, then a retry (new id) carrying the answer and the state.
        const rounds = inputRequiredResults(full).slice(before);
        expect(rounds).toHaveLength(1);
        expect(Object.keys(rounds[0]?.result.inputRequests ?? {})).toEqual(["elicitation-1"]);
        const retry = lastRequest(full, "tools/call");
        expect(retry.id).not.toBe(rounds[0]?.id);
        expect(retry.params.requestState).toBe(rounds[0]?.result.requestState);
        expect(retry.params.inputResponses).toEqual({ "elicitation-1": elicitAnswer });
      });

      test("a declined elicitation reaches the tool", async () => {
        elicitAnswer = { action: "decline" };
        const result = await full.client.callTool({ name: "test_elicitation", arguments: { message: "Who?" } });
        expect(textOf(result)).toBe("User response: action=decline, content={}");
        expect(elicited).toHaveLength(1);
      });

      test("URL-mode elicitation via connect_account", async () => {
        const result = await full.client.callTool({ name: "connect_account", arguments: {} });
        expect(textOf(result)).toBe("action=accept");
        expect(elicited).toHaveLength(1);
        expect(elicited[0]).toMatchObject({
          mode: "url",
          message: "Open this page to connect your account.",
          url: "https://example.com/connect",
        });
        // 2026-07-28 removed elicitationId: it is not on the wire even though the tool passed one.
        const rounds = full.received.filter((m) => JSON.stringify(m).includes('"input_required"'));
        expect(rounds.length).toBeGreaterThan(0);
        expect(JSON.stringify(rounds)).not.toContain("elicitationId");
      });

      test("test_sampling completes with the client's model answer", async () => {
        const result = await full.client.callTool({
          name: "test_sampling",
          arguments: { prompt: "What is the capital of France?" },
        });
        expect(textOf(result)).toBe("LLM response: Paris");
        expect(sampled).toHaveLength(1);
        expect(sampled[0]).toMatchObject({
          maxTokens: 100,
          messages: [{ role: "user", content: { type: "text", text: "What is the capital of France?" } }],
        });
      });

      test("list_roots completes with the client's roots", async () => {
        const result = await full.client.callTool({ name: "list_roots", arguments: {} });
        expect(result.isError).toBeFalsy();
        expect(result.structuredContent).toEqual({ roots: ROOTS });
      });

      test("prompts/get completes through an input_required round too", async () => {
        elicitAnswer = { action: "accept", content: { context: "release notes" } };
        const before = inputRequiredResults(full).length;
        const sentBefore = full.sent.length;
        const result = await full.client.getPrompt({ name: "test_input_required_result_prompt", arguments: {} });
        expect(result.messages).toEqual([
          { role: "user", content: { type: "text", text: "Prompt with context: release notes" } },
        ]);
        expect(elicited.map((e) => e.message)).toEqual(["What context should the prompt use?"]);
        expect(inputRequiredResults(full).slice(before)).toHaveLength(1);
        expect(full.sent.slice(sentBefore).filter((m) => "method" in m && m.method === "prompts/get").length).toBe(2);
        expect(lastRequest(full, "prompts/get").params.inputResponses).toEqual({ user_context: elicitAnswer });
      });

      test("elicitation, sampling and roots asked in one round are all answered in one retry", async () => {
        elicitAnswer = { action: "accept", content: { name: "Ada" } };
        const before = inputRequiredResults(full).length;
        const result = await full.client.callTool({
          name: "test_input_required_result_multiple_inputs",
          arguments: {},
        });
        expect(textOf(result)).toBe("Name: Ada; Greeting: Paris; Roots: 2");
        const rounds = inputRequiredResults(full).slice(before);
        expect(rounds).toHaveLength(1);
        expect(Object.keys(rounds[0]?.result.inputRequests ?? {}).sort()).toEqual([
          "client_roots",
          "greeting",
          "user_name",
        ]);
        expect(Object.keys(lastRequest(full, "tools/call").params.inputResponses as object).sort()).toEqual([
          "client_roots",
          "greeting",
          "user_name",
        ]);
        expect(elicited).toHaveLength(1);
        expect(sampled).toHaveLength(1);
      });

      test("a client without the capability gets -32021 naming what to declare", async () => {
        const elicit = await protocolError(
          bare.client.callTool({ name: "test_elicitation", arguments: { message: "?" } }),
        );
        expect(elicit.code).toBe(-32021);
        expect(elicit.data).toEqual({ requiredCapabilities: { elicitation: {} } });
        const sample = await protocolError(bare.client.callTool({ name: "test_sampling", arguments: { prompt: "?" } }));
        expect(sample.code).toBe(-32021);
        expect(sample.data).toEqual({ requiredCapabilities: { sampling: {} } });
        const roots = await protocolError(bare.client.callTool({ name: "list_roots", arguments: {} }));
        expect(roots.code).toBe(-32021);
        expect(roots.data).toEqual({ requiredCapabilities: { roots: {} } });
        expect(inputRequiredResults(bare)).toEqual([]);
      });
    });
  });
}
