/**
 * run(): the hook order, custom routes, /health, environment handling, and a
 * graceful stop on SIGTERM with a request in flight (as a real child process).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { ChukMCPServer, ConfigError } from "@chuk-mcp/server";
import { afterEach, describe, expect, test } from "vitest";
import { EVERYTHING_MAIN } from "./helpers/everything.js";

interface ToolCallBody {
  result: { content: { text: string }[] };
}

const HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-11-25",
};

async function initialize(url: string): Promise<string> {
  const res = await fetch(url, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } },
    }),
  });
  expect(res.status).toBe(200);
  const id = res.headers.get("mcp-session-id");
  expect(id).toMatch(/^[0-9a-f]{32}$/);
  return id as string;
}

/** Starts a legacy `slow` tool call in a session (JSON answer). */
const callSlow = (url: string, session: string, ms: number): Promise<Response> =>
  fetch(url, {
    method: "POST",
    headers: { ...HEADERS, accept: "application/json", "mcp-session-id": session },
    body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "slow", arguments: { ms } } }),
  });

describe("run() in process", () => {
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  test("postRegisterHook runs after the core routes exist and before listening", async () => {
    const mcp = new ChukMCPServer("hooked", { logLevel: "silent" });
    const seen: { hasMcpRoute: boolean; listening: boolean }[] = [];
    const running = await mcp.run({
      port: 0,
      handleSignals: false,
      postRegisterHook: (server) => {
        const app = server.http;
        if (!app) throw new Error("no http app in the hook");
        seen.push({ hasMcpRoute: app.hasRoute({ method: "POST", url: "/mcp" }), listening: app.server.listening });
        app.get("/from-hook", async () => ({ hooked: true }));
      },
    });
    servers.push(running);
    expect(seen).toEqual([{ hasMcpRoute: true, listening: false }]);
    const base = new URL(running.url as string).origin;
    expect(await (await fetch(`${base}/from-hook`)).json()).toEqual({ hooked: true });
  });

  test("custom endpoints and /health are served beside /mcp", async () => {
    const mcp = new ChukMCPServer("routes", { version: "2.3.4", logLevel: "silent" });
    mcp.endpoint("GET", "/status", async () => ({ fine: true }));
    const running = await mcp.run({ port: 0, handleSignals: false, path: "/custom-mcp" });
    servers.push(running);
    expect(running.url).toMatch(/\/custom-mcp$/);
    const base = new URL(running.url as string).origin;
    expect(await (await fetch(`${base}/status`)).json()).toEqual({ fine: true });
    expect(await (await fetch(`${base}/health`)).json()).toEqual({
      status: "ok",
      name: "routes",
      version: "2.3.4",
      sessions: 0,
    });
    await initialize(running.url as string);
    expect(((await (await fetch(`${base}/health`)).json()) as { sessions: number }).sessions).toBe(1);
  });

  test("a bad PORT in the environment stops start-up with a message naming it", async () => {
    const mcp = new ChukMCPServer("env", { logLevel: "silent" });
    const saved = process.env.PORT;
    process.env.PORT = "eighty";
    try {
      const error = await mcp.run({ handleSignals: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/PORT/);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  test("close() lets an in-flight request finish", async () => {
    const { createEverythingServer } = await import("../examples/everything/dist/server.js");
    const running = await createEverythingServer({ logLevel: "silent" }).run({ port: 0, handleSignals: false });
    const url = running.url as string;
    const session = await initialize(url);
    const call = callSlow(url, session, 300);
    await new Promise((r) => setTimeout(r, 50));
    const closing = running.close();
    const res = await call;
    expect(res.status).toBe(200);
    const body = (await res.json()) as ToolCallBody;
    expect(body.result.content[0]?.text).toBe("waited 300 ms");
    await closing;
  });
});

test("close() lets an in-flight modern (2026-07-28) request finish too", async () => {
  const { createEverythingServer } = await import("../examples/everything/dist/server.js");
  const running = await createEverythingServer({ logLevel: "silent" }).run({ port: 0, handleSignals: false });
  const call = fetch(running.url as string, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "slow",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: {
        name: "slow",
        arguments: { ms: 300 },
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    }),
  });
  await new Promise((r) => setTimeout(r, 50));
  const closing = running.close();
  const res = await call;
  expect(res.status).toBe(200);
  expect(((await res.json()) as ToolCallBody).result.content[0]?.text).toBe("waited 300 ms");
  await closing;
});

describe("run() as a process", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill("SIGKILL");
    child = undefined;
  });

  async function startChild(env: Record<string, string>): Promise<{ url: string; stderr: () => string }> {
    child = spawn(process.execPath, [EVERYTHING_MAIN], {
      env: { ...process.env, PORT: "0", LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    child.stdout?.on("data", (c) => {
      stdout += c;
    });
    const url = await new Promise<string>((resolve, reject) => {
      child?.stderr?.on("data", (c) => {
        stderr += c;
        const m = /"url":"([^"]+)"/.exec(stderr);
        if (m) resolve(m[1] as string);
      });
      child?.once("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    expect(stdout).toBe("");
    return { url, stderr: () => stderr };
  }

  test("SIGTERM: the in-flight call completes, then the process exits 0", async () => {
    const { url } = await startChild({});
    const session = await initialize(url);
    const call = callSlow(url, session, 400);
    await new Promise((r) => setTimeout(r, 100));
    const exited = once(child as ChildProcess, "exit");
    child?.kill("SIGTERM");
    const res = await call;
    expect(((await res.json()) as ToolCallBody).result.content[0]?.text).toBe("waited 400 ms");
    const [code] = await exited;
    expect(code).toBe(0);
  });

  test("SIGTERM with an open standalone SSE stream still exits 0", async () => {
    const { url } = await startChild({});
    const session = await initialize(url);
    const stream = await fetch(url, {
      headers: { accept: "text/event-stream", "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    expect(stream.headers.get("x-accel-buffering")).toBe("no");
    const exited = once(child as ChildProcess, "exit");
    child?.kill("SIGTERM");
    const [code] = await exited;
    expect(code).toBe(0);
    // The stream was ended by the server, not left hanging.
    await expect(stream.text()).resolves.toBeTypeOf("string");
  });
});
