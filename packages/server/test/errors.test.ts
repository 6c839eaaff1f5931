import { describe, expect, test } from "vitest";
import {
  capabilityMissing,
  ErrorCode,
  invalidParams,
  invalidRequest,
  McpError,
  McpHttpError,
  methodNotFound,
  parseError,
  resourceNotFound,
  toJsonRpcError,
  toolErrorMessage,
} from "../src/protocol/errors.js";

describe("toJsonRpcError", () => {
  test("an McpError keeps its code, message and data", () => {
    expect(toJsonRpcError(new McpError(-32002, "Resource not found: x", { uri: "x" }))).toEqual({
      code: -32002,
      message: "Resource not found: x",
      data: { uri: "x" },
    });
  });

  test("an McpError without data has no data member", () => {
    const json = toJsonRpcError(new McpError(-32602, "bad"));
    expect(json).toEqual({ code: -32602, message: "bad" });
    expect("data" in json).toBe(false);
  });

  test.each([
    ["an Error", new Error("db password is hunter2")],
    ["a TypeError", new TypeError("Cannot read properties of undefined (reading 'secret')")],
    ["a string", "internal path /etc/secret"],
    ["an object with code and message", { code: -32602, message: "looks like an McpError" }],
    ["undefined", undefined],
    ["null", null],
  ])("%s becomes a generic -32603 that leaks nothing", (_what, err) => {
    const json = toJsonRpcError(err);
    expect(json).toEqual({ code: -32603, message: "Internal error" });
    expect(JSON.stringify(json)).not.toMatch(/hunter2|secret|looks like/);
  });

  test("an McpHttpError is an McpError: its JSON-RPC form is kept", () => {
    const err = new McpHttpError(404, ErrorCode.SessionNotFound, "Session not found");
    expect(err.status).toBe(404);
    expect(toJsonRpcError(err)).toEqual({ code: -32001, message: "Session not found" });
  });
});

describe("error builders", () => {
  test("codes and messages", () => {
    expect(parseError().toJSON()).toEqual({ code: -32700, message: "Parse error" });
    expect(parseError("bad").message).toBe("Parse error: bad");
    expect(invalidRequest("x").toJSON()).toEqual({ code: -32600, message: "Invalid request: x" });
    expect(methodNotFound("foo/bar").toJSON()).toEqual({ code: -32601, message: "Method not found: foo/bar" });
    expect(invalidParams("y", { f: 1 }).toJSON()).toEqual({
      code: -32602,
      message: "Invalid params: y",
      data: { f: 1 },
    });
    expect(resourceNotFound("a://b").toJSON()).toEqual({
      code: -32002,
      message: "Resource not found: a://b",
      data: { uri: "a://b" },
    });
    const cap = capabilityMissing("sampling", "ctx.sample()");
    expect(cap.code).toBe(-32003);
    expect(cap.message).toContain("'sampling'");
    expect(cap.message).toContain("ctx.sample()");
  });

  test("toolErrorMessage gives the message, never the stack", () => {
    const err = new Error("quota exceeded");
    expect(toolErrorMessage(err)).toBe("quota exceeded");
    expect(toolErrorMessage(err)).not.toContain("at ");
    expect(toolErrorMessage(new RangeError(""))).toBe("RangeError");
    expect(toolErrorMessage("plain")).toBe("plain");
    expect(toolErrorMessage({ what: 1 })).toBe("Tool failed");
  });
});
