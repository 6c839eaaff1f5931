/**
 * Interop over STDIO in the 2026-07-28 era: the official MCP TypeScript SDK
 * 2.x client (pinned to 2026-07-28, and in `auto` mode, which probes on a
 * throw-away sibling process) against the built examples/everything running
 * as a child process. The transport-independent tests are shared with the
 * HTTP file; the ones here are STDIO's own (one pipe: cancellation by
 * notification, subscriptions ended by notifications/cancelled, exit on EOF).
 */
import type { ChildProcess } from "node:child_process";
import type { PassThrough } from "node:stream";
import { SUBSCRIPTION_ID_META_KEY } from "@modelcontextprotocol/client";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, describe, expect, test } from "vitest";
import { EVERYTHING_MAIN } from "../helpers/everything.js";
import { STDIO_EVERYTHING_SCRIPT } from "../helpers/sdk-client.js";
import {
  collectNotifications,
  connectModern,
  defineSharedModernTests,
  idOf,
  lastRequest,
  type Mode,
  type ModernConnection,
  type ModernSetup,
  type ModernTarget,
  notificationsOf,
  sdkError,
  textOf,
} from "../helpers/sdk2-client.js";

const opened: ModernConnection[] = [];

/** Connects an SDK 2.x client to a new child process running `args`. */
async function connectStdio(
  args: string[],
  mode: Mode,
  setup?: ModernSetup,
  env: Record<string, string> = {},
): Promise<ModernConnection<StdioClientTransport>> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args,
    env: { ...getDefaultEnvironment(), MCP_TRANSPORT: "stdio", LOG_LEVEL: "warn", ...env },
    stderr: "pipe",
  });
  // The child's logs: drained, not shown.
  (transport.stderr as PassThrough | null)?.resume();
  const connection = await connectModern(transport, mode, setup);
  opened.push(connection);
  return connection;
}

/** The everything server plus a `register_tool` tool (registers a tool while it runs). */
const scriptArgs = ["--input-type=module", "-e", STDIO_EVERYTHING_SCRIPT];
const SCRIPT_ENV = { EVERYTHING_OPTIONS: JSON.stringify({ logLevel: "warn" }) };

/** The SDK transport's child process (a private field: there is no public accessor). */
const childOf = (transport: StdioClientTransport): ChildProcess =>
  (transport as unknown as { _process: ChildProcess })._process;

const target: ModernTarget = { connect: (mode, setup) => connectStdio([EVERYTHING_MAIN], mode, setup) };

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
});

describe("STDIO (2026-07-28): shared interop tests", () => {
  defineSharedModernTests(() => target);
});

describe("STDIO (2026-07-28): transport", () => {
  test.each<Mode>(["pinned", "auto"])(
    "%s: subscriptions/listen relays a tool registered in the process, tagged, before the result that caused it",
    async (mode) => {
      const c = await connectStdio(scriptArgs, mode, {}, SCRIPT_ENV);
      expect(c.client.getProtocolEra()).toBe("modern");
      const changed = collectNotifications(c.client, "notifications/tools/list_changed");
      const sub = await c.client.listen({ toolsListChanged: true, resourcesListChanged: true });
      expect(sub.honoredFilter).toEqual({ toolsListChanged: true, resourcesListChanged: true });
      const listenId = lastRequest(c, "subscriptions/listen").id;
      expect(notificationsOf(c.received, "notifications/subscriptions/acknowledged")).toEqual([
        {
          notifications: { toolsListChanged: true, resourcesListChanged: true },
          _meta: { [SUBSCRIPTION_ID_META_KEY]: listenId },
        },
      ]);

      const result = await c.client.callTool({ name: "register_tool", arguments: { name: "added_at_runtime" } });
      expect(textOf(result)).toBe("registered added_at_runtime");
      const callId = lastRequest(c, "tools/call").id;
      const changedAt = c.received.findIndex((m) => "method" in m && m.method === "notifications/tools/list_changed");
      const answeredAt = c.received.findIndex((m) => idOf(m) === callId && !("method" in m));
      expect(changedAt).toBeGreaterThanOrEqual(0);
      expect(changedAt).toBeLessThan(answeredAt);
      await changed.until(1);
      expect(changed.seen).toEqual([{ _meta: { [SUBSCRIPTION_ID_META_KEY]: listenId } }]);
      const { tools } = await c.client.listTools();
      expect(tools.find((t) => t.name === "added_at_runtime")?.description).toBe("Registered at run time.");

      await sub.close();
      expect(await sub.closed).toBe("local");
      // STDIO has no stream to close: the SDK cancels the listen request by notification...
      expect(c.sent.at(-1)).toMatchObject({ method: "notifications/cancelled", params: { requestId: listenId } });
      // ...after which the server sends nothing for it: no response, no more events.
      const afterClose = c.received.length;
      await c.client.callTool({ name: "register_tool", arguments: { name: "added_after_close" } });
      const late = c.received.slice(afterClose);
      expect(late.filter((m) => idOf(m) === listenId)).toEqual([]);
      expect(notificationsOf(late, "notifications/tools/list_changed")).toEqual([]);
      expect(c.errors).toEqual([]);
    },
  );

  test("aborting slow sends notifications/cancelled; the handler stops and a following call succeeds", async () => {
    const c = await connectStdio([EVERYTHING_MAIN], "pinned");
    const controller = new AbortController();
    let firstProgress: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      firstProgress = resolve;
    });
    const call = c.client.callTool(
      { name: "slow", arguments: { ms: 3000 } },
      { signal: controller.signal, onprogress: () => firstProgress() },
    );
    // The tool is running at the server once its first step is reported (~300 ms in).
    await started;
    const id = lastRequest(c, "tools/call").id;
    controller.abort(new Error("stop it"));
    expect((await sdkError(call)).message).toContain("stop it");
    expect(c.sent.at(-1)).toMatchObject({ method: "notifications/cancelled", params: { requestId: id } });
    const afterAbort = c.received.length;

    // The next call runs 1 s, more than three of the cancelled tool's 300 ms
    // steps: had its handler gone on, its progress (same pipe) would have come meanwhile.
    const next = await c.client.callTool({ name: "slow", arguments: { ms: 1000 } });
    expect(textOf(next)).toBe("waited 1000 ms");
    const late = c.received.slice(afterAbort);
    expect(notificationsOf(late, "notifications/progress", (p) => p.progressToken === id)).toEqual([]);
    expect(late.filter((m) => idOf(m) === id)).toEqual([]);
    expect(c.errors).toEqual([]);
  });

  test("closing the client with a subscription open: the process ends by itself on stdin EOF, exit code 0", async () => {
    const c = await connectStdio([EVERYTHING_MAIN], "pinned");
    const child = childOf(c.transport);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    const sub = await c.client.listen({ toolsListChanged: true });
    expect(sub.honoredFilter).toEqual({ toolsListChanged: true });
    await c.close();
    expect(await exited).toEqual({ code: 0, signal: null });
    // The SDK ends stdin and escalates to SIGTERM only when the child outlives a grace period.
    expect(child.killed).toBe(false);
  });
});
