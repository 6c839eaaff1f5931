/**
 * Interop over Streamable HTTP in the 2026-07-28 era: the official MCP
 * TypeScript SDK 2.x client (pinned to 2026-07-28, and in `auto` mode)
 * against the built examples/everything served in this process on a loopback
 * port. The transport-independent tests are shared with the STDIO file; the
 * ones here are HTTP's own (headers, no sessions, per-request streams,
 * cancellation by closing the stream, the response cache, subscriptions).
 */
import type { IncomingHttpHeaders } from "node:http";
import type { ChukMCPServer } from "@chuk-mcp/server";
import { StreamableHTTPClientTransport, SUBSCRIPTION_ID_META_KEY } from "@modelcontextprotocol/client";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { type StartedServer, startEverything } from "../helpers/everything.js";
import {
  collectNotifications,
  connectModern,
  defineSharedModernTests,
  idOf,
  type Mode,
  type ModernConnection,
  type ModernSetup,
  type ModernTarget,
  notificationsOf,
  protocolError,
  sdkError,
  textOf,
} from "../helpers/sdk2-client.js";

/** One HTTP request the main server received. */
interface SeenRequest {
  httpMethod: string;
  headers: IncomingHttpHeaders;
  /** The JSON-RPC body (POST). */
  body: { id?: unknown; method?: string; params?: { _meta?: Record<string, unknown> } } | undefined;
  /** Settles when the response is done: `answered` false when the connection closed before it was. */
  ended: Promise<{ answered: boolean; status: number }>;
}

let everything: StartedServer;
let mcp: ChukMCPServer;
const seen: SeenRequest[] = [];
const opened: ModernConnection[] = [];

const clientNameOf = (r: SeenRequest): unknown =>
  (r.body?.params?._meta?.["io.modelcontextprotocol/clientInfo"] as { name?: string } | undefined)?.name;
/** The requests a client (by its clientInfo name) sent. */
const requestsFrom = (name: string) => seen.filter((r) => clientNameOf(r) === name);

const connectTo = async (
  server: StartedServer,
  mode: Mode,
  setup?: ModernSetup,
): Promise<ModernConnection<StreamableHTTPClientTransport>> => {
  const c = await connectModern(new StreamableHTTPClientTransport(new URL(server.url)), mode, setup);
  opened.push(c);
  return c;
};

const target: ModernTarget = { connect: (mode, setup) => connectTo(everything, mode, setup) };

beforeAll(async () => {
  everything = await startEverything({
    postRegisterHook: (server) => {
      mcp = server;
      server.http?.addHook("preHandler", async (req, reply) => {
        const ended = new Promise<{ answered: boolean; status: number }>((resolve) => {
          reply.raw.once("close", () =>
            resolve({ answered: reply.raw.writableFinished, status: reply.raw.statusCode }),
          );
        });
        seen.push({ httpMethod: req.method, headers: req.headers, body: req.body as SeenRequest["body"], ended });
      });
    },
  });
});

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  await everything?.close();
});

describe("Streamable HTTP (2026-07-28): shared interop tests", () => {
  defineSharedModernTests(() => target);
});

describe("Streamable HTTP (2026-07-28): transport", () => {
  const removeAfter: string[] = [];
  afterEach(() => {
    for (const name of removeAfter.splice(0)) if (mcp.tools.get(name)) mcp.removeTool(name);
  });

  test.each<Mode>(["pinned", "auto"])(
    "%s: discover first, then every POST names the version and method in headers; no session, GET or DELETE",
    async (mode) => {
      const name = `headers-${mode}`;
      const sessionsBefore = everything.running.http?.sessions.size;
      const c = await connectTo(everything, mode, { clientName: name });
      expect(c.client.getProtocolEra()).toBe("modern");
      expect(textOf(await c.client.callTool({ name: "echo", arguments: { text: "via headers" } }))).toBe("via headers");
      await c.client.readResource({ uri: "test://static-text" });
      await c.close();

      const mine = requestsFrom(name);
      expect(mine.map((r) => r.body?.method)).toEqual(["server/discover", "tools/call", "resources/read"]);
      for (const r of mine) {
        expect(r.httpMethod).toBe("POST");
        expect(r.headers["mcp-protocol-version"]).toBe("2026-07-28");
        expect(r.headers["mcp-method"]).toBe(r.body?.method);
        expect(r.headers["mcp-session-id"]).toBeUndefined();
        expect(r.body?.params?._meta?.["io.modelcontextprotocol/protocolVersion"]).toBe("2026-07-28");
      }
      expect(mine[1]?.headers["mcp-name"]).toBe("echo");
      expect(mine[2]?.headers["mcp-name"]).toBe("test://static-text");
      // Never the legacy handshake, never a session.
      expect(seen.some((r) => r.body?.method === "initialize" && clientNameOf(r) === name)).toBe(false);
      expect(c.transport.sessionId).toBeUndefined();
      expect(everything.running.http?.sessions.size).toBe(sessionsBefore);
      expect(c.errors).toEqual([]);
    },
  );

  test("a client given a prior discover result skips the probe and is served at once", async () => {
    const first = await connectTo(everything, "pinned");
    const discover = first.client.getDiscoverResult();
    expect(discover?.supportedVersions).toContain("2026-07-28");
    const name = "prior-client";
    const c = await connectTo(everything, "auto", {
      clientName: name,
      connectOptions: { prior: { kind: "modern", discover: discover as NonNullable<typeof discover> } },
    });
    expect(c.client.getProtocolEra()).toBe("modern");
    expect(textOf(await c.client.callTool({ name: "echo", arguments: { text: "no handshake" } }))).toBe("no handshake");
    expect(requestsFrom(name).map((r) => r.body?.method)).toEqual(["tools/call"]);
  });

  test("x-mcp-header: a cold call is rejected -32020 (400), the SDK refetches tools/list and retries with Mcp-Param-Region", async () => {
    const name = "header-client";
    const c = await connectTo(everything, "pinned", { clientName: name });
    const cold = await c.client.callTool({ name: "test_custom_header", arguments: { region: "eu-west-1" } });
    expect(textOf(cold)).toBe("Region: eu-west-1");
    const mine = requestsFrom(name).filter((r) => r.body?.method !== "server/discover");
    expect(mine.map((r) => [r.body?.method, r.headers["mcp-param-region"]])).toEqual([
      ["tools/call", undefined],
      ["tools/list", undefined],
      ["tools/call", "eu-west-1"],
    ]);
    expect((await mine[0]?.ended)?.status).toBe(400);
    expect((await mine[2]?.ended)?.status).toBe(200);
    const refused = c.received.find((m) => "error" in m);
    expect(refused).toMatchObject({ id: mine[0]?.body?.id, error: { code: -32020 } });

    // Warm: the header goes out with the first request; a value that is not
    // plain ASCII travels Base64-encoded in the sentinel form.
    const from = requestsFrom(name).length;
    const warm = await c.client.callTool({ name: "test_custom_header", arguments: { region: "Zürich" } });
    expect(textOf(warm)).toBe("Region: Zürich");
    const warmPosts = requestsFrom(name).slice(from);
    expect(warmPosts).toHaveLength(1);
    expect(warmPosts[0]?.headers["mcp-param-region"]).toBe(`=?base64?${Buffer.from("Zürich").toString("base64")}?=`);
  });

  test("ClientOptions.listChanged: the SDK's own listen stream refreshes the tool list when a tool is registered", async () => {
    const refreshed: string[][] = [];
    let notify: () => void = () => {};
    const changed = new Promise<void>((resolve) => {
      notify = resolve;
    });
    const subscriptionsBefore = mcp.subscriptions.size;
    const c = await connectTo(everything, "pinned", {
      listChanged: {
        tools: {
          onChanged: (error, tools) => {
            expect(error).toBeNull();
            refreshed.push((tools ?? []).map((t) => t.name));
            notify();
          },
        },
      },
    });
    expect(c.client.autoOpenedSubscription?.honoredFilter).toEqual({ toolsListChanged: true });
    expect(mcp.subscriptions.size).toBe(subscriptionsBefore + 1);
    removeAfter.push("added_for_refresh");
    mcp.tool("added_for_refresh", { description: "Registered while serving." }, () => "ok");
    await changed;
    expect(refreshed).toHaveLength(1);
    expect(refreshed[0]).toContain("added_for_refresh");
    expect(refreshed[0]).toContain("echo");
    await c.close();
    await vi.waitFor(() => expect(mcp.subscriptions.size).toBe(subscriptionsBefore));
  });

  test("-32021 (missing client capability) comes with HTTP 400 and the request's id", async () => {
    const name = "no-caps-client";
    const c = await connectTo(everything, "pinned", { clientName: name });
    const { code, data } = await protocolError(
      c.client.callTool({ name: "test_sampling", arguments: { prompt: "?" } }),
    );
    expect(code).toBe(-32021);
    expect(data).toEqual({ requiredCapabilities: { sampling: {} } });
    const post = requestsFrom(name).findLast((r) => r.body?.method === "tools/call");
    expect((await post?.ended)?.status).toBe(400);
    expect(c.received.find((m) => "error" in m)).toMatchObject({ id: post?.body?.id, error: { code: -32021 } });
  });

  test("the SDK serves tools/list from its cache within ttlMs; list_changed on a listen stream evicts it", async () => {
    const name = "cache-client";
    const c = await connectTo(everything, "pinned", { clientName: name });
    const listPosts = () => requestsFrom(name).filter((r) => r.body?.method === "tools/list").length;
    const first = await c.client.listTools();
    const second = await c.client.listTools();
    expect(second.tools.map((t) => t.name)).toEqual(first.tools.map((t) => t.name));
    expect(listPosts()).toBe(1);

    const changed = collectNotifications(c.client, "notifications/tools/list_changed");
    const subscriptionsBefore = mcp.subscriptions.size;
    const sub = await c.client.listen({ toolsListChanged: true });
    try {
      expect(sub.honoredFilter).toEqual({ toolsListChanged: true });
      expect(mcp.subscriptions.size).toBe(subscriptionsBefore + 1);
      removeAfter.push("added_at_runtime");
      mcp.tool("added_at_runtime", { description: "Registered while serving." }, () => "fresh");
      await changed.until(1);
      const third = await c.client.listTools();
      expect(listPosts()).toBe(2);
      expect(third.tools.find((t) => t.name === "added_at_runtime")?.description).toBe("Registered while serving.");
      expect(textOf(await c.client.callTool({ name: "added_at_runtime", arguments: {} }))).toBe("fresh");
    } finally {
      await sub.close();
    }
    expect(await sub.closed).toBe("local");
    // Closing the stream ends the subscription at the server.
    await vi.waitFor(() => expect(mcp.subscriptions.size).toBe(subscriptionsBefore));
  });

  test("subscriptions/listen: the acknowledgement and every event carry the listen request's id", async () => {
    const c = await connectTo(everything, "pinned");
    const updated = collectNotifications(c.client, "notifications/resources/updated");
    const subscriptionsBefore = mcp.subscriptions.size;
    const sub = await c.client.listen({
      toolsListChanged: true,
      promptsListChanged: true,
      resourceSubscriptions: ["test://watched-resource"],
    });
    try {
      expect(mcp.subscriptions.size).toBe(subscriptionsBefore + 1);
      expect(sub.honoredFilter).toEqual({
        toolsListChanged: true,
        promptsListChanged: true,
        resourceSubscriptions: ["test://watched-resource"],
      });
      const listen = c.sent.find((m) => "method" in m && m.method === "subscriptions/listen");
      const listenId = listen && idOf(listen);
      expect(listenId).toBeDefined();
      expect(notificationsOf(c.received, "notifications/subscriptions/acknowledged")).toEqual([
        {
          notifications: {
            toolsListChanged: true,
            promptsListChanged: true,
            resourceSubscriptions: ["test://watched-resource"],
          },
          _meta: { [SUBSCRIPTION_ID_META_KEY]: listenId },
        },
      ]);

      const version = textOf(await c.client.callTool({ name: "bump_watched_resource", arguments: {} }));
      expect(version).toMatch(/^version \d+$/);
      await updated.until(1);
      expect(updated.seen).toEqual([
        { uri: "test://watched-resource", _meta: { [SUBSCRIPTION_ID_META_KEY]: listenId } },
      ]);
      const read = await c.client.readResource({ uri: "test://watched-resource" });
      expect((read.contents[0] as { text: string }).text).toBe(`Watched resource content, ${version}`);
    } finally {
      await sub.close();
    }
    await vi.waitFor(() => expect(mcp.subscriptions.size).toBe(subscriptionsBefore));
  });

  test("a server shutting down ends an open subscription gracefully", async () => {
    const other = await startEverything();
    let closing: Promise<void> | undefined;
    try {
      const c = await connectTo(other, "pinned");
      const sub = await c.client.listen({ toolsListChanged: true });
      closing = other.close();
      expect(await sub.closed).toBe("graceful");
    } finally {
      await (closing ?? other.close());
    }
  });

  test("aborting slow closes its POST; the server stops it unanswered, and a following call succeeds", async () => {
    const name = "cancel-client";
    const c = await connectTo(everything, "pinned", { clientName: name });
    const controller = new AbortController();
    let firstProgress: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      firstProgress = resolve;
    });
    const call = c.client.callTool(
      { name: "slow", arguments: { ms: 5000 } },
      { signal: controller.signal, onprogress: () => firstProgress() },
    );
    await started;
    controller.abort(new Error("stop it"));
    const { message } = await sdkError(call);
    expect(message).toContain("stop it");
    const post = requestsFrom(name).findLast((r) => r.body?.method === "tools/call");
    expect(post?.body?.params).toMatchObject({ name: "slow", arguments: { ms: 5000 } });
    // The per-request stream was closed before it carried the result.
    expect((await post?.ended)?.answered).toBe(false);
    // Over HTTP the stream's closing is the cancellation: no notifications/cancelled is posted.
    expect(c.sent.some((m) => "method" in m && m.method === "notifications/cancelled")).toBe(false);
    const next = await c.client.callTool({ name: "slow", arguments: { ms: 100 } });
    expect(textOf(next)).toBe("waited 100 ms");
  });

  test("aborting a call fires the handler's ctx.signal at the server", async () => {
    let reportAbort: (reason: string) => void = () => {};
    const aborted = new Promise<string>((resolve) => {
      reportAbort = resolve;
    });
    let reportStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      reportStarted = resolve;
    });
    removeAfter.push("wait_for_cancel");
    mcp.tool("wait_for_cancel", { description: "Waits until cancelled." }, async (_args, ctx) => {
      reportStarted();
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      reportAbort(String((ctx.signal.reason as Error | undefined)?.message));
      return "cancelled";
    });
    const c = await connectTo(everything, "pinned");
    const controller = new AbortController();
    const call = c.client.callTool({ name: "wait_for_cancel", arguments: {} }, { signal: controller.signal });
    await started;
    controller.abort(new Error("never mind"));
    expect((await sdkError(call)).message).toContain("never mind");
    expect(await aborted).toBe("The client closed the response stream");
    expect(textOf(await c.client.callTool({ name: "echo", arguments: { text: "still here" } }))).toBe("still here");
  });

  test("a handler asking twice completes over two input_required rounds (requestState carries the first answer)", async () => {
    let runs = 0;
    removeAfter.push("two_questions");
    mcp.tool("two_questions", { description: "Asks two questions in turn." }, async (_args, ctx) => {
      runs += 1;
      const schema = { type: "object" as const, properties: { v: { type: "string" as const } }, required: ["v"] };
      const first = await ctx.elicit({ message: "first?", requestedSchema: schema });
      const second = await ctx.elicit({ message: "second?", requestedSchema: schema });
      return `${String(first.content?.v)} then ${String(second.content?.v)}`;
    });
    const asked: string[] = [];
    const c = await connectTo(everything, "pinned", {
      capabilities: { elicitation: {} },
      onElicit: (params) => {
        asked.push(params.message);
        return { action: "accept", content: { v: params.message.toUpperCase() } };
      },
    });
    const result = await c.client.callTool({ name: "two_questions", arguments: {} });
    expect(textOf(result)).toBe("FIRST? then SECOND?");
    expect(asked).toEqual(["first?", "second?"]);
    expect(runs).toBe(3);
    const calls = c.sent.filter((m) => "method" in m && m.method === "tools/call") as {
      id: unknown;
      params: { requestState?: string; inputResponses?: Record<string, unknown> };
    }[];
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((m) => m.id)).size).toBe(3);
    expect(calls[0]?.params.requestState).toBeUndefined();
    expect(calls[1]?.params.inputResponses).toEqual({
      "elicitation-1": { action: "accept", content: { v: "FIRST?" } },
    });
    expect(calls[2]?.params.inputResponses).toEqual({
      "elicitation-2": { action: "accept", content: { v: "SECOND?" } },
    });
    expect(calls[2]?.params.requestState).toEqual(expect.any(String));
    expect(calls[2]?.params.requestState).not.toBe(calls[1]?.params.requestState);
  });

  test("a tampered requestState is rejected with -32602", async () => {
    const c = await connectTo(everything, "pinned", { capabilities: { elicitation: {} } });
    const first = (await c.client.callTool(
      { name: "test_elicitation", arguments: { message: "Who?" } },
      { allowInputRequired: true },
    )) as unknown as { resultType: string; requestState: string; inputRequests: Record<string, unknown> };
    expect(first.resultType).toBe("input_required");
    expect(Object.keys(first.inputRequests)).toEqual(["elicitation-1"]);
    // A manual retry (the SDK's own driver is bypassed): the state as issued works, an altered one does not.
    type CallParams = Parameters<typeof c.client.callTool>[0];
    const retry = (requestState: string) =>
      c.client.callTool({
        name: "test_elicitation",
        arguments: { message: "Who?" },
        inputResponses: { "elicitation-1": { action: "decline" } },
        requestState,
      } as CallParams);
    expect(textOf(await retry(first.requestState))).toBe("User response: action=decline, content={}");
    const { code, message } = await protocolError(retry(`x${first.requestState}`));
    expect(code).toBe(-32602);
    expect(message).toContain("requestState");
  });
});
