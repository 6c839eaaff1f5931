/**
 * 2026-07-28 clients need no affinity: each request stands alone, so the
 * round-robin proxy spreads them over both instances, and an input-required
 * round started on one instance is completed on the other (its
 * `requestState` is signed with the secret every instance shares).
 */
import type { CallToolResult } from "@modelcontextprotocol/client";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { describe, expect, test } from "vitest";
import { useCluster } from "../helpers/cluster.js";
import { type Json, jsonOf, META, modernBody, modernPost, SseReader } from "../helpers/mcp-http.js";
import { structured } from "../helpers/oauth-client.js";
import { connectModern } from "../helpers/sdk2-client.js";

const cluster = useCluster();

/** The instance that answered the latest request through the proxy. */
const lastBackend = (): string | undefined => cluster.proxy.requests.at(-1)?.backend;

const ELICITATION = { elicitation: {} };

describe("plain fetch, 2026-07-28", () => {
  test("consecutive requests are answered by alternating instances, each one complete", async () => {
    const ran: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const body = modernBody("tools/call", { name: "count", arguments: { n: 1, intervalMs: 0 } });
      const res = await jsonOf(await modernPost(cluster.mcpUrl, body), 200);
      expect(res.result?.resultType).toBe("complete");
      const out = res.result?.structuredContent as { counted: number; instance: string };
      expect(out.counted).toBe(1);
      // The tool names the instance that ran it: the one the proxy says answered.
      expect(out.instance).toBe(lastBackend());
      ran.push(out.instance);
    }
    expect(new Set(ran)).toEqual(new Set(["a", "b"]));
    expect(ran[0]).not.toBe(ran[1]);
  });

  test("an input-required round (ask) started on one instance is completed on the other", async () => {
    const params = { name: "ask", arguments: { question: "Ship it?" } };
    const first = await jsonOf(
      await modernPost(cluster.mcpUrl, modernBody("tools/call", { ...params, _meta: META({}, ELICITATION) })),
      200,
    );
    const startedOn = lastBackend();
    expect(first.result?.resultType).toBe("input_required");
    const requests = first.result?.inputRequests as Record<string, { method: string; params: Json }>;
    expect(Object.keys(requests)).toEqual(["confirm"]);
    expect(requests.confirm).toMatchObject({ method: "elicitation/create", params: { message: "Ship it?" } });
    expect(first.result?.requestState).toEqual(expect.any(String));

    const retry = await jsonOf(
      await modernPost(
        cluster.mcpUrl,
        modernBody("tools/call", {
          ...params,
          inputResponses: { confirm: { action: "accept", content: { confirm: true } } },
          requestState: first.result?.requestState,
          _meta: META({}, ELICITATION),
        }),
      ),
      200,
    );
    const finishedOn = lastBackend();
    expect(finishedOn).not.toBe(startedOn);
    expect(retry.result).toMatchObject({
      resultType: "complete",
      structuredContent: { action: "accept", confirmed: true, instance: finishedOn },
    });
  });

  test("progress streams through the proxy as SSE, from whichever instance runs the call", async () => {
    const body = modernBody("tools/call", {
      name: "count",
      arguments: { n: 3, intervalMs: 20 },
      _meta: META({ progressToken: "cluster-progress" }),
    });
    const res = await modernPost(cluster.mcpUrl, body);
    expect(res.status).toBe(200);
    const messages = await new SseReader(res).rest();
    const ranOn = lastBackend();
    const progress = messages.filter((m) => m.method === "notifications/progress").map((m) => m.params as Json);
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3]);
    expect(progress.map((p) => p.message)).toEqual([1, 2, 3].map((i) => `${i} of 3 on ${ranOn}`));
    const last = messages.at(-1);
    expect(last?.id).toBe(body.id);
    expect((last?.result as Json | undefined)?.structuredContent).toEqual({ counted: 3, instance: ranOn });
  });
});

describe("SDK 2.x client, 2026-07-28", () => {
  test("the SDK's elicitation round crosses instances and the tool completes", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(cluster.mcpUrl));
    const asked: string[] = [];
    const conn = await connectModern(transport, "pinned", {
      clientName: "cluster modern (SDK 2.x)",
      capabilities: ELICITATION,
      onElicit: (p) => {
        asked.push(p.message);
        return { action: "accept", content: { confirm: true } };
      },
    });
    try {
      const from = cluster.proxy.requests.length;
      const out = structured(
        (await conn.client.callTool({ name: "ask", arguments: { question: "Deploy?" } })) as CallToolResult,
      );
      expect(asked).toEqual(["Deploy?"]);
      const calls = cluster.proxy.requests.slice(from).filter((r) => r.method === "POST");
      expect(calls).toHaveLength(2);
      expect(calls[0]?.backend).not.toBe(calls[1]?.backend);
      expect(out).toEqual({ action: "accept", confirmed: true, instance: calls[1]?.backend });
    } finally {
      await conn.close();
    }
  });
});
