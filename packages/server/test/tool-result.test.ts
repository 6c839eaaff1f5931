import { describe, expect, test } from "vitest";
import type { CallToolResult, ContentBlock } from "../src/protocol/types.js";
import { normalizeToolResult, toolError, toolErrorText } from "../src/registry/tool-result.js";

describe("normalizeToolResult", () => {
  test("a string → one text block", () => {
    expect(normalizeToolResult("hello")).toEqual({ content: [{ type: "text", text: "hello" }] });
  });

  test("an empty string is still a text block", () => {
    expect(normalizeToolResult("")).toEqual({ content: [{ type: "text", text: "" }] });
  });

  test("one content block → wrapped", () => {
    const image: ContentBlock = { type: "image", data: "AAAA", mimeType: "image/png" };
    expect(normalizeToolResult(image)).toEqual({ content: [image] });
  });

  test("an array of content blocks → passed through", () => {
    const blocks: ContentBlock[] = [
      { type: "text", text: "a" },
      { type: "resource_link", uri: "file:///x", name: "x" },
      { type: "resource", resource: { uri: "test://r", text: "r" } },
      { type: "audio", data: "BBBB", mimeType: "audio/wav" },
    ];
    expect(normalizeToolResult(blocks)).toEqual({ content: blocks });
  });

  test("an empty array → empty content", () => {
    expect(normalizeToolResult([])).toEqual({ content: [] });
  });

  test("an array that is not all blocks → its JSON as text, no structured content", () => {
    expect(normalizeToolResult([1, "two", { type: "text", text: "x" }])).toEqual({
      content: [{ type: "text", text: '[1,"two",{"type":"text","text":"x"}]' }],
    });
  });

  test("a CallToolResult passes through unchanged, as a copy (later decoration never touches the handler's object)", () => {
    const result: CallToolResult = {
      content: [{ type: "text", text: "done" }],
      structuredContent: { n: 1 },
      isError: false,
      _meta: { m: 1 },
    };
    expect(normalizeToolResult(result)).toEqual(result);
    expect(normalizeToolResult(result)).not.toBe(result);
    const failed = { content: [{ type: "text", text: "boom" }], isError: true };
    expect(normalizeToolResult(failed)).toEqual(failed);
    expect(normalizeToolResult(failed)).not.toBe(failed);
  });

  test("a plain object → structuredContent plus its JSON as text", () => {
    const value = { temperature: 21.5, unit: "C", tags: ["a"] };
    expect(normalizeToolResult(value)).toEqual({
      content: [{ type: "text", text: '{"temperature":21.5,"unit":"C","tags":["a"]}' }],
      structuredContent: value,
    });
  });

  test("an object with a content member that is not blocks is a plain object", () => {
    const value = { content: "just a field" };
    expect(normalizeToolResult(value)).toEqual({
      content: [{ type: "text", text: '{"content":"just a field"}' }],
      structuredContent: value,
    });
  });

  test("an object with an unknown type is a plain object", () => {
    const value = { type: "video", url: "x" };
    expect(normalizeToolResult(value).structuredContent).toEqual(value);
  });

  test("null and undefined → empty content", () => {
    expect(normalizeToolResult(null)).toEqual({ content: [] });
    expect(normalizeToolResult(undefined)).toEqual({ content: [] });
  });

  test("numbers and booleans → their text", () => {
    expect(normalizeToolResult(42)).toEqual({ content: [{ type: "text", text: "42" }] });
    expect(normalizeToolResult(0)).toEqual({ content: [{ type: "text", text: "0" }] });
    expect(normalizeToolResult(-1.5)).toEqual({ content: [{ type: "text", text: "-1.5" }] });
    expect(normalizeToolResult(false)).toEqual({ content: [{ type: "text", text: "false" }] });
  });
});

describe("tool errors", () => {
  test("toolError: the message, flagged", () => {
    expect(toolError(new Error("nope"))).toEqual({ content: [{ type: "text", text: "nope" }], isError: true });
    expect(toolError(42)).toEqual({ content: [{ type: "text", text: "Tool failed" }], isError: true });
  });

  test("toolErrorText", () => {
    expect(toolErrorText("bad args")).toEqual({ content: [{ type: "text", text: "bad args" }], isError: true });
  });
});
