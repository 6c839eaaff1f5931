/**
 * Legacy (2025-11-25) MCP sessions across two instances with no affinity: a
 * session opened on instance a is served wherever the round-robin proxy
 * sends each later request. What one instance learns (the log level, the
 * subscriptions) holds on the other; a client's answer or cancellation that
 * lands on the instance not running the request reaches the one that is; the
 * GET stream held by one instance carries the notifications caused on the
 * other; and DELETE on one ends the session on both.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { useCluster } from "../helpers/cluster.js";
import { type Json, jsonOf, LEGACY, openLegacySession, post, SseReader } from "../helpers/mcp-http.js";
import { structured } from "../helpers/oauth-client.js";

const cluster = useCluster();

/** The instance that answered the latest request through the proxy. */
const lastBackend = (): string | undefined => cluster.proxy.requests.at(-1)?.backend;

let nextId = 100;

/** A JSON-RPC request in the session. */
const request = (headers: Record<string, string>, method: string, params: Json = {}, id = ++nextId) =>
  post(cluster.mcpUrl, { jsonrpc: "2.0", id, method, params }, headers);

/**
 * Reads a response in the background (SSE message by message, or one JSON
 * body), so a test can wait for a message (bounded) or for the end.
 */
function collect(res: Response) {
  const messages: Json[] = [];
  let ended = false;
  const done = (async () => {
    try {
      if (res.headers.get("content-type")?.startsWith("application/json")) {
        messages.push((await res.json()) as Json);
        return;
      }
      const reader = new SseReader(res);
      for (let m = await reader.next(); m !== undefined; m = await reader.next()) messages.push(m);
    } catch {
      // A connection cut (an aborted GET) ends the stream like its end does.
    } finally {
      ended = true;
    }
  })();
  return {
    messages,
    get ended() {
      return ended;
    },
    /** Resolves once the stream has ended, or fails after `ms`. */
    async end(ms = 5_000): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the stream did not end within ${ms} ms`)), ms);
      });
      await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    },
    /** The first message (already here or still to come) matching `match`, or a failure after `ms`. */
    async waitFor(match: (m: Json) => boolean, what: string, ms = 5_000): Promise<Json> {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = messages.find(match);
        if (found) return found;
        if (ended || Date.now() > deadline) {
          throw new Error(`${what}: not received within ${ms} ms (got ${JSON.stringify(messages)})`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

describe("the SDK 1.x client's session, opened on a, served by both", () => {
  let client: Client;
  const asked: string[] = [];

  beforeAll(async () => {
    await cluster.steerTo("a");
    client = new Client({ name: "cluster legacy (SDK 1.x)", version: "1.0.0" }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(req.params.message);
      return { action: "accept", content: { confirm: true } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(cluster.mcpUrl)));
  });
  afterAll(async () => {
    await client?.close();
  });

  test("initialize was answered by a; later tools/call are answered by both instances", async () => {
    const initialize = cluster.proxy.requests.find((r) => r.method === "POST");
    expect(initialize?.backend).toBe("a");
    const ran: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const out = structured(await client.callTool({ name: "count", arguments: { n: 1, intervalMs: 0 } }));
      expect(out.counted).toBe(1);
      ran.push(out.instance);
    }
    expect(new Set(ran)).toEqual(new Set(["a", "b"]));
  });

  test("ask: the elicitation sent by the instance running the tool is answered by a POST that lands on the other", async () => {
    const from = cluster.proxy.requests.length;
    const out = structured(await client.callTool({ name: "ask", arguments: { question: "Across instances?" } }));
    expect(asked).toEqual(["Across instances?"]);
    const postsSince = () => cluster.proxy.requests.slice(from).filter((r) => r.method === "POST");
    // The tools/call, then the client's answer to elicitation/create. The proxy records a request
    // when its answer's headers arrive: the answer's 202 may come after the tool's result (the
    // instance that took it tells the other at once, then answers).
    await expect.poll(() => postsSince().length).toBeGreaterThanOrEqual(2);
    const posts = postsSince();
    expect(posts[1]?.backend).not.toBe(posts[0]?.backend);
    expect(out).toEqual({ action: "accept", confirmed: true, instance: posts[0]?.backend });
  });
});

describe("a raw session, request by request", () => {
  let session: Record<string, string>;

  beforeAll(async () => {
    await cluster.steerTo("a");
    session = await openLegacySession(cluster.mcpUrl);
  });

  test("logging/setLevel on one instance governs the log messages of a tool run on the other", async () => {
    // Before: the session's level is the default (info), so count's debug messages are not sent.
    const quiet = collect(await request(session, "tools/call", { name: "count", arguments: { n: 2, intervalMs: 0 } }));
    await quiet.end();
    const quietOn = lastBackend();
    expect(quiet.messages.filter((m) => m.method === "notifications/message")).toEqual([]);

    const set = await jsonOf(await request(session, "logging/setLevel", { level: "debug" }), 200);
    expect(set.error).toBeUndefined();
    const setOn = lastBackend();
    expect(setOn).not.toBe(quietOn);

    const loud = collect(await request(session, "tools/call", { name: "count", arguments: { n: 2, intervalMs: 0 } }));
    await loud.end();
    const loudOn = lastBackend();
    expect(loudOn).not.toBe(setOn);
    const logs = loud.messages.filter((m) => m.method === "notifications/message").map((m) => m.params);
    expect(logs).toEqual([
      { level: "debug", data: { counted: 1, instance: loudOn } },
      { level: "debug", data: { counted: 2, instance: loudOn } },
    ]);
  });

  test("a cancellation sent to the other instance stops the running count", async () => {
    const id = ++nextId;
    const stream = collect(
      await request(
        session,
        "tools/call",
        { name: "count", arguments: { n: 50, intervalMs: 100 }, _meta: { progressToken: "cancel-me" } },
        id,
      ),
    );
    const runningOn = lastBackend();
    await stream.waitFor((m) => m.method === "notifications/progress", "the first progress notification");
    const cancel = await post(
      cluster.mcpUrl,
      { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: "enough" } },
      session,
    );
    expect(cancel.status).toBe(202);
    expect(lastBackend()).not.toBe(runningOn);
    const progressAtCancel = stream.messages.length;
    // Cancelled, the request gets no answer and its stream ends; uncancelled it would run 5 s more.
    await stream.end(3_000);
    expect(stream.messages.some((m) => m.id === id)).toBe(false);
    expect(stream.messages.length - progressAtCancel).toBeLessThanOrEqual(2);
  });

  test("the GET stream held by one instance receives list_changed and resources/updated caused on the other", async () => {
    const abort = new AbortController();
    const get = await fetch(cluster.mcpUrl, {
      method: "GET",
      headers: {
        accept: "text/event-stream",
        "mcp-session-id": session["mcp-session-id"] as string,
        "mcp-protocol-version": LEGACY,
      },
      signal: abort.signal,
    });
    expect(get.status).toBe(200);
    const heldBy = lastBackend();
    const stream = collect(get);
    try {
      const added = await jsonOf(
        await request(session, "tools/call", { name: "add_tool", arguments: { name: "added_elsewhere" } }),
        200,
      );
      expect(lastBackend()).not.toBe(heldBy);
      expect(added.result?.structuredContent).toEqual({ added: "added_elsewhere", instance: lastBackend() });
      await stream.waitFor((m) => m.method === "notifications/tools/list_changed", "tools/list_changed");

      const subscribed = await jsonOf(await request(session, "resources/subscribe", { uri: "note://current" }), 200);
      expect(subscribed.error).toBeUndefined();
      // set_note runs on whichever instance is next; make it the one not holding the stream.
      await cluster.steerTo(heldBy === "a" ? "b" : "a");
      const set = await jsonOf(
        await request(session, "tools/call", { name: "set_note", arguments: { text: "from the other side" } }),
        200,
      );
      expect(set.result?.structuredContent).toMatchObject({ note: "from the other side" });
      expect(lastBackend()).not.toBe(heldBy);
      const updated = await stream.waitFor(
        (m) => m.method === "notifications/resources/updated",
        "resources/updated for note://current",
      );
      expect(updated.params).toEqual({ uri: "note://current" });
      // The note itself is shared: read back on whichever instance.
      const read = await jsonOf(await request(session, "resources/read", { uri: "note://current" }), 200);
      expect(read.result?.contents).toEqual([
        { uri: "note://current", mimeType: "text/plain", text: "from the other side" },
      ]);
    } finally {
      abort.abort();
      await stream.end().catch(() => undefined);
    }
  });

  test("DELETE on one instance ends the session on both: 404 afterwards on each", async () => {
    const deleted = await fetch(cluster.mcpUrl, { method: "DELETE", headers: session });
    expect(deleted.status).toBeLessThan(300);
    const deletedOn = lastBackend();
    const after: (string | undefined)[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await request(session, "tools/call", { name: "echo", arguments: { text: "gone?" } });
      expect(res.status).toBe(404);
      await res.body?.cancel();
      after.push(lastBackend());
    }
    expect(new Set(after)).toEqual(new Set(["a", "b"]));
    expect(after[0]).not.toBe(deletedOn);
  });
});
