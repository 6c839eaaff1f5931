/**
 * The official MCP TypeScript SDK (1.x) client, wired for interop tests: a
 * transport wrapper that records every message in each direction, clients
 * with optional elicitation / sampling / roots answers, servers started from
 * the built examples/everything, and the interop tests shared by the HTTP and
 * STDIO files (`defineSharedInteropTests`).
 */

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ChukMCPServer, ChukMCPServerOptions, RunningServer, RunOptions } from "@chuk-mcp/server";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  type CreateMessageResult,
  ElicitRequestSchema,
  type ElicitResult,
  ErrorCode,
  type JSONRPCMessage,
  ListRootsRequestSchema,
  McpError,
  type Root,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { ROOT } from "./everything.js";
import {
  EVERYTHING_CAPABILITIES,
  EVERYTHING_INFO,
  EVERYTHING_INSTRUCTIONS,
  expectAddTool,
  PROMPT_WITH_ARGUMENTS,
} from "./everything-fixtures.js";

export const EVERYTHING_SERVER_JS = join(ROOT, "examples/everything/dist/server.js");
const MEDIA_JS = join(ROOT, "examples/everything/dist/media.js");

/** The `elicitation/create` params a client receives (form or URL mode). */
export interface ElicitParams {
  mode?: string;
  message: string;
  requestedSchema?: { required?: string[] } & Record<string, unknown>;
  url?: string;
  elicitationId?: string;
}

// ---- recording transport ----------------------------------------------------------

type Listener = (message: JSONRPCMessage) => void;

/** Delegates to an SDK transport and records what crosses it, both ways. */
export class RecordingTransport implements Transport {
  readonly received: JSONRPCMessage[] = [];
  readonly sent: JSONRPCMessage[] = [];
  onclose?: Transport["onclose"];
  onerror?: Transport["onerror"];
  onmessage?: Transport["onmessage"];
  private readonly listeners = new Set<Listener>();

  constructor(readonly inner: Transport) {
    inner.onmessage = (message, extra) => {
      this.received.push(message);
      for (const listener of [...this.listeners]) listener(message);
      this.onmessage?.(message, extra);
    };
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => this.onclose?.();
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: Parameters<Transport["send"]>[1]): Promise<void> {
    this.sent.push(message);
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  /** Resolves with the first received message (already here or still to come) that matches. */
  waitFor(match: (message: JSONRPCMessage) => boolean, what: string, timeoutMs = 5_000): Promise<JSONRPCMessage> {
    const found = this.received.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const listener: Listener = (message) => {
        if (!match(message)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(message);
      };
      this.listeners.add(listener);
    });
  }
}

/** A received notification's method and params, or undefined for other messages. */
export function asNotification(
  message: JSONRPCMessage,
): { method: string; params: Record<string, unknown> } | undefined {
  if (!("method" in message) || "id" in message) return undefined;
  return { method: message.method, params: (message.params ?? {}) as Record<string, unknown> };
}

/** The notifications among `messages` with this method (and matching params). */
export function notificationsOf(
  messages: readonly JSONRPCMessage[],
  method: string,
  match: (params: Record<string, unknown>) => boolean = () => true,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const m of messages) {
    const n = asNotification(m);
    if (n && n.method === method && match(n.params)) out.push(n.params);
  }
  return out;
}

// ---- clients ---------------------------------------------------------------------------

/** What the client declares and how it answers the server's requests. */
export interface ClientSetup {
  capabilities?: ClientCapabilities;
  /** Answers `elicitation/create` (needs `capabilities.elicitation`). */
  onElicit?: (params: ElicitParams) => ElicitResult | Promise<ElicitResult>;
  /** Answers `sampling/createMessage` (needs `capabilities.sampling`). */
  onSample?: (params: Record<string, unknown>) => CreateMessageResult | Promise<CreateMessageResult>;
  /** Answers `roots/list` (needs `capabilities.roots`). */
  roots?: Root[];
}

export interface Connection {
  client: Client;
  /** The recording wrapper the client talks through. */
  transport: RecordingTransport;
  /** Errors the client reported through `onerror`. */
  errors: Error[];
  close(): Promise<void>;
}

/** Connects an SDK client over `inner` (an unstarted SDK transport). */
export async function connectClient(inner: Transport, setup: ClientSetup = {}): Promise<Connection> {
  const client = new Client(
    { name: "interop-test-client", version: "1.0.0" },
    { capabilities: setup.capabilities ?? {} },
  );
  const errors: Error[] = [];
  client.onerror = (error) => errors.push(error);
  const { onElicit, onSample, roots } = setup;
  if (onElicit) client.setRequestHandler(ElicitRequestSchema, (request) => onElicit(request.params as ElicitParams));
  if (onSample) client.setRequestHandler(CreateMessageRequestSchema, (request) => onSample(request.params));
  if (roots) client.setRequestHandler(ListRootsRequestSchema, () => ({ roots }));
  const transport = new RecordingTransport(inner);
  await client.connect(transport);
  let closed = false;
  return {
    client,
    transport,
    errors,
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

/** The JSON-RPC error (code and message) a rejected SDK request carried. */
export async function rejectionCode(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof McpError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected the request to be rejected");
}

// ---- servers -----------------------------------------------------------------------------

type CreateEverything = (options?: ChukMCPServerOptions) => ChukMCPServer;

export async function loadEverything(): Promise<{ createEverythingServer: CreateEverything; PNG_1X1: string }> {
  const { createEverythingServer } = (await import(EVERYTHING_SERVER_JS)) as {
    createEverythingServer: CreateEverything;
  };
  const { PNG_1X1 } = (await import(MEDIA_JS)) as { PNG_1X1: string };
  return { createEverythingServer, PNG_1X1 };
}

export interface HttpEverything {
  server: ChukMCPServer;
  running: RunningServer;
  url: URL;
  close(): Promise<void>;
}

/** The built everything server, constructed here (so a test can reach it) and served over HTTP on loopback. */
export async function startHttpEverything(
  serverOptions: ChukMCPServerOptions = {},
  runOptions: RunOptions = {},
): Promise<HttpEverything> {
  const { createEverythingServer } = await loadEverything();
  const server = createEverythingServer({ logLevel: "silent", ...serverOptions });
  const running = await server.run({
    transport: "http",
    host: "127.0.0.1",
    port: 0,
    handleSignals: false,
    ...runOptions,
  });
  return { server, running, url: new URL(running.url as string), close: () => running.close() };
}

/**
 * A Node program (for `node --input-type=module -e`) serving the everything
 * server over STDIO, built with the options in `EVERYTHING_OPTIONS` (JSON),
 * plus a `register_tool` tool that registers a new tool while it runs.
 */
export const STDIO_EVERYTHING_SCRIPT = `
const { createEverythingServer } = await import(${JSON.stringify(pathToFileURL(EVERYTHING_SERVER_JS).href)});
const mcp = createEverythingServer(JSON.parse(process.env.EVERYTHING_OPTIONS || "{}"));
mcp.tool(
  "register_tool",
  {
    description: "Registers a new tool with the given name.",
    inputSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
  },
  ({ name }) => {
    mcp.tool(name, { description: "Registered at run time." }, () => "registered at run time");
    return "registered " + name;
  },
);
await mcp.run({ transport: "stdio" });
`;

// ---- the shared interop tests -----------------------------------------------------------------

/** How the shared tests reach the everything server over one transport. */
export interface InteropTarget {
  /** A new SDK client connected to the everything server. */
  connect(setup?: ClientSetup): Promise<Connection>;
  /** A new SDK client connected to an everything server built with `pageSize: 2`. */
  connectPaged(): Promise<Connection>;
  /**
   * Resolves once every session-level notification (resource updates, list
   * changes) that the server sent to this connection before the call has
   * been received.
   */
  flush(connection: Connection): Promise<void>;
}

/** The text of a tool result's content block (which must be text). */
export const textOf = (result: object, index = 0): string => {
  const block = ((result as { content?: { type: string; text?: string }[] }).content ?? [])[index];
  expect(block?.type).toBe("text");
  return block?.text as string;
};

const idOf = (message: JSONRPCMessage): unknown => ("id" in message ? message.id : undefined);

/** The tests that must pass the same way over every transport. */
export function defineSharedInteropTests(target: () => InteropTarget): void {
  /** The plain client (no capabilities) most tests use. */
  let conn: Connection;
  /** `elicitation: {}` (form mode only); answers with `elicitAnswer`. */
  let formOnly: Connection;
  /** `elicitation: { url: {} }` (URL mode only). */
  let urlOnly: Connection;
  /** `sampling` and `roots`. */
  let sampler: Connection;
  /** Its own session, for the cancellation test. */
  let cancelling: Connection;
  /** To the server built with `pageSize: 2`. */
  let paged: Connection;
  let PNG_1X1: string;
  const elicited: ElicitParams[] = [];
  const sampled: Record<string, unknown>[] = [];
  let elicitAnswer: ElicitResult = { action: "decline" };
  const ROOTS: Root[] = [
    { uri: "file:///work/project", name: "project" },
    { uri: "file:///tmp/scratch", name: "scratch" },
  ];

  beforeAll(async () => {
    ({ PNG_1X1 } = await loadEverything());
    const t = target();
    // Started together: over STDIO each is a process to spawn.
    [conn, formOnly, urlOnly, sampler, cancelling, paged] = await Promise.all([
      t.connect(),
      t.connect({
        capabilities: { elicitation: {} },
        onElicit: (params) => {
          elicited.push(params);
          return elicitAnswer;
        },
      }),
      t.connect({
        capabilities: { elicitation: { url: {} } },
        onElicit: (params) => {
          elicited.push(params);
          return { action: "accept" };
        },
      }),
      t.connect({
        capabilities: { sampling: {}, roots: { listChanged: true } },
        onSample: (params) => {
          sampled.push(params);
          return { model: "test-model", role: "assistant", content: { type: "text", text: "Paris" } };
        },
        roots: ROOTS,
      }),
      t.connect(),
      t.connectPaged(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([conn, formOnly, urlOnly, sampler, cancelling, paged].map((c) => c?.close()));
  });
  beforeEach(() => {
    elicited.length = 0;
    sampled.length = 0;
  });

  describe("initialize", () => {
    test("negotiates 2025-11-25 and reports serverInfo, capabilities and instructions", () => {
      const init = conn.transport.received[0] as { id: unknown; result: Record<string, unknown> };
      expect(init.id).toBe(idOf(conn.transport.sent[0] as JSONRPCMessage));
      expect(init.result.protocolVersion).toBe("2025-11-25");
      expect(conn.client.getServerVersion()).toEqual(EVERYTHING_INFO);
      expect(conn.client.getServerCapabilities()).toEqual(EVERYTHING_CAPABILITIES);
      expect(conn.client.getInstructions()).toBe(EVERYTHING_INSTRUCTIONS);
    });

    test("answers ping", async () => {
      expect(await conn.client.ping()).toEqual({});
    });
  });

  describe("tools", () => {
    test("tools/list keeps schemas, descriptions, output schemas and annotations", async () => {
      const { tools, nextCursor } = await conn.client.listTools();
      expect(nextCursor).toBeUndefined();
      const byName = new Map(tools.map((t) => [t.name, t]));
      for (const name of [
        "echo",
        "add",
        "slow",
        "test_elicitation",
        "test_sampling",
        "list_roots",
        "connect_account",
      ]) {
        expect(byName.has(name), name).toBe(true);
      }
      const echo = byName.get("echo");
      expect(echo?.description).toBe("Returns the text it is given.");
      expect(echo?.inputSchema.type).toBe("object");
      expect(echo?.inputSchema.required).toEqual(["text"]);
      expect(echo?.inputSchema.properties).toEqual({ text: { type: "string", description: "Text to echo" } });
      expectAddTool(byName.get("add"));
      // A raw JSON Schema 2020-12 input schema goes out verbatim.
      const raw = byName.get("json_schema_2020_12_tool")?.inputSchema as Record<string, unknown>;
      expect(raw.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
      expect(raw.$defs).toEqual({
        address: {
          $anchor: "addressDef",
          type: "object",
          properties: { street: { type: "string" }, city: { type: "string" } },
        },
      });
      // The slow tool's defaulted argument is optional on input.
      expect(byName.get("slow")?.inputSchema.required ?? []).not.toContain("ms");
    });

    test("tools/call echo returns the text", async () => {
      const result = await conn.client.callTool({ name: "echo", arguments: { text: "hello, interop" } });
      expect(result.isError).toBeFalsy();
      expect(result.content).toEqual([{ type: "text", text: "hello, interop" }]);
    });

    test("tools/call add returns structuredContent that matches its output schema", async () => {
      await conn.client.listTools(); // the SDK validates structuredContent against the listed outputSchema
      const result = await conn.client.callTool({ name: "add", arguments: { a: 2, b: 40 } });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ sum: 42 });
      expect(JSON.parse(textOf(result))).toEqual({ sum: 42 });
    });

    test("tools/call returns image, audio and embedded-resource content", async () => {
      const image = await conn.client.callTool({ name: "test_image_content", arguments: {} });
      expect(image.content).toEqual([{ type: "image", data: PNG_1X1, mimeType: "image/png" }]);
      const audio = await conn.client.callTool({ name: "test_audio_content", arguments: {} });
      expect(audio.content).toMatchObject([{ type: "audio", mimeType: "audio/wav" }]);
      expect(((audio.content as { data: string }[])[0]?.data ?? "").length).toBeGreaterThan(0);
      const mixed = await conn.client.callTool({ name: "test_multiple_content_types", arguments: {} });
      expect((mixed.content as { type: string }[]).map((c) => c.type)).toEqual(["text", "image", "resource"]);
      expect((mixed.content as { resource?: unknown }[])[2]?.resource).toEqual({
        uri: "test://mixed-content-resource",
        mimeType: "application/json",
        text: '{"test":"data","value":123}',
      });
    });

    test("a tool that throws gives an isError result with its message", async () => {
      const result = await conn.client.callTool({ name: "test_error_handling", arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe("This tool intentionally returns an error for testing");
    });

    test("invalid arguments give an isError result naming the field", async () => {
      const result = await conn.client.callTool({ name: "echo", arguments: { text: 42 } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^Invalid arguments for tool echo: text: /);
      const missing = await conn.client.callTool({ name: "add", arguments: { a: 1 } });
      expect(missing.isError).toBe(true);
      expect(textOf(missing)).toMatch(/^Invalid arguments for tool add: b: /);
    });

    test("an unknown tool is JSON-RPC error -32602", async () => {
      const { code, message } = await rejectionCode(conn.client.callTool({ name: "no_such_tool", arguments: {} }));
      expect(code).toBe(ErrorCode.InvalidParams);
      expect(message).toContain("Unknown tool: no_such_tool");
    });
  });

  describe("resources", () => {
    test("resources/list lists the fixed resources", async () => {
      const { resources } = await conn.client.listResources();
      expect(resources).toEqual([
        {
          uri: "test://static-text",
          name: "static-text",
          description: "A static text resource.",
          mimeType: "text/plain",
        },
        {
          uri: "test://static-binary",
          name: "static-binary",
          description: "A static binary resource (a PNG).",
          mimeType: "image/png",
        },
        {
          uri: "test://watched-resource",
          name: "watched-resource",
          description: "A resource that changes when the bump tool runs.",
          mimeType: "text/plain",
        },
      ]);
    });

    test("resources/read returns text and blob contents", async () => {
      const text = await conn.client.readResource({ uri: "test://static-text" });
      expect(text.contents).toEqual([
        { uri: "test://static-text", mimeType: "text/plain", text: "This is the content of the static text resource." },
      ]);
      const blob = await conn.client.readResource({ uri: "test://static-binary" });
      expect(blob.contents).toEqual([{ uri: "test://static-binary", mimeType: "image/png", blob: PNG_1X1 }]);
    });

    test("reading an unknown resource is JSON-RPC error -32002", async () => {
      const { code } = await rejectionCode(conn.client.readResource({ uri: "test://nothing-here" }));
      expect(code).toBe(-32002);
    });

    test("resources/templates/list and reading test://template/42/data", async () => {
      const { resourceTemplates } = await conn.client.listResourceTemplates();
      expect(resourceTemplates).toEqual([
        {
          uriTemplate: "test://template/{id}/data",
          name: "template",
          description: "Data for an id.",
          mimeType: "application/json",
        },
      ]);
      const read = await conn.client.readResource({ uri: "test://template/42/data" });
      expect(read.contents).toHaveLength(1);
      expect(read.contents[0]).toMatchObject({ uri: "test://template/42/data", mimeType: "application/json" });
      expect(JSON.parse((read.contents[0] as { text: string }).text)).toEqual({
        id: "42",
        templateTest: true,
        data: "Data for ID: 42",
      });
    });

    test("subscribe → updates for test://watched-resource; unsubscribe → none", async () => {
      const watched = (p: Record<string, unknown>) => p.uri === "test://watched-resource";
      const updates = () => notificationsOf(conn.transport.received, "notifications/resources/updated", watched).length;
      const before = updates();
      await conn.client.subscribeResource({ uri: "test://watched-resource" });
      const bumped = await conn.client.callTool({ name: "bump_watched_resource", arguments: {} });
      expect(textOf(bumped)).toMatch(/^version \d+$/);
      await conn.transport.waitFor(
        (m) => asNotification(m)?.method === "notifications/resources/updated" && updates() > before,
        "notifications/resources/updated",
      );
      await target().flush(conn);
      expect(updates()).toBe(before + 1);
      const version = Number(textOf(bumped).slice("version ".length));
      const read = await conn.client.readResource({ uri: "test://watched-resource" });
      expect((read.contents[0] as { text: string }).text).toBe(`Watched resource content, version ${version}`);

      await conn.client.unsubscribeResource({ uri: "test://watched-resource" });
      await conn.client.callTool({ name: "bump_watched_resource", arguments: {} });
      await target().flush(conn);
      expect(updates()).toBe(before + 1);
    });

    test("subscribing to an unknown resource is JSON-RPC error -32002", async () => {
      const { code } = await rejectionCode(conn.client.subscribeResource({ uri: "test://nothing-here" }));
      expect(code).toBe(-32002);
    });
  });

  describe("prompts", () => {
    test("prompts/list describes each prompt and its arguments", async () => {
      const { prompts } = await conn.client.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual([
        "test_simple_prompt",
        "test_prompt_with_arguments",
        "test_prompt_with_embedded_resource",
        "test_prompt_with_image",
        "test_input_required_result_prompt",
      ]);
      expect(prompts[1]).toEqual(PROMPT_WITH_ARGUMENTS);
    });

    test("prompts/get with arguments", async () => {
      const result = await conn.client.getPrompt({
        name: "test_prompt_with_arguments",
        arguments: { arg1: "alpha", arg2: "beta" },
      });
      expect(result.messages).toEqual([
        { role: "user", content: { type: "text", text: "Prompt with arguments: arg1='alpha', arg2='beta'" } },
      ]);
    });

    test("prompts/get without a required argument is JSON-RPC error -32602 naming it", async () => {
      const { code, message } = await rejectionCode(
        conn.client.getPrompt({ name: "test_prompt_with_arguments", arguments: { arg1: "alpha" } }),
      );
      expect(code).toBe(ErrorCode.InvalidParams);
      expect(message).toContain("arg2");
    });

    test("prompts/get with an embedded resource and with an image", async () => {
      const embedded = await conn.client.getPrompt({
        name: "test_prompt_with_embedded_resource",
        arguments: { resourceUri: "test://static-text" },
      });
      expect(embedded.messages[0]).toEqual({
        role: "user",
        content: {
          type: "resource",
          resource: {
            uri: "test://static-text",
            mimeType: "text/plain",
            text: "Embedded resource content for testing.",
          },
        },
      });
      expect(embedded.messages[1]?.content).toEqual({
        type: "text",
        text: "Please process the embedded resource above.",
      });
      const image = await conn.client.getPrompt({ name: "test_prompt_with_image" });
      expect(image.messages[0]).toEqual({
        role: "user",
        content: { type: "image", data: PNG_1X1, mimeType: "image/png" },
      });
    });
  });

  describe("completion", () => {
    test("completes a prompt argument", async () => {
      const { completion } = await conn.client.complete({
        ref: { type: "ref/prompt", name: "test_prompt_with_arguments" },
        argument: { name: "arg1", value: "te" },
      });
      expect(completion.values).toContain("test");
      expect(completion.values).not.toContain("other");
      expect([...completion.values].sort()).toEqual(["test", "tested", "testing"]);
    });

    test("completes a resource template variable", async () => {
      const ref = { type: "ref/resource" as const, uri: "test://template/{id}/data" };
      const four = await conn.client.complete({ ref, argument: { name: "id", value: "4" } });
      expect(four.completion.values).toEqual(["456"]);
      const all = await conn.client.complete({ ref, argument: { name: "id", value: "" } });
      expect(all.completion.values).toEqual(["123", "456", "789"]);
    });
  });

  describe("progress and logging", () => {
    // The SDK 1.x client dispatches notifications a microtask late but responses at once, so a
    // progress notification that arrives in the same read as the response finds its handler gone
    // (modelcontextprotocol/typescript-sdk#2580): the callback may miss the last steps. What the
    // server sent is checked on the wire; the callback must have seen an increasing prefix of it.
    const progressSent = (c: Connection, token: unknown): number[] =>
      notificationsOf(c.transport.received, "notifications/progress", (p) => p.progressToken === token).map(
        (p) => p.progress as number,
      );
    const lastCallId = (c: Connection): unknown => {
      const request = c.transport.sent.findLast((m) => "method" in m && m.method === "tools/call");
      return request && idOf(request);
    };

    test("progress notifications reach the onprogress callback, increasing", async () => {
      const seen: { progress: number; total?: number; message?: string }[] = [];
      const result = await conn.client.callTool({ name: "test_tool_with_progress", arguments: {} }, undefined, {
        onprogress: (p) => seen.push(p),
      });
      const token = lastCallId(conn);
      // The tool answers with the progress token the SDK put in _meta: the request id.
      expect(textOf(result)).toBe(String(token));
      expect(progressSent(conn, token)).toEqual([0, 50, 100]);
      const values = seen.map((p) => p.progress);
      expect(values.length).toBeGreaterThanOrEqual(2);
      expect(values).toEqual([0, 50, 100].slice(0, values.length));
      expect(seen.every((p) => p.total === 100)).toBe(true);
      expect(seen[1]?.message).toBe("Completed step 50 of 100");
    });

    test("slow reports progress steps 1..10 of 10", async () => {
      const seen: number[] = [];
      const result = await conn.client.callTool({ name: "slow", arguments: { ms: 100 } }, undefined, {
        onprogress: (p) => seen.push(p.progress),
      });
      expect(textOf(result)).toBe("waited 100 ms");
      const all = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
      expect(progressSent(conn, lastCallId(conn))).toEqual(all);
      expect(seen.length).toBeGreaterThanOrEqual(5);
      expect(seen).toEqual(all.slice(0, seen.length));
    });

    test("logging/setLevel debug → 3 notifications/message; error → none", async () => {
      const messages = () => notificationsOf(conn.transport.received, "notifications/message");
      await conn.client.setLoggingLevel("debug");
      const before = messages().length;
      const result = await conn.client.callTool({ name: "test_tool_with_logging", arguments: {} });
      expect(textOf(result)).toBe("Tool with logging executed successfully");
      expect(messages().slice(before)).toEqual([
        { level: "info", data: "Tool execution started" },
        { level: "info", data: "Tool processing data" },
        { level: "info", data: "Tool execution completed" },
      ]);

      await conn.client.setLoggingLevel("error");
      const quiet = messages().length;
      await conn.client.callTool({ name: "test_tool_with_logging", arguments: {} });
      expect(messages().length).toBe(quiet);
    });
  });

  describe("server → client requests", () => {
    test("elicitation round trip (form mode)", async () => {
      elicitAnswer = { action: "accept", content: { username: "alice", email: "alice@example.com" } };
      const result = await formOnly.client.callTool({
        name: "test_elicitation",
        arguments: { message: "Who are you?" },
      });
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toBe(
        'User response: action=accept, content={"username":"alice","email":"alice@example.com"}',
      );
      expect(elicited).toHaveLength(1);
      expect(elicited[0]?.message).toBe("Who are you?");
      expect(elicited[0]?.requestedSchema?.required).toEqual(["username", "email"]);
    });

    test("elicitation declined by the user", async () => {
      elicitAnswer = { action: "decline" };
      const result = await formOnly.client.callTool({ name: "test_elicitation", arguments: { message: "Who?" } });
      expect(textOf(result)).toBe("User response: action=decline, content={}");
      expect(elicited).toHaveLength(1);
    });

    test("elicitation is refused when the client lacks the capability", async () => {
      const result = await conn.client.callTool({ name: "test_elicitation", arguments: { message: "Who?" } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("'elicitation' capability");
      // No request reached the client.
      expect(conn.transport.received.some((m) => "method" in m && m.method === "elicitation/create")).toBe(false);
    });

    test("URL-mode elicitation via connect_account", async () => {
      const result = await urlOnly.client.callTool({ name: "connect_account", arguments: {} });
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toBe("action=accept");
      expect(elicited).toHaveLength(1);
      expect(elicited[0]).toMatchObject({
        mode: "url",
        message: "Open this page to connect your account.",
        url: "https://example.com/connect",
      });
      expect(elicited[0]?.elicitationId).toMatch(/^connect-.+/);
    });

    test("a URL-only client is not sent form-mode elicitation", async () => {
      const result = await urlOnly.client.callTool({ name: "test_elicitation", arguments: { message: "Who?" } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("'elicitation.form' capability");
      expect(elicited).toEqual([]);
    });

    test("URL-mode elicitation is refused to a form-only client", async () => {
      const result = await formOnly.client.callTool({ name: "connect_account", arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("'elicitation.url' capability");
      expect(elicited).toEqual([]);
    });

    test("sampling round trip", async () => {
      const result = await sampler.client.callTool({
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

    test("sampling is refused when the client lacks the capability", async () => {
      const result = await conn.client.callTool({ name: "test_sampling", arguments: { prompt: "Hi" } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("'sampling' capability");
    });

    test("roots: list_roots returns the client's roots", async () => {
      const result = await sampler.client.callTool({ name: "list_roots", arguments: {} });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ roots: ROOTS });
    });

    test("roots are refused when the client lacks the capability", async () => {
      const result = await conn.client.callTool({ name: "list_roots", arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("'roots' capability");
    });
  });

  describe("cancellation", () => {
    test("aborting slow cancels it at the server; the session stays healthy", async () => {
      const c = cancelling;
      const controller = new AbortController();
      let firstProgress: () => void = () => {};
      const started = new Promise<void>((resolve) => {
        firstProgress = resolve;
      });
      const call = c.client.callTool({ name: "slow", arguments: { ms: 5000 } }, undefined, {
        signal: controller.signal,
        onprogress: () => firstProgress(),
      });
      // The tool is running at the server once its first step is reported (~500 ms in).
      await started;
      const request = c.transport.sent.findLast((m) => "method" in m && m.method === "tools/call");
      const id = request && idOf(request);
      expect(id).toBeDefined();
      controller.abort(new Error("stop it"));
      await expect(call).rejects.toThrow("stop it");
      expect(c.transport.sent.at(-1)).toMatchObject({
        method: "notifications/cancelled",
        params: { requestId: id },
      });
      const afterAbort = c.transport.received.length;

      // A following call succeeds. It runs 1.2 s, more than two of the
      // cancelled tool's 500 ms steps: had the handler gone on, its progress
      // (same token) would have arrived meanwhile.
      const next = await c.client.callTool({ name: "slow", arguments: { ms: 1200 } });
      expect(textOf(next)).toBe("waited 1200 ms");
      const late = c.transport.received.slice(afterAbort);
      expect(notificationsOf(late, "notifications/progress", (p) => p.progressToken === id)).toEqual([]);
      expect(late.filter((m) => idOf(m) === id)).toEqual([]);
    });
  });

  describe("pagination", () => {
    test("tools/list with pageSize 2 follows nextCursor to every tool; a bad cursor is -32602", async () => {
      const names: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await paged.client.listTools(cursor === undefined ? {} : { cursor });
        pages += 1;
        expect(page.tools.length).toBeGreaterThan(0);
        expect(page.tools.length).toBeLessThanOrEqual(2);
        names.push(...page.tools.map((t) => t.name));
        cursor = page.nextCursor;
      } while (cursor !== undefined && pages < 100);
      expect(cursor).toBeUndefined();
      expect(new Set(names).size).toBe(names.length);
      expect(pages).toBe(Math.ceil(names.length / 2));
      const { tools: all } = await conn.client.listTools();
      for (const tool of all) expect(names).toContain(tool.name);

      const { resources: first, nextCursor } = await paged.client.listResources();
      expect(first.map((r) => r.uri)).toEqual(["test://static-text", "test://static-binary"]);
      expect(nextCursor).toEqual(expect.any(String));
      const rest = await paged.client.listResources({ cursor: nextCursor });
      expect(rest.resources.map((r) => r.uri)).toEqual(["test://watched-resource"]);
      expect(rest.nextCursor).toBeUndefined();

      const { code } = await rejectionCode(paged.client.listTools({ cursor: "not-a-cursor" }));
      expect(code).toBe(ErrorCode.InvalidParams);
    });
  });
}
