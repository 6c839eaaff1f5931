import { describe, expect, test } from "vitest";
import { z } from "zod";
import { NULL_CHANNEL } from "../src/protocol/channel.js";
import { handleLegacyRequest } from "../src/protocol/legacy/dispatch.js";
import { LegacySession } from "../src/protocol/legacy/session.js";
import type { CompletionContext } from "../src/registry/completions.js";
import { MAX_COMPLETION_VALUES, runCompleter } from "../src/registry/completions.js";
import { ChukMCPServer } from "../src/server.js";

describe("runCompleter", () => {
  test("no completer → no values and no total", async () => {
    expect(await runCompleter(undefined, "x", {})).toEqual({ values: [] });
  });

  test("a few values → all of them, total, hasMore false", async () => {
    expect(await runCompleter(() => ["a", "b", "c"], "", {})).toEqual({
      values: ["a", "b", "c"],
      total: 3,
      hasMore: false,
    });
  });

  test("exactly 100 values is not more", async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => String(i));
    const r = await runCompleter(() => hundred, "", {});
    expect(r.values).toHaveLength(100);
    expect(r.hasMore).toBe(false);
    expect(MAX_COMPLETION_VALUES).toBe(100);
  });

  test("101 values → 100, total 101, hasMore", async () => {
    const many = Array.from({ length: 101 }, (_, i) => String(i));
    const r = await runCompleter(async () => many, "", {});
    expect(r.values).toEqual(many.slice(0, 100));
    expect(r.total).toBe(101);
    expect(r.hasMore).toBe(true);
  });

  test("the completer gets the typed value and the context", async () => {
    let seen: [string, CompletionContext] | undefined;
    await runCompleter(
      (value, context) => {
        seen = [value, context];
        return [];
      },
      "pa",
      { arguments: { country: "fr" } },
    );
    expect(seen).toEqual(["pa", { arguments: { country: "fr" } }]);
  });
});

describe("completion/complete", () => {
  const server = new ChukMCPServer("completion-test", { logLevel: "silent" });
  server.prompt(
    "travel",
    {
      args: { country: z.string(), city: z.string() },
      complete: {
        city: (value, context) =>
          (context.arguments?.country === "fr" ? ["paris", "lyon"] : ["berlin"]).filter((c) => c.startsWith(value)),
      },
    },
    ({ city }) => city,
  );
  server.resourceTemplate(
    "weather://{city}",
    { complete: { city: (value) => ["oslo", "osaka", "rome"].filter((c) => c.startsWith(value)) } },
    () => "sunny",
  );
  server.resource("config://app", () => "{}");
  const session = new LegacySession(undefined, NULL_CHANNEL, server.sessionOptions);
  session.initialized = true;
  let id = 0;
  const complete = async (params: Record<string, unknown>) => {
    const r = await handleLegacyRequest(
      server,
      session,
      { jsonrpc: "2.0", id: ++id, method: "completion/complete", params },
      NULL_CHANNEL,
      undefined,
    );
    if (!r) throw new Error("no response");
    return r;
  };

  test("a prompt argument, with the other arguments as context", async () => {
    const r = await complete({
      ref: { type: "ref/prompt", name: "travel" },
      argument: { name: "city", value: "l" },
      context: { arguments: { country: "fr" } },
    });
    expect(r).toMatchObject({ result: { completion: { values: ["lyon"], total: 1, hasMore: false } } });
  });

  test("an argument without a completer → no values", async () => {
    const r = await complete({ ref: { type: "ref/prompt", name: "travel" }, argument: { name: "country", value: "" } });
    expect(r).toMatchObject({ result: { completion: { values: [] } } });
  });

  test("a template variable", async () => {
    const r = await complete({
      ref: { type: "ref/resource", uri: "weather://{city}" },
      argument: { name: "city", value: "os" },
    });
    expect(r).toMatchObject({ result: { completion: { values: ["oslo", "osaka"], total: 2, hasMore: false } } });
  });

  test("a fixed resource has nothing to complete", async () => {
    const r = await complete({
      ref: { type: "ref/resource", uri: "config://app" },
      argument: { name: "x", value: "" },
    });
    expect(r).toMatchObject({ result: { completion: { values: [] } } });
  });

  test.each([
    [
      "an unknown prompt",
      { ref: { type: "ref/prompt", name: "nope" }, argument: { name: "a", value: "" } },
      "Unknown prompt: nope",
    ],
    [
      "an unknown template",
      { ref: { type: "ref/resource", uri: "x://{y}" }, argument: { name: "y", value: "" } },
      "Unknown resource template: x://{y}",
    ],
    [
      "an unknown ref type",
      { ref: { type: "ref/tool", name: "x" }, argument: { name: "a", value: "" } },
      "Unknown reference type: ref/tool",
    ],
    ["no ref", { argument: { name: "a", value: "" } }, '"ref" must be an object'],
    [
      "an argument without a value",
      { ref: { type: "ref/prompt", name: "travel" }, argument: { name: "city" } },
      '"argument" must have',
    ],
  ])("%s → -32602", async (_what, params, message) => {
    const r = await complete(params);
    expect("error" in r && r.error.code).toBe(-32602);
    expect("error" in r && r.error.message).toContain(message);
  });
});
