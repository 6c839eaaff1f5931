/**
 * Legacy MCP sessions shared between two instances on one real Redis (the
 * OAuth middleware shares them when its store is on Redis): every step of a
 * session may land on either instance. Two servers in this process, each on
 * its own port, share nothing but Redis; tests/cluster runs them as
 * separate processes behind a proxy.
 */
import { randomBytes } from "node:crypto";
import type { ChukMCPServer } from "@chuk-mcp/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { type StartedOAuthServer, startOAuthServer } from "../packages/oauth/test/helpers/oauth-server.js";
import { startRedis, type TestRedis } from "../packages/oauth/test/helpers/redis.js";
import {
  ACCEPT_BOTH,
  type Json,
  jsonOf,
  LEGACY,
  META,
  modernBody,
  modernPost,
  post,
  SseReader,
} from "./helpers/mcp-http.js";

/** What the handlers saw, per instance. */
interface Seen {
  cancelled: number;
}

function tools(seen: Seen) {
  return (server: ChukMCPServer) => {
    server.tool("shout", {}, async (_args, ctx) => {
      await ctx.log("debug", "a debug line");
      return "done";
    });
    server.tool("ask", {}, async (_args, ctx) => {
      const answer = await ctx.elicit({
        message: "Proceed?",
        requestedSchema: { type: "object", properties: { ok: { type: "boolean" } } },
      });
      return { action: answer.action, content: answer.content ?? null };
    });
    server.tool("wait", {}, (_args, ctx) => {
      return new Promise<string>((resolve) => {
        ctx.signal.addEventListener("abort", () => {
          seen.cancelled++;
          resolve("cancelled");
        });
      });
    });
    server.tool("steps", { input: { n: z.number().int() } }, async ({ n }, ctx) => {
      await ctx.progress(1, n);
      // The client reconnects (elsewhere) for the rest.
      ctx.closeStream();
      for (let i = 2; i <= n; i++) {
        await new Promise((r) => setTimeout(r, 20));
        await ctx.progress(i, n);
      }
      return `${n} steps`;
    });
    server.tool("later", {}, async (_args, ctx) => {
      // Nothing sent before the client is let go: it resumes from the priming event.
      ctx.closeStream();
      await new Promise((r) => setTimeout(r, 50));
      return "later";
    });
    server.tool("confirm_task", { task: "optional" }, async (_args, ctx) => {
      const answer = await ctx.elicit(
        { message: "Go?", requestedSchema: { type: "object", properties: { ok: { type: "boolean" } } } },
        { key: "go" },
      );
      return `answered ${answer.action}`;
    });
    server.tool("long_task", { task: "optional" }, (_args, ctx) => {
      return new Promise<string>((_resolve, reject) => {
        ctx.signal.addEventListener("abort", () => {
          seen.cancelled++;
          reject(new Error("cancelled"));
        });
      });
    });
    let added = 0;
    server.tool("add_tool", {}, () => {
      server.tool(`extra_${++added}`, {}, () => "extra");
      return "added";
    });
    let note = "first";
    server.resource("note://current", { name: "note", mimeType: "text/plain" }, () => note);
    server.tool("set_note", { input: { text: z.string() } }, ({ text }) => {
      note = text;
      server.notifyResourceUpdated("note://current");
      return "set";
    });
  };
}

let redis: TestRedis;
let a: StartedOAuthServer;
let b: StartedOAuthServer;
const seenA: Seen = { cancelled: 0 };
const seenB: Seen = { cancelled: 0 };

beforeAll(async () => {
  redis = await startRedis();
  const env = {
    SESSION_PROVIDER: "redis",
    SESSION_REDIS_URL: redis.url,
    OAUTH_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  };
  const quiet = { logger: { warn: () => undefined } };
  a = await startOAuthServer({ env, setup: tools(seenA), provider: quiet });
  b = await startOAuthServer({ env, setup: tools(seenB), provider: quiet });
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.stop();
});

let nextId = 0;
const request = (method: string, params: Json = {}) => ({ jsonrpc: "2.0", id: ++nextId, method, params });

/** Opens a session on `on` and acknowledges it on `ackOn`: the session's headers. */
async function openSession(on: StartedOAuthServer, ackOn: StartedOAuthServer): Promise<Record<string, string>> {
  const init = await post(
    on.mcpUrl,
    request("initialize", {
      protocolVersion: LEGACY,
      capabilities: { elicitation: {} },
      clientInfo: { name: "shared-test", version: "1.0.0" },
    }),
    { "content-type": "application/json", accept: ACCEPT_BOTH },
  );
  const body = await jsonOf(init, 200);
  expect(body.result?.protocolVersion).toBe(LEGACY);
  const headers = {
    "content-type": "application/json",
    accept: ACCEPT_BOTH,
    "mcp-session-id": init.headers.get("mcp-session-id") as string,
    "mcp-protocol-version": LEGACY,
  };
  const ack = await post(ackOn.mcpUrl, { jsonrpc: "2.0", method: "notifications/initialized" }, headers);
  expect(ack.status).toBe(202);
  return headers;
}

const call = (name: string, args: Json = {}, meta?: Json) =>
  request("tools/call", { name, arguments: args, ...(meta ? { _meta: meta } : {}) });

/** The final answer in a POST's response (JSON, or the last message of its SSE stream), and what came before. */
async function answer(res: Response): Promise<{ result: Json | undefined; before: Json[] }> {
  if ((res.headers.get("content-type") ?? "").startsWith("application/json")) {
    return { result: ((await res.json()) as Json).result as Json, before: [] };
  }
  const messages = await new SseReader(res).rest();
  const last = messages.at(-1);
  return { result: last?.result as Json | undefined, before: messages.slice(0, -1) };
}

const textOf = (result: Json | undefined): string =>
  ((result?.content as { text: string }[] | undefined)?.[0]?.text ?? "") as string;

/** Opens the standalone GET stream on `on` (after `lastEventId`, when given). */
async function listen(on: StartedOAuthServer, headers: Record<string, string>, lastEventId?: string) {
  const res = await fetch(on.mcpUrl, {
    headers: {
      accept: "text/event-stream",
      "mcp-session-id": headers["mcp-session-id"] as string,
      "mcp-protocol-version": LEGACY,
      ...(lastEventId ? { "last-event-id": lastEventId } : {}),
    },
  });
  expect(res.status).toBe(200);
  return new SseReader(res);
}

describe("a legacy session shared by two instances on one Redis", () => {
  test("is opened on one instance and served by the other; unknown ids are 404 on both", async () => {
    const headers = await openSession(a, b);
    const list = await jsonOf(await post(b.mcpUrl, request("tools/list"), headers), 200);
    expect(((list.result?.tools ?? []) as { name: string }[]).map((t) => t.name)).toContain("echo");
    const echoed = await jsonOf(await post(a.mcpUrl, call("echo", { text: "hi" }), headers), 200);
    expect(textOf(echoed.result)).toBe("hi");
    for (const server of [a, b]) {
      const res = await post(server.mcpUrl, request("tools/list"), { ...headers, "mcp-session-id": "f".repeat(32) });
      expect(res.status).toBe(404);
    }
  });

  test("a log level set on one instance holds on the other", async () => {
    const headers = await openSession(a, b);
    // The default level (info) keeps debug lines back.
    expect((await answer(await post(b.mcpUrl, call("shout"), headers))).before).toEqual([]);
    await jsonOf(await post(a.mcpUrl, request("logging/setLevel", { level: "debug" }), headers), 200);
    const { before, result } = await answer(await post(b.mcpUrl, call("shout"), headers));
    expect(textOf(result)).toBe("done");
    expect(before.map((m) => m.method)).toEqual(["notifications/message"]);
  });

  test("an elicitation asked on one instance is answered through the other", async () => {
    const headers = await openSession(a, b);
    const reader = new SseReader(await post(b.mcpUrl, call("ask"), headers));
    const asked = (await reader.next()) as Json;
    expect(asked.method).toBe("elicitation/create");
    const reply = { jsonrpc: "2.0", id: asked.id, result: { action: "accept", content: { ok: true } } };
    expect((await post(a.mcpUrl, reply, headers)).status).toBe(202);
    const final = (await reader.next()) as Json;
    expect(JSON.parse(textOf(final.result as Json))).toEqual({ action: "accept", content: { ok: true } });
  });

  test("a request running on one instance is cancelled through the other", async () => {
    const headers = await openSession(a, b);
    const before = seenB.cancelled;
    const waiting = post(b.mcpUrl, { ...call("wait"), id: "wait-1" }, headers);
    await expect.poll(() => b.running.http?.sessions.inflight).toBe(1);
    const cancel = { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "wait-1" } };
    expect((await post(a.mcpUrl, cancel, headers)).status).toBe(202);
    await expect.poll(() => seenB.cancelled).toBe(before + 1);
    // A cancelled request is not answered: its stream ends empty.
    expect((await answer(await waiting)).result).toBeUndefined();
  });

  test("the GET stream on one instance hears list changes and resource updates made on the other", async () => {
    const headers = await openSession(a, b);
    const stream = await listen(a, headers);
    await jsonOf(await post(b.mcpUrl, request("resources/subscribe", { uri: "note://current" }), headers), 200);
    await jsonOf(await post(b.mcpUrl, call("add_tool"), headers), 200);
    expect((await stream.next())?.method).toBe("notifications/tools/list_changed");
    await jsonOf(await post(b.mcpUrl, call("set_note", { text: "second" }), headers), 200);
    const updated = await stream.next();
    expect(updated?.method).toBe("notifications/resources/updated");
    expect(updated?.params).toEqual({ uri: "note://current" });
  });

  test("the GET stream resumes on the other instance with what the client missed", async () => {
    const headers = await openSession(a, b);
    const first = await listen(a, headers);
    await jsonOf(await post(b.mcpUrl, call("add_tool"), headers), 200);
    expect((await first.next())?.method).toBe("notifications/tools/list_changed");
    const lastId = (first.blocks.at(-1) as string).match(/^id: (.+)$/m)?.[1] as string;
    expect(lastId).toMatch(/^g_\d+$/);
    await first.cancel();
    // Changes while nobody listens are kept in the shared log.
    await jsonOf(await post(a.mcpUrl, call("add_tool"), headers), 200);
    await jsonOf(await post(a.mcpUrl, request("resources/subscribe", { uri: "note://current" }), headers), 200);
    await jsonOf(await post(a.mcpUrl, call("set_note", { text: "third" }), headers), 200);
    const resumed = await listen(b, headers, lastId);
    // What was announced while nobody listened, in order: the list change, then the update.
    const missed = [await resumed.next(), await resumed.next()];
    expect(missed.map((m) => m?.method)).toEqual([
      "notifications/tools/list_changed",
      "notifications/resources/updated",
    ]);
    await resumed.cancel();
  });

  test("a POST's stream left on one instance is resumed on the other up to its answer", async () => {
    const headers = await openSession(a, b);
    const first = new SseReader(await post(a.mcpUrl, call("steps", { n: 4 }, { progressToken: "t" }), headers));
    const seen = await first.rest();
    expect(seen.map((m) => (m.params as Json).progress)).toEqual([1]);
    const lastId = first.blocks
      .map((block) => block.match(/^id: (.+)$/m)?.[1])
      .filter((id) => id !== undefined)
      .at(-1) as string;
    const resumed = await listen(b, headers, lastId);
    const rest = await resumed.rest();
    expect(rest.slice(0, -1).map((m) => (m.params as Json).progress)).toEqual([2, 3, 4]);
    expect(textOf(rest.at(-1)?.result as Json)).toBe("4 steps");
  });

  test("a POST's stream resumed from its priming event, before any message, gets its answer", async () => {
    const headers = await openSession(a, b);
    const first = new SseReader(await post(a.mcpUrl, call("later"), headers));
    expect(await first.rest()).toEqual([]);
    const priming = first.blocks[0]?.match(/^id: (.+)$/m)?.[1] as string;
    expect(priming).toMatch(/_0$/);
    const resumed = await listen(b, headers, priming);
    const rest = await resumed.rest();
    expect(textOf(rest.at(-1)?.result as Json)).toBe("later");
  });

  test("resuming a stream that never existed ends at once", async () => {
    const headers = await openSession(a, b);
    const res = await listen(b, headers, "p9-00000000_3");
    expect(await res.rest()).toEqual([]);
  });

  test("DELETE on one instance ends the session on both, cancelling what runs there", async () => {
    const headers = await openSession(a, b);
    const before = seenA.cancelled;
    const waiting = post(a.mcpUrl, call("wait"), headers);
    await expect.poll(() => a.running.http?.sessions.inflight).toBe(1);
    const ended = await fetch(b.mcpUrl, { method: "DELETE", headers });
    expect(ended.status).toBe(200);
    await expect.poll(() => seenA.cancelled).toBe(before + 1);
    await waiting;
    for (const server of [a, b]) expect((await post(server.mcpUrl, request("tools/list"), headers)).status).toBe(404);
  });
});

describe("modern clients of two instances", () => {
  test("a subscriptions/listen stream on one instance hears a list change made on the other", async () => {
    const abort = new AbortController();
    const listen = modernBody("subscriptions/listen", { notifications: { toolsListChanged: true } }, "listen-1");
    const sse = new SseReader(await modernPost(a.mcpUrl, listen, {}, abort.signal));
    expect((await sse.next())?.method).toBe("notifications/subscriptions/acknowledged");
    const added = await modernPost(b.mcpUrl, modernBody("tools/call", { name: "add_tool", arguments: {} }));
    expect(added.status).toBe(200);
    const heard = await sse.next();
    expect(heard?.method).toBe("notifications/tools/list_changed");
    abort.abort();
  });
});

describe("tasks of the tasks extension on two instances", () => {
  const WITH_TASKS = { elicitation: {}, extensions: { "io.modelcontextprotocol/tasks": {} } };
  /** A modern request from a client that declared the tasks extension. */
  const taskRequest = async (on: StartedOAuthServer, method: string, params: Json): Promise<Json> => {
    const body = modernBody(method, { ...params, _meta: META({}, WITH_TASKS) });
    return (await jsonOf(await modernPost(on.mcpUrl, body, nameHeader(params)), 200)).result as Json;
  };
  // The tasks methods name their task in Mcp-Name (tools/call's name is added by headersFor).
  const nameHeader = (params: Json): Record<string, string> =>
    typeof params.taskId === "string" ? { "mcp-name": params.taskId } : {};
  const status = async (on: StartedOAuthServer, taskId: string) =>
    (await taskRequest(on, "tasks/get", { taskId })).status;

  test("a task started on one instance is read, answered and finished through the other", async () => {
    const handle = await taskRequest(a, "tools/call", { name: "confirm_task", arguments: {} });
    expect(handle.resultType).toBe("task");
    const taskId = handle.taskId as string;
    await expect.poll(() => status(b, taskId)).toBe("input_required");
    const waiting = await taskRequest(b, "tasks/get", { taskId });
    expect(Object.keys(waiting.inputRequests as Json)).toEqual(["go"]);
    await taskRequest(b, "tasks/update", {
      taskId,
      inputResponses: { go: { action: "accept", content: { ok: true } } },
    });
    await expect.poll(() => status(b, taskId)).toBe("completed");
    const done = await taskRequest(b, "tasks/get", { taskId });
    expect(textOf(done.result as Json)).toBe("answered accept");
  });

  test("a task running on one instance is cancelled through the other", async () => {
    const before = seenA.cancelled;
    const handle = await taskRequest(a, "tools/call", { name: "long_task", arguments: {} });
    const taskId = handle.taskId as string;
    expect(await status(b, taskId)).toBe("working");
    await taskRequest(b, "tasks/cancel", { taskId });
    await expect.poll(() => seenA.cancelled).toBe(before + 1);
    await expect.poll(() => status(b, taskId)).toBe("cancelled");
  });

  test("an unknown task is -32602 on every instance", async () => {
    for (const server of [a, b]) {
      const params = { taskId: "no-such-task" };
      const body = modernBody("tasks/get", { ...params, _meta: META({}, WITH_TASKS) });
      const answer = await (await modernPost(server.mcpUrl, body, nameHeader(params))).json();
      expect((answer as Json).error).toMatchObject({ code: -32602 });
    }
  });
});

// Last: it stops Redis.
describe("with Redis stopped", () => {
  test("session requests answer 503 with Retry-After, and the instances keep running", async () => {
    const headers = await openSession(a, b);
    await redis.stop();
    for (const server of [a, b]) {
      const res = await post(server.mcpUrl, request("tools/list"), headers);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      const body = (await res.json()) as Json;
      expect((body.error as Json).message).toMatch(/session store/);
      // Stateless (modern) requests need no store.
      const modern = await modernPost(server.mcpUrl, modernBody("tools/list"));
      expect(modern.status).toBe(200);
    }
  });
});
