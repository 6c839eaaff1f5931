/**
 * Interop over Streamable HTTP: the official MCP TypeScript SDK client against
 * the built examples/everything, served in this process on a loopback port.
 * The transport-independent tests are shared with the STDIO file; the ones
 * here are HTTP's own (SSE resumption, sessions) or need the server object.
 */
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import {
  asNotification,
  type ClientSetup,
  type Connection,
  connectClient,
  defineSharedInteropTests,
  type HttpEverything,
  type InteropTarget,
  notificationsOf,
  startHttpEverything,
  textOf,
} from "../helpers/sdk-client.js";

interface SeenRequest {
  method: string;
  sessionId: string | undefined;
  lastEventId: string | undefined;
  protocolVersion: string | undefined;
}

let main: HttpEverything;
let paged: HttpEverything;
/** Every HTTP request the main server received, in order. */
const seen: SeenRequest[] = [];
const opened: Connection[] = [];

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

const connectTo = async (server: HttpEverything, setup?: ClientSetup): Promise<Connection> => {
  const connection = await connectClient(new StreamableHTTPClientTransport(server.url), setup);
  opened.push(connection);
  return connection;
};

const sdkTransport = (connection: Connection): StreamableHTTPClientTransport =>
  connection.transport.inner as StreamableHTTPClientTransport;

const MARKER_URI = "test://static-text";

const target: InteropTarget = {
  connect: (setup) => connectTo(main, setup),
  connectPaged: () => connectTo(paged),
  // Resource updates ride the session's GET stream, not the POST that caused
  // them. A marker update sent now arrives on the same stream after them.
  async flush(connection) {
    const markers = () =>
      notificationsOf(connection.transport.received, "notifications/resources/updated", (p) => p.uri === MARKER_URI)
        .length;
    const before = markers();
    await connection.client.subscribeResource({ uri: MARKER_URI });
    main.server.notifyResourceUpdated(MARKER_URI);
    await connection.transport.waitFor(() => markers() > before, "the marker resource update");
    await connection.client.unsubscribeResource({ uri: MARKER_URI });
  },
};

beforeAll(async () => {
  main = await startHttpEverything(
    {},
    {
      postRegisterHook: (server) => {
        server.http?.addHook("onRequest", async (req) => {
          seen.push({
            method: req.method,
            sessionId: header(req.headers["mcp-session-id"]),
            lastEventId: header(req.headers["last-event-id"]),
            protocolVersion: header(req.headers["mcp-protocol-version"]),
          });
        });
      },
    },
  );
  paged = await startHttpEverything({ pageSize: 2 });
});

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  await Promise.all([main?.close(), paged?.close()]);
});

describe("Streamable HTTP: shared interop tests", () => {
  defineSharedInteropTests(() => target);
});

describe("Streamable HTTP: transport", () => {
  const mine: Connection[] = [];
  afterEach(async () => {
    await Promise.all(mine.splice(0).map((c) => c.close()));
  });
  const connect = async (setup?: ClientSetup) => {
    const c = await target.connect(setup);
    mine.push(c);
    return c;
  };

  test("requests after initialize carry the session id and MCP-Protocol-Version 2025-11-25", async () => {
    const c = await connect();
    const sessionId = sdkTransport(c).sessionId;
    expect(sessionId).toMatch(/^[0-9a-f]{32}$/);
    await c.client.listTools();
    const mineSeen = seen.filter((r) => r.sessionId === sessionId);
    expect(mineSeen.length).toBeGreaterThanOrEqual(2);
    expect(mineSeen.every((r) => r.protocolVersion === "2025-11-25")).toBe(true);
    // The SDK opened the standalone GET stream.
    await vi.waitFor(() =>
      expect(main.running.http?.sessions.get(sessionId as string)?.standalone.attached).toBe(true),
    );
  });

  test("test_reconnection: the SDK resumes the dropped SSE stream with GET + Last-Event-ID and gets the result", async () => {
    const c = await connect();
    const sessionId = sdkTransport(c).sessionId;
    const from = seen.length;
    const result = await c.client.callTool({ name: "test_reconnection", arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(result.content).toEqual([
      {
        type: "text",
        text: "Reconnection test completed successfully. The client resumed the stream and received this result.",
      },
    ]);
    const resumed = seen
      .slice(from)
      .filter((r) => r.method === "GET" && r.sessionId === sessionId && r.lastEventId !== undefined);
    expect(resumed).toHaveLength(1);
    // The id of the priming event of the POST's stream: `<stream>_<seq>`.
    expect(resumed[0]?.lastEventId).toMatch(/^p\d+_0$/);
    expect(c.errors).toEqual([]);
  });

  test("session termination: after DELETE the old session id gets 404", async () => {
    const c = await connect();
    const transport = sdkTransport(c);
    const sessionId = transport.sessionId as string;
    expect(main.running.http?.sessions.get(sessionId)).toBeDefined();
    await transport.terminateSession();
    expect(transport.sessionId).toBeUndefined();
    expect(main.running.http?.sessions.get(sessionId)).toBeUndefined();

    const headers = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-session-id": sessionId,
      "mcp-protocol-version": "2025-11-25",
    };
    const post = await fetch(main.url, {
      method: "POST",
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
    });
    expect(post.status).toBe(404);
    expect(await post.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32001 } });
    const get = await fetch(main.url, { headers: { ...headers, accept: "text/event-stream" } });
    expect(get.status).toBe(404);
    await get.body?.cancel();
  });

  test("cancellation ends the handler at the server: the request leaves the session's in-flight set", async () => {
    const c = await connect();
    const sessionId = sdkTransport(c).sessionId as string;
    const inflight = () => main.running.http?.sessions.get(sessionId)?.legacy.inflight.size;
    const controller = new AbortController();
    // 60 s: had cancellation no effect, the request would stay in flight far past the wait below.
    // No progress is asked for, so the POST is still to be answered as plain JSON when it is cancelled.
    const call = c.client.callTool({ name: "slow", arguments: { ms: 60_000 } }, undefined, {
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(inflight()).toBe(1));
    controller.abort(new Error("no longer needed"));
    await expect(call).rejects.toThrow("no longer needed");
    await vi.waitFor(() => expect(inflight()).toBe(0), { timeout: 5_000 });
    expect(textOf(await c.client.callTool({ name: "echo", arguments: { text: "still here" } }))).toBe("still here");
  });

  test("list_changed: a tool registered on the running server reaches the client", async () => {
    const c = await connect();
    const changes = () => notificationsOf(c.transport.received, "notifications/tools/list_changed").length;
    expect(changes()).toBe(0);
    main.server.tool("added_at_runtime", { description: "Registered while serving." }, () => "fresh");
    try {
      await c.transport.waitFor(
        (m) => asNotification(m)?.method === "notifications/tools/list_changed",
        "notifications/tools/list_changed",
      );
      expect(changes()).toBe(1);
      const { tools } = await c.client.listTools();
      expect(tools.find((t) => t.name === "added_at_runtime")?.description).toBe("Registered while serving.");
      expect(textOf(await c.client.callTool({ name: "added_at_runtime", arguments: {} }))).toBe("fresh");
    } finally {
      main.server.removeTool("added_at_runtime");
    }
    await c.transport.waitFor(() => changes() === 2, "the second notifications/tools/list_changed");
    const { tools } = await c.client.listTools();
    expect(tools.some((t) => t.name === "added_at_runtime")).toBe(false);
  });
});
