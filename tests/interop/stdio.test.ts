/**
 * Interop over STDIO: the official MCP TypeScript SDK client against the
 * built examples/everything running as a child process. The transport-
 * independent tests are shared with the HTTP file; the ones here are STDIO's
 * own (stdout hygiene, exit on EOF, list changes from inside the process).
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { PassThrough } from "node:stream";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { EVERYTHING_MAIN } from "../helpers/everything.js";
import {
  asNotification,
  type ClientSetup,
  type Connection,
  connectClient,
  defineSharedInteropTests,
  type InteropTarget,
  notificationsOf,
  STDIO_EVERYTHING_SCRIPT,
} from "../helpers/sdk-client.js";

const opened: Connection[] = [];

/** Connects an SDK client to a new child process running `args` with `env` added. */
async function connectStdio(args: string[], env: Record<string, string>, setup?: ClientSetup): Promise<Connection> {
  const inner = new StdioClientTransport({
    command: process.execPath,
    args,
    env: { ...getDefaultEnvironment(), MCP_TRANSPORT: "stdio", LOG_LEVEL: "warn", ...env },
    stderr: "pipe",
  });
  // The child's logs: drained, not shown.
  (inner.stderr as PassThrough | null)?.resume();
  const connection = await connectClient(inner, setup);
  opened.push(connection);
  return connection;
}

const scriptArgs = ["--input-type=module", "-e", STDIO_EVERYTHING_SCRIPT];

const target: InteropTarget = {
  connect: (setup) => connectStdio([EVERYTHING_MAIN], {}, setup),
  connectPaged: () =>
    connectStdio(scriptArgs, { EVERYTHING_OPTIONS: JSON.stringify({ pageSize: 2, logLevel: "warn" }) }),
  // One pipe carries everything in order: once a ping is answered, whatever
  // the server wrote before has been received.
  async flush(connection) {
    await connection.client.ping();
  },
};

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
});

describe("STDIO: shared interop tests", () => {
  defineSharedInteropTests(() => target);
});

describe("STDIO: transport", () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill();
    child = undefined;
  });

  test("stdout carries only JSON-RPC lines, logs go to stderr, and the process exits 0 when stdin ends", async () => {
    const proc = spawn(process.execPath, [EVERYTHING_MAIN], {
      env: { ...process.env, MCP_TRANSPORT: "stdio", LOG_LEVEL: "debug" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    child = proc;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      proc.on("exit", (code, signal) => resolve({ code, signal }));
    });
    let stderr = "";
    proc.stderr.setEncoding("utf8");
    proc.stderr.on("data", (chunk: string) => {
      stderr += chunk;
    });
    const lines: string[] = [];
    const waiting: { done: () => boolean; resolve: () => void }[] = [];
    createInterface({ input: proc.stdout }).on("line", (line) => {
      lines.push(line);
      for (const w of waiting.splice(0)) {
        if (w.done()) w.resolve();
        else waiting.push(w);
      }
    });
    const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const answered = (ids: unknown[]) => () => ids.every((id) => parsed().some((m) => m.id === id && !("method" in m)));
    const until = (done: () => boolean) =>
      done() ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ done, resolve }));
    const send = (message: unknown) =>
      proc.stdin.write(`${typeof message === "string" ? message : JSON.stringify(message)}\n`);

    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    });
    await until(answered([1]));
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "test_tool_with_logging", arguments: {} } });
    send({
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "test_tool_with_progress", arguments: {}, _meta: { progressToken: "tok-3" } },
    });
    send({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "test_error_handling", arguments: {} } });
    send("this line is not JSON");
    send({ jsonrpc: "2.0", id: 5, method: "ping" });
    await until(() => answered([2, 3, 4, 5])() && parsed().some((m) => m.id === null));
    proc.stdin.end();
    expect(await exited).toEqual({ code: 0, signal: null });

    // Every stdout line is one JSON-RPC message.
    expect(lines.length).toBeGreaterThanOrEqual(12);
    for (const line of lines) {
      const m = JSON.parse(line) as Record<string, unknown>;
      expect(m.jsonrpc, line).toBe("2.0");
      const isNotification = typeof m.method === "string" && !("id" in m);
      const isResponse = "id" in m && ("result" in m || "error" in m) !== ("result" in m && "error" in m);
      expect(isNotification || isResponse, line).toBe(true);
    }
    const messages = parsed();
    expect(messages.find((m) => m.id === 1)).toMatchObject({ result: { protocolVersion: "2025-11-25" } });
    expect(messages.filter((m) => m.method === "notifications/message")).toHaveLength(3);
    expect(
      messages
        .filter((m) => m.method === "notifications/progress")
        .map((m) => (m.params as { progressToken: unknown; progress: number }).progress),
    ).toEqual([0, 50, 100]);
    expect(messages.find((m) => m.id === 4)).toMatchObject({ result: { isError: true } });
    expect(messages.find((m) => m.id === null)).toMatchObject({ error: { code: -32700 } });
    expect(messages.find((m) => m.id === 5)).toEqual({ jsonrpc: "2.0", id: 5, result: {} });

    // The framework's logs went to stderr, as JSON lines (pino).
    const logs = stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg?: string; level?: number });
    expect(logs.some((l) => l.msg === "chuk-everything serving MCP over STDIO")).toBe(true);
    expect(logs.some((l) => l.msg === "tool failed")).toBe(true);
    expect(lines.some((l) => l.includes("serving MCP over STDIO"))).toBe(false);
  });

  test("list_changed: a tool registered while the process runs reaches the client", async () => {
    const c = await connectStdio(scriptArgs, { EVERYTHING_OPTIONS: JSON.stringify({ logLevel: "warn" }) });
    const changes = () => notificationsOf(c.transport.received, "notifications/tools/list_changed").length;
    expect(changes()).toBe(0);
    const result = await c.client.callTool({ name: "register_tool", arguments: { name: "added_at_runtime" } });
    expect(result.content).toEqual([{ type: "text", text: "registered added_at_runtime" }]);
    // The notification was written before the tool's result, on the same pipe.
    expect(changes()).toBe(1);
    const request = c.transport.sent.findLast((m) => "method" in m && m.method === "tools/call");
    const requestId = request && "id" in request ? request.id : undefined;
    const received = c.transport.received;
    const changedAt = received.findIndex((m) => asNotification(m)?.method === "notifications/tools/list_changed");
    const answeredAt = received.findIndex((m) => "id" in m && m.id === requestId && !("method" in m));
    expect(answeredAt).toBeGreaterThan(0);
    expect(changedAt).toBeGreaterThan(0);
    expect(changedAt).toBeLessThan(answeredAt);
    const { tools } = await c.client.listTools();
    expect(tools.find((t) => t.name === "added_at_runtime")?.description).toBe("Registered at run time.");
    const fresh = await c.client.callTool({ name: "added_at_runtime", arguments: {} });
    expect(fresh.content).toEqual([{ type: "text", text: "registered at run time" }]);
  });
});
