import { describe, expect, test } from "vitest";
import { ErrorCode } from "../src/protocol/errors.js";
import { classifyMessage, failure, notification, success } from "../src/protocol/jsonrpc.js";

/** The classification of an invalid value: its id and error, or a failure of the test. */
function invalid(value: unknown) {
  const c = classifyMessage(value);
  if (c.kind !== "invalid") throw new Error(`expected invalid, got ${c.kind}`);
  return { id: c.id, code: c.error.code, message: c.error.message };
}

describe("classifyMessage: valid messages", () => {
  test("a request with a number id", () => {
    const msg = { jsonrpc: "2.0", id: 1, method: "ping" };
    expect(classifyMessage(msg)).toEqual({ kind: "request", message: msg });
  });

  test("a request with a string id and params", () => {
    const msg = { jsonrpc: "2.0", id: "abc", method: "tools/list", params: { cursor: "x" } };
    expect(classifyMessage(msg)).toEqual({ kind: "request", message: msg });
  });

  test("id 0 is a request, not a notification", () => {
    expect(classifyMessage({ jsonrpc: "2.0", id: 0, method: "ping" }).kind).toBe("request");
  });

  test("a notification has no id", () => {
    const msg = { jsonrpc: "2.0", method: "notifications/initialized" };
    expect(classifyMessage(msg)).toEqual({ kind: "notification", message: msg });
  });

  test("a success response and an error response", () => {
    const ok = { jsonrpc: "2.0", id: "srv-1", result: {} };
    const err = { jsonrpc: "2.0", id: 3, error: { code: -1, message: "no" } };
    expect(classifyMessage(ok)).toEqual({ kind: "response", message: ok });
    expect(classifyMessage(err)).toEqual({ kind: "response", message: err });
  });
});

describe("classifyMessage: invalid messages", () => {
  test.each([
    ["a number", 42],
    ["a string", "hello"],
    ["null", null],
    ["an array", [{ jsonrpc: "2.0", id: 1, method: "ping" }]],
    ["a boolean", true],
  ])("%s is not a message (id null, -32600)", (_what, value) => {
    const r = invalid(value);
    expect(r.id).toBeNull();
    expect(r.code).toBe(ErrorCode.InvalidRequest);
    expect(r.message).toBe("Invalid request: a message must be a JSON object");
  });

  test("a missing jsonrpc member keeps the id", () => {
    expect(invalid({ id: 7, method: "ping" })).toEqual({
      id: 7,
      code: -32600,
      message: 'Invalid request: "jsonrpc" must be "2.0"',
    });
  });

  test('jsonrpc "1.0" keeps a string id', () => {
    expect(invalid({ jsonrpc: "1.0", id: "x", method: "ping" })).toMatchObject({ id: "x", code: -32600 });
  });

  test("jsonrpc as the number 2", () => {
    expect(invalid({ jsonrpc: 2, id: 1, method: "ping" })).toMatchObject({ id: 1, code: -32600 });
  });

  test("a non-string method", () => {
    expect(invalid({ jsonrpc: "2.0", id: 4, method: 12 })).toEqual({
      id: 4,
      code: -32600,
      message: 'Invalid request: "method" must be a non-empty string',
    });
  });

  test("an empty method", () => {
    expect(invalid({ jsonrpc: "2.0", id: 5, method: "" })).toMatchObject({ id: 5, code: -32600 });
  });

  test.each([
    ["an array", [1, 2]],
    ["a string", "x"],
    ["null", null],
    ["a number", 3],
  ])("params as %s", (_what, params) => {
    expect(invalid({ jsonrpc: "2.0", id: 6, method: "ping", params })).toEqual({
      id: 6,
      code: -32600,
      message: 'Invalid request: "params" must be an object',
    });
  });

  test.each([
    ["null", null],
    ["an object", { a: 1 }],
    ["a boolean", true],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
  ])("a request whose id is %s → id null", (_what, id) => {
    expect(invalid({ jsonrpc: "2.0", id, method: "ping" })).toEqual({
      id: null,
      code: -32600,
      message: 'Invalid request: "id" must be a string or a number',
    });
  });

  test("a response without an id", () => {
    expect(invalid({ jsonrpc: "2.0", result: {} })).toEqual({
      id: null,
      code: -32600,
      message: "Invalid request: a response needs an id",
    });
  });

  test("a response whose result is not an object", () => {
    expect(invalid({ jsonrpc: "2.0", id: 8, result: "yes" })).toMatchObject({ id: 8, code: -32600 });
    expect(invalid({ jsonrpc: "2.0", id: 8, result: [1] })).toMatchObject({ id: 8, code: -32600 });
  });

  test("a response whose error is not an object", () => {
    expect(invalid({ jsonrpc: "2.0", id: 9, error: "bad" })).toEqual({
      id: 9,
      code: -32600,
      message: 'Invalid request: "error" must be an object',
    });
  });

  test("an object that is neither request nor response", () => {
    expect(invalid({ jsonrpc: "2.0", id: 10 })).toEqual({
      id: 10,
      code: -32600,
      message: "Invalid request: not a request, notification or response",
    });
  });
});

describe("message builders", () => {
  test("success, failure and notification", () => {
    expect(success(1, { a: 1 })).toEqual({ jsonrpc: "2.0", id: 1, result: { a: 1 } });
    expect(failure(null, { code: -32700, message: "Parse error" })).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32700, message: "Parse error" },
    });
    expect(notification("a/b")).toEqual({ jsonrpc: "2.0", method: "a/b" });
    expect("params" in notification("a/b")).toBe(false);
    expect(notification("a/b", { x: 1 })).toEqual({ jsonrpc: "2.0", method: "a/b", params: { x: 1 } });
  });
});
