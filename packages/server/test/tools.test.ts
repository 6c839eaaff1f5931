import { describe, expect, test } from "vitest";
import { z } from "zod";
import { requiresAuth } from "../src/auth.js";
import type { JsonSchemaObject } from "../src/protocol/types.js";
import type { ListKind } from "../src/registry/change-signal.js";
import { TOOL_NAME_PATTERN, ToolRegistry } from "../src/registry/tools.js";

const handler = () => "ok";

function registry() {
  const changes: ListKind[] = [];
  return { tools: new ToolRegistry((k) => changes.push(k)), changes };
}

describe("tool names", () => {
  test.each(["a", "echo", "get_weather", "admin.tools.list", "DATA-export-v2", "x".repeat(128), "0123456789"])(
    "%s is accepted",
    (name) => {
      const { tools } = registry();
      tools.add(name, {}, handler);
      expect(tools.get(name)?.definition.name).toBe(name);
    },
  );

  test.each([
    ["empty", ""],
    ["129 characters", "x".repeat(129)],
    ["a slash", "tools/call"],
    ["a space", "get weather"],
    ["a comma", "a,b"],
    ["a non-ASCII letter", "café"],
    ["a colon", "ns:tool"],
    ["an @", "user@host"],
  ])("a name with %s is refused", (_what, name) => {
    const { tools } = registry();
    expect(() => tools.add(name, {}, handler)).toThrow(`Tool name ${JSON.stringify(name)} is invalid`);
    expect(tools.size).toBe(0);
  });

  test("the exported pattern agrees", () => {
    expect(TOOL_NAME_PATTERN.test("x".repeat(128))).toBe(true);
    expect(TOOL_NAME_PATTERN.test("x".repeat(129))).toBe(false);
    expect(TOOL_NAME_PATTERN.test("a/b")).toBe(false);
  });
});

describe("registration", () => {
  test("a duplicate name is refused and the first stays", () => {
    const { tools } = registry();
    tools.add("dup", { description: "first" }, handler);
    expect(() => tools.add("dup", { description: "second" }, handler)).toThrow('Tool "dup" is already registered');
    expect(tools.get("dup")?.definition.description).toBe("first");
    expect(tools.size).toBe(1);
  });

  test("input and inputSchema together are refused", () => {
    const { tools } = registry();
    expect(() =>
      tools.add("both", { input: { a: z.string() }, inputSchema: { type: "object" } } as never, handler),
    ).toThrow('Tool "both": give either input (zod) or inputSchema (JSON Schema), not both');
  });

  test("a raw inputSchema is sent verbatim and arguments are checked only for being an object", () => {
    const { tools } = registry();
    const raw: JsonSchemaObject = {
      type: "object",
      properties: { x: { type: "string", pattern: "^[a-z]+$" } },
      required: ["x"],
      "x-custom": { keep: true },
    };
    const entry = tools.add("raw", { inputSchema: raw }, handler);
    expect(entry.definition.inputSchema).toBe(raw);
    expect(entry.definition.inputSchema).toEqual({
      type: "object",
      properties: { x: { type: "string", pattern: "^[a-z]+$" } },
      required: ["x"],
      "x-custom": { keep: true },
    });
    expect(entry.input.safeParse({ anything: 1 }).success).toBe(true);
    expect(entry.input.safeParse({}).success).toBe(true);
  });

  test("a raw inputSchema that is not type object is refused", () => {
    const { tools } = registry();
    expect(() => tools.add("raw", { inputSchema: { type: "string" } as never }, handler)).toThrow(
      'Tool "raw": inputSchema must be a JSON Schema with type "object"',
    );
  });

  test("a handler that is not a function is refused", () => {
    const { tools } = registry();
    expect(() => tools.add("t", {}, "nope" as never)).toThrow('Tool "t": handler must be a function');
  });

  test("the definition carries what was given, and nothing that was not", () => {
    const { tools } = registry();
    const entry = tools.add(
      "full",
      {
        title: "Full",
        description: "Does it all",
        input: { n: z.number() },
        output: { doubled: z.number() },
        annotations: { readOnlyHint: true },
        icons: [{ src: "https://example.com/i.png" }],
        _meta: { k: "v" },
      },
      ({ n }) => ({ doubled: n * 2 }),
    );
    expect(entry.definition).toMatchObject({
      name: "full",
      title: "Full",
      description: "Does it all",
      annotations: { readOnlyHint: true },
      icons: [{ src: "https://example.com/i.png" }],
      _meta: { k: "v" },
    });
    expect(entry.definition.inputSchema).toMatchObject({ type: "object", required: ["n"] });
    expect(entry.definition.outputSchema).toMatchObject({ type: "object", required: ["doubled"] });
    const bare = tools.add("bare", {}, handler).definition;
    expect(Object.keys(bare).sort()).toEqual(["inputSchema", "name"]);
    expect(bare.inputSchema).toMatchObject({ type: "object", properties: {} });
  });

  test("a requiresAuth handler's requirement is recorded", () => {
    const { tools } = registry();
    const entry = tools.add("secure", {}, requiresAuth({ scopes: ["a.read"] }, handler));
    expect(entry.auth).toEqual({ scopes: ["a.read"] });
    expect(tools.add("open", {}, handler).auth).toBeUndefined();
  });
});

describe("listing and change signals", () => {
  test("list order is registration order; add and remove signal a change; a miss does not", () => {
    const { tools, changes } = registry();
    tools.add("b", {}, handler);
    tools.add("a", {}, handler);
    const first = tools.list();
    expect(first.map((t) => t.name)).toEqual(["b", "a"]);
    expect(tools.list()).toBe(first);
    expect(tools.remove("b")).toBe(true);
    expect(tools.remove("nope")).toBe(false);
    expect(tools.list().map((t) => t.name)).toEqual(["a"]);
    expect(changes).toEqual(["tools", "tools", "tools"]);
  });
});
