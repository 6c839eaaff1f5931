import { describe, expect, test } from "vitest";
import { z } from "zod";
import { describeZodError, toJsonSchema, toZodObject } from "../src/registry/schema.js";
import { ToolRegistry } from "../src/registry/tools.js";

const noop = () => {};

describe("toJsonSchema", () => {
  const shape = {
    query: z.string().describe("What to search for"),
    limit: z.number().int().default(10).describe("Most results"),
    order: z.enum(["asc", "desc"]),
    tag: z.string().optional(),
  };

  test("input view: 2020-12, descriptions, defaults and enums kept; defaulted and optional fields not required", () => {
    const json = toJsonSchema(toZodObject(shape, "t"), "input", "t");
    expect(json.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(json.type).toBe("object");
    const props = json.properties as Record<string, Record<string, unknown>>;
    expect(props.query).toEqual({ type: "string", description: "What to search for" });
    expect(props.limit?.default).toBe(10);
    expect(props.limit?.description).toBe("Most results");
    expect(props.limit?.type).toBe("integer");
    expect(props.order).toEqual({ type: "string", enum: ["asc", "desc"] });
    expect(json.required).toEqual(["query", "order"]);
  });

  test("output view: a defaulted field is always present, so it is required", () => {
    const json = toJsonSchema(toZodObject(shape, "t"), "output", "t");
    expect(json.required).toEqual(["query", "limit", "order"]);
  });

  test("a non-object schema is refused with a message naming the tool", () => {
    expect(() => toJsonSchema(z.string(), "input", 'Tool "x" input')).toThrow(
      'Tool "x" input: schema must describe an object (got "string")',
    );
  });

  test("an unrepresentable schema is refused", () => {
    expect(() => toJsonSchema(z.object({ when: z.date() }), "input", "T")).toThrow(
      /T: schema cannot be expressed as JSON Schema/,
    );
  });
});

describe("toZodObject", () => {
  test("undefined → an empty object schema", () => {
    const s = toZodObject(undefined, "t");
    expect(s.safeParse({}).success).toBe(true);
    expect(toJsonSchema(s, "input", "t")).toMatchObject({ type: "object", properties: {} });
  });

  test("a zod object schema is used as is", () => {
    const schema = z.object({ a: z.string() });
    expect(toZodObject(schema, "t")).toBe(schema);
  });

  test("a shape with a non-zod field is refused, naming the field", () => {
    expect(() => toZodObject({ a: z.string(), b: "string" } as unknown as z.ZodRawShape, "Tool t input")).toThrow(
      'Tool t input: field "b" is not a zod schema',
    );
  });
});

describe("registration through the tool registry", () => {
  test("a non-object zod input is refused at registration", () => {
    const tools = new ToolRegistry(noop);
    expect(() =>
      tools.add("bad", { input: z.string() as unknown as z.ZodObject<z.ZodRawShape> }, noop as never),
    ).toThrow('Tool "bad" input: schema must describe an object');
    expect(tools.size).toBe(0);
  });

  test("a non-object zod output is refused at registration", () => {
    const tools = new ToolRegistry(noop);
    expect(() =>
      tools.add("bad", { output: z.array(z.string()) as unknown as z.ZodObject<z.ZodRawShape> }, noop as never),
    ).toThrow('Tool "bad" output: schema must describe an object (got "array")');
  });
});

describe("describeZodError", () => {
  test("names each bad field with its path", () => {
    const r = z.object({ a: z.string(), b: z.object({ c: z.number() }) }).safeParse({ a: 1, b: { c: "x" } });
    expect(r.success).toBe(false);
    const text = describeZodError(r.error!);
    expect(text).toMatch(/^a: /);
    expect(text).toContain("; b.c: ");
  });

  test("a root-level failure is named (root)", () => {
    const r = z.object({}).safeParse("x");
    expect(describeZodError(r.error!)).toMatch(/^\(root\): /);
  });
});
