/**
 * Both eras against the SAME running server at the same time: the official
 * SDK 1.x client (legacy: initialize, a session, server→client requests) and
 * the SDK 2.x client pinned to 2026-07-28 (stateless: per-request `_meta`,
 * input-required rounds, subscriptions/listen), plus a 2.x client in `auto`
 * mode, which must choose the modern era although the server also speaks
 * the legacy one.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { ChukMCPServer } from "@chuk-mcp/server";
import {
  StreamableHTTPClientTransport as ModernHttpTransport,
  SUBSCRIPTION_ID_META_KEY,
} from "@modelcontextprotocol/client";
import { StreamableHTTPClientTransport as LegacyHttpTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type StartedServer, startEverything } from "../helpers/everything.js";
import { type Connection, connectClient, notificationsOf as legacyNotificationsOf } from "../helpers/sdk-client.js";
import {
  collectNotifications,
  connectModern,
  lastRequest,
  type ModernConnection,
  notificationsOf,
  textOf,
} from "../helpers/sdk2-client.js";

interface SeenRequest {
  httpMethod: string;
  headers: IncomingHttpHeaders;
  body: { method?: string; params?: { _meta?: Record<string, unknown> } } | undefined;
}

let everything: StartedServer;
let mcp: ChukMCPServer;
const seen: SeenRequest[] = [];

/** SDK 1.x; answers elicitation with `legacyAnswer`. */
let legacy: Connection;
/** SDK 2.x pinned to 2026-07-28; answers elicitation with `modernAnswer`. */
let modern: ModernConnection<ModernHttpTransport>;
/** SDK 2.x in auto mode. */
let auto: ModernConnection<ModernHttpTransport>;
const legacyElicited: string[] = [];
const modernElicited: string[] = [];

const clientNameOf = (r: SeenRequest): unknown =>
  (r.body?.params?._meta?.["io.modelcontextprotocol/clientInfo"] as { name?: string } | undefined)?.name;

beforeAll(async () => {
  everything = await startEverything({
    postRegisterHook: (server) => {
      mcp = server;
      server.http?.addHook("preHandler", async (req) => {
        seen.push({ httpMethod: req.method, headers: req.headers, body: req.body as SeenRequest["body"] });
      });
    },
  });
  const url = new URL(everything.url);
  [legacy, modern, auto] = await Promise.all([
    connectClient(new LegacyHttpTransport(url), {
      capabilities: { elicitation: {} },
      onElicit: (params) => {
        legacyElicited.push(params.message);
        return { action: "accept", content: { username: "legacy-user", email: "legacy@example.com" } };
      },
    }),
    connectModern(new ModernHttpTransport(url), "pinned", {
      clientName: "modern-pinned",
      capabilities: { elicitation: {} },
      onElicit: (params) => {
        modernElicited.push(params.message);
        return { action: "accept", content: { username: "modern-user", email: "modern@example.com" } };
      },
    }),
    connectModern(new ModernHttpTransport(url), "auto", { clientName: "modern-auto" }),
  ]);
});

afterAll(async () => {
  await Promise.all([legacy, modern, auto].map((c) => c?.close()));
  await everything?.close();
});

describe("SDK 1.x (legacy) and SDK 2.x (2026-07-28) clients on one server", () => {
  test("each client is in its own era: the legacy one holds a session, the modern ones none", () => {
    expect(legacy.client.getServerVersion()).toMatchObject({ name: "chuk-everything", version: "0.1.0" });
    const sessionId = (legacy.transport.inner as LegacyHttpTransport).sessionId;
    expect(sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(everything.running.http?.sessions.get(sessionId as string)).toBeDefined();
    expect(everything.running.http?.sessions.size).toBe(1);
    expect(modern.client.getProtocolEra()).toBe("modern");
    expect(auto.client.getProtocolEra()).toBe("modern");
    expect(auto.client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    expect(modern.transport.sessionId).toBeUndefined();
    expect(auto.transport.sessionId).toBeUndefined();
  });

  test("interleaved calls from all three at once all succeed, each on its own terms", async () => {
    const from = seen.length;
    const calls: Promise<{ who: string; text: string }>[] = [];
    for (let i = 0; i < 6; i++) {
      for (const [who, c] of [
        ["legacy", legacy],
        ["modern", modern],
        ["auto", auto],
      ] as const) {
        const call =
          i % 2 === 0
            ? c.client.callTool({ name: "echo", arguments: { text: `${who}-${i}` } })
            : c.client.callTool({ name: "add", arguments: { a: i, b: who.length } });
        calls.push(call.then((r) => ({ who, text: textOf(r) })));
      }
    }
    const results = await Promise.all(calls);
    let k = 0;
    for (let i = 0; i < 6; i++) {
      for (const who of ["legacy", "modern", "auto"]) {
        expect(results[k++]).toEqual({
          who,
          text: i % 2 === 0 ? `${who}-${i}` : JSON.stringify({ sum: i + who.length }),
        });
      }
    }

    const sessionId = (legacy.transport.inner as LegacyHttpTransport).sessionId;
    const posts = seen.slice(from).filter((r) => r.httpMethod === "POST");
    const legacyPosts = posts.filter((r) => r.headers["mcp-session-id"] !== undefined);
    const modernPosts = posts.filter((r) => r.headers["mcp-session-id"] === undefined);
    expect(legacyPosts).toHaveLength(6);
    expect(modernPosts).toHaveLength(12);
    for (const r of legacyPosts) {
      expect(r.headers["mcp-session-id"]).toBe(sessionId);
      expect(r.headers["mcp-protocol-version"]).toBe("2025-11-25");
      expect(r.body?.params?._meta?.["io.modelcontextprotocol/protocolVersion"]).toBeUndefined();
    }
    for (const r of modernPosts) {
      expect(r.headers["mcp-protocol-version"]).toBe("2026-07-28");
      expect(r.body?.params?._meta?.["io.modelcontextprotocol/protocolVersion"]).toBe("2026-07-28");
    }
    expect(modernPosts.filter((r) => clientNameOf(r) === "modern-pinned")).toHaveLength(6);
    expect(modernPosts.filter((r) => clientNameOf(r) === "modern-auto")).toHaveLength(6);
    // Still one session: the modern requests made none.
    expect(everything.running.http?.sessions.size).toBe(1);
  });

  test("elicitation in both eras at once: a server→client request for the legacy client, an input_required round for the modern one", async () => {
    legacyElicited.length = 0;
    modernElicited.length = 0;
    const [fromLegacy, fromModern] = await Promise.all([
      legacy.client.callTool({ name: "test_elicitation", arguments: { message: "Legacy, who are you?" } }),
      modern.client.callTool({ name: "test_elicitation", arguments: { message: "Modern, who are you?" } }),
    ]);
    expect(textOf(fromLegacy)).toBe(
      'User response: action=accept, content={"username":"legacy-user","email":"legacy@example.com"}',
    );
    expect(textOf(fromModern)).toBe(
      'User response: action=accept, content={"username":"modern-user","email":"modern@example.com"}',
    );
    expect(legacyElicited).toEqual(["Legacy, who are you?"]);
    expect(modernElicited).toEqual(["Modern, who are you?"]);
    // The legacy client was asked by a JSON-RPC request; the modern one never gets one.
    expect(legacy.transport.received.some((m) => "method" in m && m.method === "elicitation/create" && "id" in m)).toBe(
      true,
    );
    expect(modern.received.some((m) => "method" in m && m.method === "elicitation/create")).toBe(false);
    expect(
      modern.received.some(
        (m) => "result" in m && (m.result as { resultType?: string }).resultType === "input_required",
      ),
    ).toBe(true);
  });

  test("progress in both eras at once, each on its own request", async () => {
    const legacySeen: number[] = [];
    const modernSeen: number[] = [];
    const [a, b] = await Promise.all([
      legacy.client.callTool({ name: "slow", arguments: { ms: 200 } }, undefined, {
        onprogress: (p) => legacySeen.push(p.progress),
      }),
      modern.client.callTool(
        { name: "slow", arguments: { ms: 300 } },
        { onprogress: (p) => modernSeen.push(p.progress) },
      ),
    ]);
    expect(textOf(a)).toBe("waited 200 ms");
    expect(textOf(b)).toBe("waited 300 ms");
    const steps = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const legacyRequest = legacy.transport.sent.findLast((m) => "method" in m && m.method === "tools/call");
    const legacyToken = legacyRequest && "id" in legacyRequest ? legacyRequest.id : undefined;
    expect(
      legacyNotificationsOf(
        legacy.transport.received,
        "notifications/progress",
        (p) => p.progressToken === legacyToken,
      ).map((p) => p.progress),
    ).toEqual(steps);
    const modernToken = lastRequest(modern, "tools/call").id;
    expect(
      notificationsOf(modern.received, "notifications/progress", (p) => p.progressToken === modernToken).map(
        (p) => p.progress,
      ),
    ).toEqual(steps);
    // Each callback saw an in-order prefix of its own steps (the last may race the response, see sdk2-client.ts).
    for (const values of [legacySeen, modernSeen]) {
      expect(values.length).toBeGreaterThanOrEqual(5);
      expect(values).toEqual(steps.slice(0, values.length));
    }
  });

  test("a tool registered on the running server reaches both: the legacy session stream and the modern listen stream", async () => {
    const modernChanged = collectNotifications(modern.client, "notifications/tools/list_changed");
    const legacyChanges = () =>
      legacyNotificationsOf(legacy.transport.received, "notifications/tools/list_changed").length;
    const legacyBefore = legacyChanges();
    const sub = await modern.client.listen({ toolsListChanged: true });
    const listenId = lastRequest(modern, "subscriptions/listen").id;
    try {
      mcp.tool("added_for_both", { description: "Registered while both eras are connected." }, () => "both");
      await Promise.all([
        modernChanged.until(1),
        legacy.transport.waitFor(() => legacyChanges() > legacyBefore, "notifications/tools/list_changed (legacy)"),
      ]);
      expect(modernChanged.seen).toEqual([{ _meta: { [SUBSCRIPTION_ID_META_KEY]: listenId } }]);
      expect(legacyChanges()).toBe(legacyBefore + 1);
      // The legacy notification is untagged: it belongs to the session, not to a subscription.
      const legacyNote = legacyNotificationsOf(legacy.transport.received, "notifications/tools/list_changed").at(-1);
      expect(legacyNote).toEqual({});
      const [legacyTools, modernTools] = await Promise.all([legacy.client.listTools(), modern.client.listTools()]);
      expect(legacyTools.tools.some((t) => t.name === "added_for_both")).toBe(true);
      expect(modernTools.tools.some((t) => t.name === "added_for_both")).toBe(true);
      const [x, y] = await Promise.all([
        legacy.client.callTool({ name: "added_for_both", arguments: {} }),
        modern.client.callTool({ name: "added_for_both", arguments: {} }),
      ]);
      expect([textOf(x), textOf(y)]).toEqual(["both", "both"]);
    } finally {
      await sub.close();
      mcp.removeTool("added_for_both");
    }
    // The auto client opened no subscription and got nothing.
    expect(notificationsOf(auto.received, "notifications/tools/list_changed")).toEqual([]);
  });
});
