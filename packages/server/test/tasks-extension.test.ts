/**
 * The tasks extension (io.modelcontextprotocol/tasks) through the modern
 * dispatch: task handles, polling with tasks/get, input with tasks/update,
 * cancellation, who may see a task, the capability gate, manual start, and
 * the legacy era (which never makes tasks).
 */

import { beforeEach, describe, expect, test } from "vitest";
import { z } from "zod";
import type { AuthInfo } from "../src/auth.js";
import { LazyAbort } from "../src/protocol/cancellation.js";
import { ErrorCode, protocolError } from "../src/protocol/errors.js";
import { handleLegacyNotification, handleLegacyRequest } from "../src/protocol/legacy/dispatch.js";
import { LegacySession } from "../src/protocol/legacy/session.js";
import type { ClientCapabilities } from "../src/protocol/types.js";
import { ChukMCPServer } from "../src/server.js";
import { type Deferred, deferred } from "./helpers/deferred.js";
import { errorOf, modernSender, resultOf, type SendOptions } from "./helpers/modern-request.js";
import { type RecordingChannel, recordingChannel } from "./helpers/recording-channel.js";

const TASKS = "io.modelcontextprotocol/tasks";
const SERVER_INFO = "io.modelcontextprotocol/serverInfo";
const WITH_TASKS: ClientCapabilities = { extensions: { [TASKS]: {} } };
const WITH_TASKS_AND_ELICIT: ClientCapabilities = { elicitation: {}, extensions: { [TASKS]: {} } };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let server: ChukMCPServer;
let channel: RecordingChannel;
const { send, reset } = modernSender(() => ({ server, channel }), WITH_TASKS);

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Polls tasks/get (yielding between polls) until `done` says so; gives up after many polls. */
async function pollUntil(
  taskId: string,
  done: (task: Record<string, unknown>) => boolean,
  o: SendOptions = {},
): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  for (let i = 0; i < 500; i++) {
    last = resultOf(await send("tasks/get", { taskId }, o));
    if (done(last)) return last;
    await tick();
  }
  throw new Error(`task ${taskId} never got there; last: ${JSON.stringify(last)}`);
}

const terminal = (t: Record<string, unknown>) => ["completed", "failed", "cancelled"].includes(t.status as string);

const auth = (subject: string): AuthInfo => ({ token: `t-${subject}`, clientId: "c", scopes: [], subject });
const confirmSchema = { type: "object" as const, properties: { confirm: { type: "boolean" } }, required: ["confirm"] };

let gate: Deferred<void>;
let cancelled: Deferred<unknown>;

beforeEach(() => {
  server = new ChukMCPServer("tasks-test", {
    version: "3.0.0",
    logLevel: "silent",
    tasks: { ttlMs: 120_000, pollIntervalMs: 250 },
  });
  channel = recordingChannel();
  reset();
  gate = deferred();
  cancelled = deferred<unknown>();

  server.tool("job", { input: { label: z.string() }, task: "optional" }, async ({ label }, ctx) => {
    ctx.signal.addEventListener("abort", () => cancelled.resolve(ctx.signal.reason), { once: true });
    await Promise.race([
      gate.promise,
      new Promise((_r, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("aborted")))),
    ]);
    return `done: ${label}`;
  });
  server.tool("must_task", { task: "required" }, async () => "required done");
  server.tool("tool_error", { task: "optional" }, async () => {
    await gate.promise;
    throw new Error("the job broke");
  });
  server.tool("protocol_failure", { task: "optional" }, async () => {
    await gate.promise;
    throw protocolError(ErrorCode.InternalError, "the worker crashed", { worker: 3 });
  });
  server.tool("confirm", { input: { file: z.string() }, task: "optional" }, async ({ file }, ctx) => {
    const answer = await ctx.elicit({ message: `Delete ${file}?`, requestedSchema: confirmSchema }, { key: "ok" });
    return answer.action === "accept" && answer.content?.confirm === true ? `deleted ${file}` : `kept ${file}`;
  });
  server.tool("two_questions", { task: "optional" }, async (_a, ctx) => {
    const [a, b] = await Promise.all([
      ctx.elicit({ message: "First?", requestedSchema: confirmSchema }, { key: "first" }),
      ctx.elicit({ message: "Second?", requestedSchema: confirmSchema }, { key: "second" }),
    ]);
    return `first=${a.action}, second=${b.action}`;
  });
  server.tool("manual", { task: { mode: "optional", start: "manual" } }, async (_a, ctx) => {
    const answer = await ctx.elicit({ message: "Name?", requestedSchema: confirmSchema }, { key: "name" });
    await ctx.beginTask();
    await gate.promise;
    return `hello ${String(answer.content?.name)}`;
  });
  server.tool("plain", {}, () => "plain result");
});

async function startJob(label = "a", o: SendOptions = {}) {
  const handle = resultOf(await send("tools/call", { name: "job", arguments: { label } }, o));
  expect(handle.resultType).toBe("task");
  return handle.taskId as string;
}

describe("a task:optional tool with a client that declares tasks", () => {
  test("answers at once with a flat task handle", async () => {
    const outcome = await send("tools/call", { name: "job", arguments: { label: "a" } });
    expect(outcome?.status).toBe(200);
    const handle = resultOf(outcome);
    expect(handle).toEqual({
      resultType: "task",
      taskId: expect.stringMatching(/^[A-Za-z0-9_-]{16,}$/),
      status: "working",
      createdAt: expect.stringMatching(ISO),
      lastUpdatedAt: expect.stringMatching(ISO),
      ttlMs: 120_000,
      pollIntervalMs: 250,
      _meta: { [SERVER_INFO]: { name: "tasks-test", version: "3.0.0" } },
    });
    expect("content" in handle).toBe(false);
    expect(server.tasks.size).toBe(1);
  });

  test("tasks/get reports working, then completed with the tool's result", async () => {
    const taskId = await startJob("report");
    const working = resultOf(await send("tasks/get", { taskId }));
    expect(working).toMatchObject({ taskId, status: "working", ttlMs: 120_000, pollIntervalMs: 250 });
    expect("result" in working).toBe(false);
    gate.resolve();
    const done = await pollUntil(taskId, terminal);
    expect(done).toMatchObject({
      taskId,
      status: "completed",
      result: { resultType: "complete", content: [{ type: "text", text: "done: report" }] },
    });
    expect("error" in done).toBe(false);
    expect(Date.parse(done.lastUpdatedAt as string)).toBeGreaterThanOrEqual(Date.parse(done.createdAt as string));
  });

  test("each call makes its own task", async () => {
    const a = await startJob("a");
    const b = await startJob("b");
    expect(a).not.toBe(b);
    gate.resolve();
    expect((await pollUntil(a, terminal)).result).toMatchObject({ content: [{ text: "done: a" }] });
    expect((await pollUntil(b, terminal)).result).toMatchObject({ content: [{ text: "done: b" }] });
  });

  test("a tool error ends the task completed with an isError result", async () => {
    const handle = resultOf(await send("tools/call", { name: "tool_error" }));
    gate.resolve();
    const done = await pollUntil(handle.taskId as string, terminal);
    expect(done.status).toBe("completed");
    expect(done.result).toMatchObject({
      resultType: "complete",
      isError: true,
      content: [{ type: "text", text: "the job broke" }],
    });
  });

  test("a protocolError ends the task failed with the JSON-RPC error", async () => {
    const handle = resultOf(await send("tools/call", { name: "protocol_failure" }));
    gate.resolve();
    const done = await pollUntil(handle.taskId as string, terminal);
    expect(done.status).toBe("failed");
    expect(done.error).toEqual({ code: -32603, message: "the worker crashed", data: { worker: 3 } });
    expect("result" in done).toBe(false);
  });

  test("the transport going away after the handle does not cancel the task", async () => {
    const transport = new LazyAbort();
    const handle = resultOf(
      await send("tools/call", { name: "job", arguments: { label: "kept" } }, { cancel: transport }),
    );
    transport.abort();
    gate.resolve();
    const done = await pollUntil(handle.taskId as string, terminal);
    expect(done.status).toBe("completed");
  });

  test("progress and log messages of a task are dropped (it has no response stream)", async () => {
    server.tool("noisy", { task: "optional" }, async (_a, ctx) => {
      await ctx.progress(1, 2);
      await ctx.log("error", "from the task");
      return "quiet";
    });
    const handle = resultOf(
      await send(
        "tools/call",
        { name: "noisy" },
        { meta: { progressToken: "p", "io.modelcontextprotocol/logLevel": "debug" } },
      ),
    );
    const done = await pollUntil(handle.taskId as string, terminal);
    expect(done.status).toBe("completed");
    expect(channel.sent).toEqual([]);
  });
});

describe("input while a task runs", () => {
  test("an elicit moves the task to input_required; tasks/update answers it and it completes", async () => {
    const handle = resultOf(
      await send("tools/call", { name: "confirm", arguments: { file: "a.txt" } }, { caps: WITH_TASKS_AND_ELICIT }),
    );
    expect(handle.resultType).toBe("task");
    const taskId = handle.taskId as string;
    const waiting = await pollUntil(taskId, (t) => t.status !== "working", { caps: WITH_TASKS_AND_ELICIT });
    expect(waiting.status).toBe("input_required");
    expect(waiting.inputRequests).toEqual({
      ok: { method: "elicitation/create", params: { message: "Delete a.txt?", requestedSchema: confirmSchema } },
    });
    const ack = await send(
      "tasks/update",
      { taskId, inputResponses: { ok: { action: "accept", content: { confirm: true } } } },
      { caps: WITH_TASKS_AND_ELICIT },
    );
    expect(resultOf(ack)).toEqual({
      resultType: "complete",
      _meta: { [SERVER_INFO]: { name: "tasks-test", version: "3.0.0" } },
    });
    const done = await pollUntil(taskId, terminal);
    expect(done.status).toBe("completed");
    expect(done.result).toMatchObject({ content: [{ type: "text", text: "deleted a.txt" }] });
    expect("inputRequests" in done).toBe(false);
  });

  test("partial answers keep it input_required with what is still missing", async () => {
    const handle = resultOf(await send("tools/call", { name: "two_questions" }, { caps: WITH_TASKS_AND_ELICIT }));
    const taskId = handle.taskId as string;
    const both = await pollUntil(taskId, (t) => Object.keys((t.inputRequests as object) ?? {}).length === 2);
    expect(both.status).toBe("input_required");
    expect(Object.keys(both.inputRequests as object).sort()).toEqual(["first", "second"]);

    resultOf(
      await send("tasks/update", {
        taskId,
        inputResponses: { first: { action: "accept", content: { confirm: true } } },
      }),
    );
    const one = resultOf(await send("tasks/get", { taskId }));
    expect(one.status).toBe("input_required");
    expect(Object.keys(one.inputRequests as object)).toEqual(["second"]);

    // Unknown and already answered keys are ignored.
    resultOf(
      await send("tasks/update", {
        taskId,
        inputResponses: { first: { action: "decline" }, nonsense: { action: "accept" } },
      }),
    );
    expect(resultOf(await send("tasks/get", { taskId })).status).toBe("input_required");

    resultOf(await send("tasks/update", { taskId, inputResponses: { second: { action: "decline" } } }));
    const done = await pollUntil(taskId, terminal);
    expect(done.result).toMatchObject({ content: [{ type: "text", text: "first=accept, second=decline" }] });
  });

  test("tasks/update with malformed inputResponses is -32602", async () => {
    const taskId = await startJob();
    for (const inputResponses of [null, [], { k: "x" }]) {
      expect(errorOf(await send("tasks/update", { taskId, inputResponses })).code).toBe(-32602);
    }
  });

  test("elicit in a task still needs the elicitation capability: the task fails with -32021", async () => {
    const handle = resultOf(await send("tools/call", { name: "confirm", arguments: { file: "x" } }));
    const done = await pollUntil(handle.taskId as string, terminal);
    expect(done.status).toBe("failed");
    expect(done.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { elicitation: {} } } });
  });
});

describe("tasks/cancel", () => {
  test("cancels: the status is cancelled and the handler's signal fires", async () => {
    const taskId = await startJob();
    const ack = resultOf(await send("tasks/cancel", { taskId }));
    expect(ack).toEqual({ resultType: "complete", _meta: { [SERVER_INFO]: { name: "tasks-test", version: "3.0.0" } } });
    const reason = await cancelled.promise;
    expect((reason as Error).message).toBe("The task was cancelled");
    const after = resultOf(await send("tasks/get", { taskId }));
    expect(after.status).toBe("cancelled");
    expect("result" in after).toBe(false);
    expect("error" in after).toBe(false);
  });

  test("server shutdown (tasks.cancelAll) cancels running tasks and leaves finished ones", async () => {
    const finished = await startJob("finished");
    gate.resolve();
    await pollUntil(finished, terminal);
    gate = deferred();
    const running = await startJob("running");
    server.tasks.cancelAll();
    expect(((await cancelled.promise) as Error).message).toBe("The task was cancelled");
    expect(resultOf(await send("tasks/get", { taskId: running })).status).toBe("cancelled");
    expect(resultOf(await send("tasks/get", { taskId: finished })).status).toBe("completed");
  });

  test("cancelling a finished task changes nothing and acknowledges the same way", async () => {
    const taskId = await startJob();
    gate.resolve();
    await pollUntil(taskId, terminal);
    const ack = resultOf(await send("tasks/cancel", { taskId }));
    expect(Object.keys(ack).sort()).toEqual(["_meta", "resultType"]);
    expect(resultOf(await send("tasks/get", { taskId })).status).toBe("completed");
  });

  test("a task cancelled while waiting for input ends cancelled", async () => {
    const handle = resultOf(
      await send("tools/call", { name: "confirm", arguments: { file: "f" } }, { caps: WITH_TASKS_AND_ELICIT }),
    );
    const taskId = handle.taskId as string;
    await pollUntil(taskId, (t) => t.status === "input_required");
    resultOf(await send("tasks/cancel", { taskId }));
    const after = resultOf(await send("tasks/get", { taskId }));
    expect(after.status).toBe("cancelled");
    expect("inputRequests" in after).toBe(false);
  });
});

describe("who may see a task", () => {
  test.each(["tasks/get", "tasks/update", "tasks/cancel"])("%s with an unknown task id is -32602", async (method) => {
    const error = errorOf(await send(method, { taskId: "no-such-task", inputResponses: {} }));
    expect(error).toEqual({ code: -32602, message: "Invalid params: Unknown task: no-such-task" });
  });

  test("a missing or non-string taskId is -32602", async () => {
    expect(errorOf(await send("tasks/get", {})).code).toBe(-32602);
    expect(errorOf(await send("tasks/get", { taskId: 42 })).code).toBe(-32602);
  });

  test("another principal's task is -32602, told apart from nothing; the owner sees it", async () => {
    const taskId = await startJob("mine", { auth: auth("alice") });
    for (const method of ["tasks/get", "tasks/update", "tasks/cancel"]) {
      const error = errorOf(await send(method, { taskId, inputResponses: {} }, { auth: auth("bob") }));
      expect(error).toEqual({ code: -32602, message: `Invalid params: Unknown task: ${taskId}` });
      expect(errorOf(await send(method, { taskId, inputResponses: {} })).code).toBe(-32602);
    }
    expect(resultOf(await send("tasks/get", { taskId }, { auth: auth("alice") })).status).toBe("working");
    gate.resolve();
  });
});

describe("the capability gate", () => {
  test.each(["tasks/get", "tasks/update", "tasks/cancel"])(
    "%s without the extension is -32021, HTTP 400",
    async (method) => {
      const taskId = await startJob();
      const outcome = await send(method, { taskId, inputResponses: {} }, { caps: {} });
      expect(outcome?.status).toBe(400);
      const error = errorOf(outcome);
      expect(error.code).toBe(-32021);
      expect(error.data).toEqual({ requiredCapabilities: { extensions: { [TASKS]: {} } } });
    },
  );

  test("a task:required tool without the extension is -32021, HTTP 400, and makes no task", async () => {
    const outcome = await send("tools/call", { name: "must_task" }, { caps: { elicitation: {} } });
    expect(outcome?.status).toBe(400);
    expect(errorOf(outcome)).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { extensions: { [TASKS]: {} } } },
    });
    expect(server.tasks.size).toBe(0);
  });

  test("a task:required tool with the extension becomes a task", async () => {
    const handle = resultOf(await send("tools/call", { name: "must_task" }));
    expect(handle.resultType).toBe("task");
    const done = await pollUntil(handle.taskId as string, terminal);
    expect(done.result).toMatchObject({ content: [{ type: "text", text: "required done" }] });
  });

  test("a task:optional tool without the extension answers in place", async () => {
    gate.resolve();
    const result = resultOf(await send("tools/call", { name: "job", arguments: { label: "sync" } }, { caps: {} }));
    expect(result).toEqual({
      resultType: "complete",
      content: [{ type: "text", text: "done: sync" }],
      _meta: { [SERVER_INFO]: { name: "tasks-test", version: "3.0.0" } },
    });
    expect(server.tasks.size).toBe(0);
  });

  test("a tool without a task mode never becomes a task", async () => {
    const result = resultOf(await send("tools/call", { name: "plain" }));
    expect(result.resultType).toBe("complete");
    expect("taskId" in result).toBe(false);
    expect(server.tasks.size).toBe(0);
  });

  test("server/discover declares the extension when a tool runs as a task", async () => {
    const caps = resultOf(await send("server/discover")).capabilities as Record<string, unknown>;
    expect(caps.extensions).toEqual({ [TASKS]: {} });
    expect("tasks" in caps).toBe(false);
  });
});

describe('start: "manual"', () => {
  test("an input round first, then a task once the handler calls beginTask", async () => {
    const caps = WITH_TASKS_AND_ELICIT;
    const first = resultOf(await send("tools/call", { name: "manual" }, { caps }));
    expect(first.resultType).toBe("input_required");
    expect(Object.keys(first.inputRequests as object)).toEqual(["name"]);
    expect(server.tasks.size).toBe(0);

    const second = resultOf(
      await send(
        "tools/call",
        {
          name: "manual",
          inputResponses: { name: { action: "accept", content: { name: "Ada" } } },
          requestState: first.requestState,
        },
        { caps },
      ),
    );
    expect(second).toMatchObject({ resultType: "task", status: "working" });
    gate.resolve();
    const done = await pollUntil(second.taskId as string, terminal);
    expect(done.status).toBe("completed");
    expect(done.result).toMatchObject({ content: [{ type: "text", text: "hello Ada" }] });
  });

  test("without the extension, beginTask does nothing and the call answers in place", async () => {
    gate.resolve();
    const result = resultOf(
      await send(
        "tools/call",
        { name: "manual", inputResponses: { name: { action: "accept", content: { name: "Bo" } } } },
        { caps: { elicitation: {} } },
      ),
    );
    expect(result).toMatchObject({ resultType: "complete", content: [{ type: "text", text: "hello Bo" }] });
  });
});

describe("the legacy era", () => {
  test('ignores task mode "optional": a plain result, no task', async () => {
    const session = new LegacySession(undefined, channel, server.sessionOptions);
    const legacy = (id: number, method: string, params: Record<string, unknown>) =>
      handleLegacyRequest(server, session, { jsonrpc: "2.0", id, method, params }, channel, undefined);
    await legacy(1, "initialize", {
      protocolVersion: "2025-11-25",
      capabilities: { extensions: { [TASKS]: {} } },
      clientInfo: { name: "legacy", version: "1" },
    });
    handleLegacyNotification(server, session, { jsonrpc: "2.0", method: "notifications/initialized" });
    gate.resolve();
    const response = await legacy(2, "tools/call", { name: "job", arguments: { label: "old" } });
    expect(response).toEqual({ jsonrpc: "2.0", id: 2, result: { content: [{ type: "text", text: "done: old" }] } });
    expect(server.tasks.size).toBe(0);
  });
});

describe("registration", () => {
  test.each([
    ["a bad mode", { task: "sometimes" }, 'Tool "t": task must be "optional" or "required"'],
    [
      "a bad start",
      { task: { mode: "optional", start: "later" } },
      'Tool "t": task.start must be "immediate" or "manual"',
    ],
  ])("%s is refused", (_what, options, message) => {
    expect(() => server.tool("t", options as never, () => "")).toThrow(message);
  });

  test("the modes are stored with their start", () => {
    expect(server.tools.get("job")?.task).toEqual({ mode: "optional", start: "immediate" });
    expect(server.tools.get("must_task")?.task).toEqual({ mode: "required", start: "immediate" });
    expect(server.tools.get("manual")?.task).toEqual({ mode: "optional", start: "manual" });
    expect(server.tools.get("plain")?.task).toBeUndefined();
  });
});
