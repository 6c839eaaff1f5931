import { describe, expect, test } from "vitest";
import { createRequestContext, passesLogLevel, type RequestScope } from "../src/context.js";
import { McpError } from "../src/protocol/errors.js";
import type { ClientCapabilities, LoggingLevel, Meta } from "../src/protocol/types.js";

interface Recorded {
  notes: { method: string; params: Record<string, unknown> }[];
  requests: { method: string; params: Record<string, unknown> }[];
  closed: number;
}

function scopeWith(
  options: { meta?: Meta; caps?: ClientCapabilities; minLogLevel?: LoggingLevel; signal?: AbortSignal } = {},
) {
  const rec: Recorded = { notes: [], requests: [], closed: 0 };
  const scope: RequestScope = {
    requestId: 1,
    signal: options.signal ?? new AbortController().signal,
    sessionId: "s1",
    protocolVersion: "2025-11-25",
    clientInfo: { name: "c", version: "1" },
    clientCapabilities: options.caps ?? {},
    auth: undefined,
    meta: options.meta,
    minLogLevel: options.minLogLevel,
    notify: (method, params) => rec.notes.push({ method, params }),
    request: async (method, params) => {
      rec.requests.push({ method, params });
      return { answered: method };
    },
    closeStream: () => {
      rec.closed++;
    },
    era: "legacy",
    tasksAvailable: false,
    beginTask: () => Promise.resolve(),
  };
  return { ctx: createRequestContext(scope), rec };
}

async function refusal(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof McpError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("ctx basics", () => {
  test("what the scope says is what the handler sees", () => {
    const { ctx } = scopeWith({ meta: { progressToken: "t" }, caps: { roots: {} } });
    expect(ctx.requestId).toBe(1);
    expect(ctx.sessionId).toBe("s1");
    expect(ctx.protocolVersion).toBe("2025-11-25");
    expect(ctx.clientInfo).toEqual({ name: "c", version: "1" });
    expect(ctx.clientCapabilities).toEqual({ roots: {} });
    expect(ctx.meta).toEqual({ progressToken: "t" });
    expect(ctx.auth).toBeUndefined();
  });

  test("closeStream is passed to the scope", () => {
    const { ctx, rec } = scopeWith();
    ctx.closeStream();
    expect(rec.closed).toBe(1);
  });
});

describe("ctx.progress", () => {
  test("without a progress token it sends nothing", async () => {
    const { ctx, rec } = scopeWith({ meta: { other: 1 } });
    await ctx.progress(1, 10, "x");
    const bare = scopeWith();
    await bare.ctx.progress(1);
    expect(rec.notes).toEqual([]);
    expect(bare.rec.notes).toEqual([]);
  });

  test("with a token it sends notifications/progress with what was given", async () => {
    const { ctx, rec } = scopeWith({ meta: { progressToken: "tok-1" } });
    await ctx.progress(1, 4, "one of four");
    await ctx.progress(2);
    expect(rec.notes).toEqual([
      {
        method: "notifications/progress",
        params: { progressToken: "tok-1", progress: 1, total: 4, message: "one of four" },
      },
      { method: "notifications/progress", params: { progressToken: "tok-1", progress: 2 } },
    ]);
  });

  test("a numeric token 0 is still a token", async () => {
    const { ctx, rec } = scopeWith({ meta: { progressToken: 0 } });
    await ctx.progress(5);
    expect(rec.notes).toEqual([{ method: "notifications/progress", params: { progressToken: 0, progress: 5 } }]);
  });

  test("after cancellation nothing is sent", async () => {
    const controller = new AbortController();
    const { ctx, rec } = scopeWith({ meta: { progressToken: "t" }, signal: controller.signal });
    controller.abort();
    await ctx.progress(1);
    expect(rec.notes).toEqual([]);
  });
});

describe("ctx.log", () => {
  test("messages below the client's level are dropped; the rest carry level, data and logger", async () => {
    const { ctx, rec } = scopeWith({ minLogLevel: "warning" });
    await ctx.log("debug", "d");
    await ctx.log("info", "i");
    await ctx.log("notice", "n");
    await ctx.log("warning", { w: 1 });
    await ctx.log("emergency", "e", "db");
    expect(rec.notes).toEqual([
      { method: "notifications/message", params: { level: "warning", data: { w: 1 } } },
      { method: "notifications/message", params: { level: "emergency", data: "e", logger: "db" } },
    ]);
  });

  test("no level set → nothing is sent", async () => {
    const { ctx, rec } = scopeWith({ minLogLevel: undefined });
    await ctx.log("emergency", "e");
    expect(rec.notes).toEqual([]);
  });

  test("passesLogLevel follows the RFC 5424 order", () => {
    expect(passesLogLevel("debug", "debug")).toBe(true);
    expect(passesLogLevel("info", "notice")).toBe(false);
    expect(passesLogLevel("critical", "error")).toBe(true);
    expect(passesLogLevel("alert", "emergency")).toBe(false);
    expect(passesLogLevel("emergency", undefined)).toBe(false);
  });
});

describe("requests to the client need the client's capability", () => {
  const form = {
    message: "Name?",
    requestedSchema: { type: "object" as const, properties: { n: { type: "string" } } },
  };
  const url = { mode: "url" as const, message: "Log in", url: "https://example.com/login", elicitationId: "e1" };

  test("elicit without elicitation is refused, naming the capability, and nothing is sent", async () => {
    const { ctx, rec } = scopeWith();
    const err = await refusal(ctx.elicit(form));
    expect(err.code).toBe(-32003);
    expect(err.message).toContain("'elicitation'");
    expect(rec.requests).toEqual([]);
  });

  test("URL mode needs elicitation.url", async () => {
    const { ctx, rec } = scopeWith({ caps: { elicitation: {} } });
    const err = await refusal(ctx.elicit(url));
    expect(err.code).toBe(-32003);
    expect(err.message).toContain("'elicitation.url'");
    expect(rec.requests).toEqual([]);
    const withForm = scopeWith({ caps: { elicitation: { form: {} } } });
    expect((await refusal(withForm.ctx.elicit(url))).message).toContain("'elicitation.url'");
  });

  test("URL mode with elicitation.url sends elicitation/create with the URL params", async () => {
    const { ctx, rec } = scopeWith({ caps: { elicitation: { url: {} } } });
    expect(await ctx.elicit(url)).toEqual({ answered: "elicitation/create" });
    expect(rec.requests).toEqual([{ method: "elicitation/create", params: url }]);
  });

  test("form mode: an empty elicitation capability means form; url-only refuses form", async () => {
    const empty = scopeWith({ caps: { elicitation: {} } });
    await empty.ctx.elicit(form);
    expect(empty.rec.requests).toEqual([{ method: "elicitation/create", params: form }]);
    const both = scopeWith({ caps: { elicitation: { form: {}, url: {} } } });
    await both.ctx.elicit(form);
    expect(both.rec.requests).toHaveLength(1);
    const urlOnly = scopeWith({ caps: { elicitation: { url: {} } } });
    const err = await refusal(urlOnly.ctx.elicit(form));
    expect(err.message).toContain("'elicitation.form'");
    expect(urlOnly.rec.requests).toEqual([]);
  });

  test("sample needs sampling", async () => {
    const params = {
      messages: [{ role: "user" as const, content: { type: "text" as const, text: "hi" } }],
      maxTokens: 5,
    };
    const without = scopeWith({ caps: { elicitation: {} } });
    const err = await refusal(without.ctx.sample(params));
    expect(err.code).toBe(-32003);
    expect(err.message).toContain("'sampling'");
    expect(without.rec.requests).toEqual([]);
    const withIt = scopeWith({ caps: { sampling: {} } });
    expect(await withIt.ctx.sample(params)).toEqual({ answered: "sampling/createMessage" });
    expect(withIt.rec.requests).toEqual([{ method: "sampling/createMessage", params }]);
  });

  test("listRoots needs roots", async () => {
    const without = scopeWith();
    const err = await refusal(without.ctx.listRoots());
    expect(err.code).toBe(-32003);
    expect(err.message).toContain("'roots'");
    const withIt = scopeWith({ caps: { roots: { listChanged: true } } });
    expect(await withIt.ctx.listRoots()).toEqual({ answered: "roots/list" });
    expect(withIt.rec.requests).toEqual([{ method: "roots/list", params: {} }]);
  });
});
