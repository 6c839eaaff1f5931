import { afterEach, describe, expect, test } from "vitest";
import { stdioHarness } from "./helpers/stdio-harness.js";

const INIT = (protocolVersion: string, id: number | string = 0) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: { protocolVersion, capabilities: {}, clientInfo: { name: "stdio-test", version: "1" } },
});

const { start, writeLine, stop } = stdioHarness("stdio-test");

afterEach(stop);

describe("STDIO transport", () => {
  test("one line in, one line out", async () => {
    const { out } = start();
    writeLine(INIT("2025-11-25", 1));
    const answer = (await out.next()) as { id: number; result: { protocolVersion: string; serverInfo: unknown } };
    expect(answer.id).toBe(1);
    expect(answer.result.protocolVersion).toBe("2025-11-25");
    expect(answer.result.serverInfo).toEqual({ name: "stdio-test", version: "0.1.0" });
    writeLine({ jsonrpc: "2.0", method: "notifications/initialized" });
    writeLine({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } });
    expect(await out.next()).toEqual({
      jsonrpc: "2.0",
      id: 2,
      result: { content: [{ type: "text", text: "hi" }] },
    });
    // Exactly one line per response, nothing for the notification.
    expect(out.raw).toHaveLength(2);
  });

  test("a line that is not JSON → -32700 with id null; the stream goes on", async () => {
    const { out } = start();
    writeLine('{"jsonrpc":"2.0","id":1,"method":');
    expect(await out.next()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32700, message: "Parse error: the line is not valid JSON" },
    });
    writeLine({ jsonrpc: "2.0", id: 2, method: "ping" });
    expect(await out.next()).toEqual({ jsonrpc: "2.0", id: 2, result: {} });
  });

  test("an invalid message → -32600 with its id; blank lines are ignored", async () => {
    const { out, input } = start();
    input.write("\n   \n");
    writeLine({ jsonrpc: "1.0", id: 9, method: "ping" });
    expect(await out.next()).toEqual({
      jsonrpc: "2.0",
      id: 9,
      error: { code: -32600, message: 'Invalid request: "jsonrpc" must be "2.0"' },
    });
    writeLine(42);
    expect(await out.next()).toMatchObject({ id: null, error: { code: -32600 } });
  });

  test("CRLF line endings are accepted", async () => {
    const { out, input } = start();
    input.write(`${JSON.stringify({ jsonrpc: "2.0", id: "crlf", method: "ping" })}\r\n`);
    expect(await out.next()).toEqual({ jsonrpc: "2.0", id: "crlf", result: {} });
  });

  test("requests before initialize are refused", async () => {
    const { out } = start();
    writeLine({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect(await out.next()).toMatchObject({ id: 1, error: { code: -32600 } });
  });

  test("batches are refused at 2025-11-25 (and before initialize)", async () => {
    const { out } = start();
    const batch = [
      { jsonrpc: "2.0", id: 1, method: "ping" },
      { jsonrpc: "2.0", id: 2, method: "ping" },
    ];
    writeLine(batch);
    expect(await out.next()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: {
        code: -32600,
        message: "Invalid request: JSON-RPC batches are not supported in protocol version 2025-11-25",
      },
    });
    writeLine(INIT("2025-11-25"));
    await out.next();
    writeLine(batch);
    expect(await out.next()).toMatchObject({ id: null, error: { code: -32600 } });
  });

  test("batches are refused at 2025-06-18", async () => {
    const { out } = start();
    writeLine(INIT("2025-06-18"));
    await out.next();
    writeLine([{ jsonrpc: "2.0", id: 1, method: "ping" }]);
    expect(await out.next()).toMatchObject({
      id: null,
      error: { code: -32600, message: expect.stringContaining("2025-06-18") },
    });
  });

  test("after initialize at 2025-03-26 a batch gets one line holding an array of responses", async () => {
    const { out } = start();
    writeLine(INIT("2025-03-26"));
    expect(await out.next()).toMatchObject({ id: 0, result: { protocolVersion: "2025-03-26" } });
    writeLine([
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: 1, method: "ping" },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: { text: "b" } } },
      { jsonrpc: "1.0", id: 3, method: "ping" },
      { jsonrpc: "2.0", id: 4, method: "no/such" },
    ]);
    const answer = await out.next();
    expect(answer).toEqual([
      { jsonrpc: "2.0", id: 1, result: {} },
      { jsonrpc: "2.0", id: 2, result: { content: [{ type: "text", text: "b" }] } },
      { jsonrpc: "2.0", id: 3, error: { code: -32600, message: 'Invalid request: "jsonrpc" must be "2.0"' } },
      { jsonrpc: "2.0", id: 4, error: { code: -32601, message: "Method not found: no/such" } },
    ]);
  });

  test("an empty batch is refused", async () => {
    const { out } = start();
    writeLine(INIT("2025-03-26"));
    await out.next();
    writeLine([]);
    expect(await out.next()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, message: "Invalid request: empty batch" },
    });
  });

  test("a batch of notifications only writes nothing", async () => {
    const { out } = start();
    writeLine(INIT("2025-03-26"));
    await out.next();
    writeLine([{ jsonrpc: "2.0", method: "notifications/initialized" }]);
    writeLine({ jsonrpc: "2.0", id: "after", method: "ping" });
    expect(await out.next()).toEqual({ jsonrpc: "2.0", id: "after", result: {} });
    expect(out.raw).toHaveLength(2);
  });

  test("notifications a handler sends go to stdout before its response", async () => {
    const { out } = start((s) =>
      s.tool("progress", {}, async (_a, ctx) => {
        await ctx.progress(1, 2);
        return "done";
      }),
    );
    writeLine(INIT("2025-11-25"));
    await out.next();
    writeLine({
      jsonrpc: "2.0",
      id: 5,
      method: "tools/call",
      params: { name: "progress", _meta: { progressToken: "p" } },
    });
    expect(await out.next()).toEqual({
      jsonrpc: "2.0",
      method: "notifications/progress",
      params: { progressToken: "p", progress: 1, total: 2 },
    });
    expect(await out.next()).toMatchObject({ id: 5, result: { content: [{ type: "text", text: "done" }] } });
  });

  test("the transport closes when input ends, after in-flight requests are answered", async () => {
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const { out, server, input, handle } = start((s) =>
      s.tool("slow", {}, async () => {
        started();
        await new Promise<void>((r) => {
          release = r;
        });
        return "late";
      }),
    );
    const detached: unknown[] = [];
    const detach = server.detachSession.bind(server);
    server.detachSession = (session) => {
      detached.push(session);
      detach(session);
    };
    writeLine(INIT("2025-11-25"));
    await out.next();
    writeLine({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "slow" } });
    await running;
    input.end();
    let closed = false;
    const closing = handle.closed.then(() => {
      closed = true;
    });
    // Input has ended (readline has closed) but the request is still running: not closed yet.
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    release();
    expect(await out.next()).toMatchObject({ id: 7, result: { content: [{ type: "text", text: "late" }] } });
    await closing;
    expect(closed).toBe(true);
    expect(detached).toHaveLength(1);
  });

  test("close() stops reading: later input is not answered", async () => {
    const { out, handle } = start();
    writeLine({ jsonrpc: "2.0", id: 1, method: "ping" });
    expect(await out.next()).toMatchObject({ id: 1 });
    await handle.close();
    writeLine({ jsonrpc: "2.0", id: 2, method: "ping" });
    await new Promise((r) => setImmediate(r));
    expect(out.raw).toHaveLength(1);
  });
});
