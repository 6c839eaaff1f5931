/**
 * Modern requests over STDIO: each line picks its era by its `_meta`; modern
 * requests need no handshake, are cancelled by notifications/cancelled, and
 * subscriptions share stdout, tagged by their listen request's id.
 */
import { afterEach, describe, expect, test } from "vitest";
import { deferred } from "./helpers/deferred.js";
import { stdioHarness } from "./helpers/stdio-harness.js";

const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
const SERVER_INFO = "io.modelcontextprotocol/serverInfo";

const { start, writeLine, stop } = stdioHarness("modern-stdio", { version: "1.2.3" });

const modern = (id: number | string, method: string, params: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id,
  method,
  params: {
    ...params,
    _meta: {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": {},
      ...(params._meta as Record<string, unknown> | undefined),
    },
  },
});

afterEach(stop);

describe("modern requests over STDIO", () => {
  test("need no handshake and answer in the modern form; legacy requests still need initialize", async () => {
    const { out } = start();
    writeLine(modern(1, "tools/call", { name: "echo", arguments: { text: "hi" } }));
    expect(await out.next()).toEqual({
      jsonrpc: "2.0",
      id: 1,
      result: {
        resultType: "complete",
        content: [{ type: "text", text: "hi" }],
        _meta: { [SERVER_INFO]: { name: "modern-stdio", version: "1.2.3" } },
      },
    });
    writeLine({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    expect(await out.next()).toMatchObject({ id: 2, error: { code: -32600 } });
  });

  test("the modern error codes, without HTTP statuses", async () => {
    const { out } = start();
    writeLine(modern(1, "ping"));
    expect(await out.next()).toEqual({
      jsonrpc: "2.0",
      id: 1,
      error: { code: -32601, message: "Method not found: ping" },
    });
    writeLine({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/list",
      params: {
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2099-01-01",
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    });
    expect(await out.next()).toMatchObject({ id: 2, error: { code: -32022, data: { requested: "2099-01-01" } } });
  });

  test("notifications/cancelled cancels a modern request: its signal fires and nothing is answered", async () => {
    const started = deferred<void>();
    const aborted = deferred<unknown>();
    const { out } = start((server) => {
      server.tool("wait", {}, (_a, ctx) => {
        ctx.signal.addEventListener("abort", () => aborted.resolve(ctx.signal.reason), { once: true });
        started.resolve();
        return new Promise<string>((_r, reject) =>
          ctx.signal.addEventListener("abort", () => reject(new Error("stop"))),
        );
      });
    });
    writeLine(modern("w1", "tools/call", { name: "wait" }));
    await started.promise;
    writeLine({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "w1", reason: "enough" } });
    expect(((await aborted.promise) as Error).message).toBe("enough");
    writeLine(modern(3, "tools/call", { name: "echo", arguments: { text: "next" } }));
    expect(await out.next()).toMatchObject({ id: 3, result: { content: [{ type: "text", text: "next" }] } });
    expect(out.raw).toHaveLength(1);
  });

  test("a second request with an id still in flight is refused", async () => {
    const release = deferred<void>();
    const { out } = start((server) => {
      server.tool("held", {}, async () => {
        await release.promise;
        return "released";
      });
    });
    writeLine(modern(5, "tools/call", { name: "held" }));
    writeLine(modern(5, "tools/list"));
    expect(await out.next()).toEqual({
      jsonrpc: "2.0",
      id: 5,
      error: { code: -32600, message: "Invalid request: request id 5 is already in use" },
    });
    release.resolve();
    expect(await out.next()).toMatchObject({ id: 5, result: { content: [{ type: "text", text: "released" }] } });
  });

  test("subscriptions share stdout, tagged; notifications/cancelled ends one without an answer", async () => {
    const { out, server } = start();
    writeLine(modern("tools-sub", "subscriptions/listen", { notifications: { toolsListChanged: true } }));
    expect(await out.next()).toEqual({
      jsonrpc: "2.0",
      method: "notifications/subscriptions/acknowledged",
      params: { notifications: { toolsListChanged: true }, _meta: { [SUBSCRIPTION_ID]: "tools-sub" } },
    });
    writeLine(modern(9, "subscriptions/listen", { notifications: { resourceSubscriptions: ["test://r"] } }));
    expect(await out.next()).toMatchObject({
      method: "notifications/subscriptions/acknowledged",
      params: { _meta: { [SUBSCRIPTION_ID]: 9 } },
    });

    server.tool("new_tool", {}, () => "");
    // Only the tagged notification: no legacy session is ready, so no untagged one.
    expect(await out.next()).toEqual({
      jsonrpc: "2.0",
      method: "notifications/tools/list_changed",
      params: { _meta: { [SUBSCRIPTION_ID]: "tools-sub" } },
    });
    server.notifyResourceUpdated("test://r");
    expect(await out.next()).toEqual({
      jsonrpc: "2.0",
      method: "notifications/resources/updated",
      params: { uri: "test://r", _meta: { [SUBSCRIPTION_ID]: 9 } },
    });

    writeLine({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "tools-sub" } });
    writeLine(modern(10, "tools/list"));
    const list = (await out.next()) as { id: number };
    expect(list.id).toBe(10);
    expect(server.subscriptions.size).toBe(1);
    server.tool("another", {}, () => "");
    server.notifyResourceUpdated("test://r");
    expect(await out.next()).toMatchObject({ method: "notifications/resources/updated", params: { uri: "test://r" } });
    expect(out.raw).toHaveLength(6);
  });

  test("stdin ending closes open subscriptions, so the transport can finish", async () => {
    const { out, server, input, handle } = start();
    writeLine(modern(1, "subscriptions/listen", { notifications: { toolsListChanged: true } }));
    await out.next();
    expect(server.subscriptions.size).toBe(1);
    input.end();
    await handle.closed;
    expect(server.subscriptions.size).toBe(0);
  });
});
