/**
 * 2026-07-28 HTTP request headers: MCP-Protocol-Version, Mcp-Method, Mcp-Name
 * and Mcp-Param-* checked against the body (-32020, HTTP 400), the
 * x-mcp-header annotations found at registration, the validation order
 * through the dispatch, and which POSTs are modern.
 */

import type { IncomingHttpHeaders } from "node:http";
import { beforeEach, describe, expect, test } from "vitest";
import { z } from "zod";
import { LazyAbort } from "../src/protocol/cancellation.js";
import { McpHttpError } from "../src/protocol/errors.js";
import type { JsonRpcRequest } from "../src/protocol/jsonrpc.js";
import { handleModernRequest } from "../src/protocol/modern/dispatch.js";
import { readEnvelope } from "../src/protocol/modern/meta.js";
import { headerParamsOf } from "../src/registry/tool-headers.js";
import { ChukMCPServer } from "../src/server.js";
import { decodeHeaderValue, modernHeaderChecks } from "../src/transports/http/modern-headers.js";
import { isModernPost } from "../src/transports/http/modern-post.js";
import { recordingChannel } from "./helpers/recording-channel.js";

const VERSION = "2026-07-28";
const b64 = (s: string) => `=?base64?${Buffer.from(s, "utf8").toString("base64")}?=`;

let server: ChukMCPServer;

const META = {
  "io.modelcontextprotocol/protocolVersion": VERSION,
  "io.modelcontextprotocol/clientCapabilities": {},
};

const rpc = (method: string, params: Record<string, unknown> = {}, version = VERSION): JsonRpcRequest => ({
  jsonrpc: "2.0",
  id: 1,
  method,
  params: { ...params, _meta: { ...META, "io.modelcontextprotocol/protocolVersion": version } },
});

/** Runs both checks in order, as the dispatch does. */
function check(headers: IncomingHttpHeaders, request: JsonRpcRequest): void {
  const checks = modernHeaderChecks(server, headers);
  checks.protocolVersion(readEnvelope(request.params ?? {}));
  checks.requestHeaders(request);
}

/** Expects the -32020 / HTTP 400 refusal; returns its message. */
function mismatch(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(McpHttpError);
    expect((err as McpHttpError).status).toBe(400);
    expect((err as McpHttpError).code).toBe(-32020);
    return (err as McpHttpError).message;
  }
  throw new Error("expected a header mismatch");
}

const headersFor = (method: string, extra: IncomingHttpHeaders = {}): IncomingHttpHeaders => ({
  "mcp-protocol-version": VERSION,
  "mcp-method": method,
  ...extra,
});

beforeEach(() => {
  server = new ChukMCPServer("headers-test", { logLevel: "silent" });
  server.tool("echo", { input: { text: z.string() } }, ({ text }) => text);
  server.tool(
    "route",
    {
      inputSchema: {
        type: "object",
        properties: {
          region: { type: "string", "x-mcp-header": "Region" },
          count: { type: "integer", "x-mcp-header": "Count" },
          dry: { type: "boolean", "x-mcp-header": "DryRun" },
          opts: { type: "object", properties: { zone: { type: "string", "x-mcp-header": "Zone" } } },
          query: { type: "string" },
        },
      },
    },
    (args) => JSON.stringify(args),
  );
  server.resource("test://doc", { name: "doc" }, () => "doc");
  server.prompt("hello", {}, () => "Hello");
});

describe("MCP-Protocol-Version", () => {
  test("matching: accepted", () => {
    expect(() => check(headersFor("tools/list"), rpc("tools/list"))).not.toThrow();
  });

  test("missing → -32020", () => {
    expect(mismatch(() => check({ "mcp-method": "tools/list" }, rpc("tools/list")))).toBe(
      "Header mismatch: the MCP-Protocol-Version header is required",
    );
  });

  test("different from _meta → -32020 naming both", () => {
    expect(
      mismatch(() => check(headersFor("tools/list", { "mcp-protocol-version": "2025-11-25" }), rpc("tools/list"))),
    ).toBe(
      "Header mismatch: MCP-Protocol-Version header '2025-11-25' does not match _meta protocolVersion '2026-07-28'",
    );
  });
});

describe("Mcp-Method", () => {
  test("missing → -32020", () => {
    expect(mismatch(() => check({ "mcp-protocol-version": VERSION }, rpc("tools/list")))).toBe(
      "Header mismatch: the Mcp-Method header is required",
    );
  });

  test("values are case-sensitive", () => {
    expect(mismatch(() => check(headersFor("Tools/List"), rpc("tools/list")))).toBe(
      "Header mismatch: Mcp-Method header 'Tools/List' does not match body method 'tools/list'",
    );
  });

  test("another method → -32020", () => {
    expect(mismatch(() => check(headersFor("prompts/list"), rpc("tools/list")))).toContain("does not match");
  });

  test("surrounding whitespace is trimmed", () => {
    expect(() => check(headersFor("  tools/list \t"), rpc("tools/list"))).not.toThrow();
  });

  test("a repeated header: the first value counts", () => {
    expect(() =>
      check(
        { "mcp-protocol-version": VERSION, "mcp-method": ["tools/list", "tools/call"] } as IncomingHttpHeaders,
        rpc("tools/list"),
      ),
    ).not.toThrow();
  });
});

describe("Mcp-Name", () => {
  test.each([
    ["tools/call", { name: "echo", arguments: { text: "x" } }, "echo"],
    ["prompts/get", { name: "hello" }, "hello"],
    ["resources/read", { uri: "test://doc" }, "test://doc"],
    ["tasks/get", { taskId: "task-1" }, "task-1"],
  ])("%s: required, and must equal the body's name/uri/taskId", (method, params, name) => {
    expect(() => check(headersFor(method, { "mcp-name": name }), rpc(method, params))).not.toThrow();
    expect(mismatch(() => check(headersFor(method), rpc(method, params)))).toBe(
      `Header mismatch: the Mcp-Name header is required for ${method}`,
    );
    expect(mismatch(() => check(headersFor(method, { "mcp-name": `${name}x` }), rpc(method, params)))).toBe(
      `Header mismatch: Mcp-Name header '${name}x' does not match body value '${name}'`,
    );
  });

  test("values are case-sensitive", () => {
    expect(
      mismatch(() =>
        check(headersFor("tools/call", { "mcp-name": "ECHO" }), rpc("tools/call", { name: "echo", arguments: {} })),
      ),
    ).toContain("'ECHO' does not match body value 'echo'");
  });

  test("not needed for methods without a name (tools/list, server/discover)", () => {
    expect(() => check(headersFor("tools/list"), rpc("tools/list"))).not.toThrow();
    expect(() => check(headersFor("server/discover", { "mcp-name": "ignored" }), rpc("server/discover"))).not.toThrow();
  });

  test("the Base64 sentinel form is decoded before comparing", () => {
    const call = rpc("tools/call", { name: "echo", arguments: { text: "x" } });
    expect(b64("echo")).toBe("=?base64?ZWNobw==?=");
    expect(() => check(headersFor("tools/call", { "mcp-name": b64("echo") }), call)).not.toThrow();
    expect(mismatch(() => check(headersFor("tools/call", { "mcp-name": b64("echo2") }), call))).toContain(
      "'echo2' does not match body value 'echo'",
    );
    // A URI outside the header-safe set, carried encoded.
    const uri = "test://doc/größe";
    expect(() =>
      check(headersFor("resources/read", { "mcp-name": b64(uri) }), rpc("resources/read", { uri })),
    ).not.toThrow();
  });

  test.each([
    ["=?base64?ZWNobw=?=", "length not a multiple of 4"],
    ["=?base64?@@@@?=", "characters outside the alphabet"],
    ["=?base64?ZWNobw-_?=", "the base64url alphabet"],
    ["=?base64?ZWNob3==?=", "non-canonical padding bits"],
    ["=?base64?ZW=obw==?=", "padding in the middle"],
  ])("invalid Base64 (%s: %s) → -32020", (value) => {
    expect(
      mismatch(() =>
        check(headersFor("tools/call", { "mcp-name": value }), rpc("tools/call", { name: "echo", arguments: {} })),
      ),
    ).toBe("Header mismatch: Mcp-Name is not valid Base64");
  });

  test("decodeHeaderValue leaves plain values alone and needs the exact lowercase sentinel", () => {
    expect(decodeHeaderValue("us-west1", "X")).toBe("us-west1");
    expect(decodeHeaderValue("=?base64?SGVsbG8sIOS4lueVjA==?=", "X")).toBe("Hello, 世界");
    expect(decodeHeaderValue("=?BASE64?ZWNobw==?=", "X")).toBe("=?BASE64?ZWNobw==?=");
    expect(decodeHeaderValue("=?base64??=", "X")).toBe("");
  });
});

describe("Mcp-Param-* (x-mcp-header)", () => {
  const call = (args: Record<string, unknown>) => rpc("tools/call", { name: "route", arguments: args });
  const base = (extra: IncomingHttpHeaders = {}) => headersFor("tools/call", { "mcp-name": "route", ...extra });
  const all = {
    "mcp-param-region": "us-west1",
    "mcp-param-count": "42",
    "mcp-param-dryrun": "true",
    "mcp-param-zone": "b",
  };
  const args = { region: "us-west1", count: 42, dry: true, opts: { zone: "b" }, query: "SELECT 1" };

  test("the tool's header parameters are found at registration", () => {
    expect(server.tools.get("route")?.headerParams).toEqual([
      { path: ["region"], header: "Region", type: "string" },
      { path: ["count"], header: "Count", type: "integer" },
      { path: ["dry"], header: "DryRun", type: "boolean" },
      { path: ["opts", "zone"], header: "Zone", type: "string" },
    ]);
  });

  test("every header present and matching: accepted", () => {
    expect(() => check(base(all), call(args))).not.toThrow();
  });

  test.each([
    ["mcp-param-region", "Mcp-Param-Region", "region"],
    ["mcp-param-count", "Mcp-Param-Count", "count"],
    ["mcp-param-dryrun", "Mcp-Param-DryRun", "dry"],
    ["mcp-param-zone", "Mcp-Param-Zone", "opts.zone"],
  ])("%s missing while the argument is given → -32020", (lower, name, path) => {
    const headers: IncomingHttpHeaders = { ...all };
    delete headers[lower];
    expect(mismatch(() => check(base(headers), call(args)))).toBe(
      `Header mismatch: the ${name} header is required when ${path} is given`,
    );
  });

  test("absent or null arguments need no header", () => {
    expect(() => check(base(), call({ query: "x" }))).not.toThrow();
    expect(() => check(base(), call({ region: null, count: null, opts: { zone: null } }))).not.toThrow();
    expect(() => check(base(), call({ opts: "not an object" }))).not.toThrow();
  });

  test.each([
    ["a different string", { "mcp-param-region": "us-east1" }, "Mcp-Param-Region", "region"],
    ["a string in another case", { "mcp-param-region": "US-WEST1" }, "Mcp-Param-Region", "region"],
    ["another integer", { "mcp-param-count": "43" }, "Mcp-Param-Count", "count"],
    ["an empty integer", { "mcp-param-count": "" }, "Mcp-Param-Count", "count"],
    ["a non-number", { "mcp-param-count": "forty-two" }, "Mcp-Param-Count", "count"],
    ["a boolean in another case", { "mcp-param-dryrun": "True" }, "Mcp-Param-DryRun", "dry"],
    ["the other boolean", { "mcp-param-dryrun": "false" }, "Mcp-Param-DryRun", "dry"],
    ["a boolean as 1", { "mcp-param-dryrun": "1" }, "Mcp-Param-DryRun", "dry"],
    ["a nested string", { "mcp-param-zone": "c" }, "Mcp-Param-Zone", "opts.zone"],
  ])("%s → -32020", (_what, override, name, path) => {
    expect(mismatch(() => check(base({ ...all, ...override }), call(args)))).toBe(
      `Header mismatch: ${name} header does not match argument ${path}`,
    );
  });

  test("integers compare numerically (42.0 equals 42)", () => {
    expect(() => check(base({ ...all, "mcp-param-count": "42.0" }), call(args))).not.toThrow();
    expect(() => check(base({ ...all, "mcp-param-count": "-7" }), call({ ...args, count: -7 }))).not.toThrow();
  });

  test("an integer header is a decimal number: hex or binary spellings do not match", () => {
    expect(mismatch(() => check(base({ ...all, "mcp-param-count": "0x2A" }), call(args)))).toContain(
      "Mcp-Param-Count header does not match",
    );
    expect(mismatch(() => check(base({ ...all, "mcp-param-count": "0b101010" }), call(args)))).toContain(
      "Mcp-Param-Count header does not match",
    );
  });

  test("Base64-encoded values are decoded before comparing", () => {
    const padded = " padded ";
    expect(() =>
      check(base({ ...all, "mcp-param-region": b64(padded) }), call({ ...args, region: padded })),
    ).not.toThrow();
    expect(() =>
      check(base({ ...all, "mcp-param-region": b64("Hello, 世界") }), call({ ...args, region: "Hello, 世界" })),
    ).not.toThrow();
    expect(mismatch(() => check(base({ ...all, "mcp-param-region": "=?base64?%%%?=" }), call(args)))).toBe(
      "Header mismatch: Mcp-Param-Region is not valid Base64",
    );
  });

  test("header names are case-insensitive: x-mcp-header DryRun is read from mcp-param-dryrun", () => {
    expect(() => check(base({ "mcp-param-dryrun": "false" }), call({ dry: false }))).not.toThrow();
    expect(mismatch(() => check(base({ "mcp-param-dryrun": "true" }), call({ dry: false })))).toContain(
      "Mcp-Param-DryRun header does not match argument dry",
    );
  });

  test("an unknown tool is not checked here (the call answers it)", () => {
    expect(() =>
      check(headersFor("tools/call", { "mcp-name": "nope" }), rpc("tools/call", { name: "nope", arguments: {} })),
    ).not.toThrow();
  });
});

describe("headerParamsOf: annotations that break the rules are registration errors", () => {
  const schema = (properties: Record<string, unknown>) => ({ type: "object" as const, properties });

  test.each(["Bad Name", "", "Région", "a:b", "x\r\ny", "tab\t"])("a header name %j that is not a token", (name) => {
    expect(() => headerParamsOf(schema({ a: { type: "string", "x-mcp-header": name } }), "Tool t")).toThrow(
      'Tool t: x-mcp-header of "a" must be an HTTP token',
    );
  });

  test("a non-string header name", () => {
    expect(() => headerParamsOf(schema({ a: { type: "string", "x-mcp-header": 7 } }), "Tool t")).toThrow(
      "must be an HTTP token",
    );
  });

  test.each([["number"], ["object"], ["array"], [undefined], [["string", "null"]]])(
    "a parameter of type %j",
    (type) => {
      expect(() => headerParamsOf(schema({ a: { type, "x-mcp-header": "A" } }), "Tool t")).toThrow(
        "Tool t: x-mcp-header may only mark string, integer or boolean parameters",
      );
    },
  );

  test("the same header twice, in any case", () => {
    expect(() =>
      headerParamsOf(
        schema({
          a: { type: "string", "x-mcp-header": "Region" },
          b: { type: "object", properties: { c: { type: "string", "x-mcp-header": "region" } } },
        }),
        "Tool t",
      ),
    ).toThrow('Tool t: x-mcp-header "region" is used twice');
  });

  test.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ["items", { list: { type: "array", items: { type: "string", "x-mcp-header": "Item" } } }, {}],
    ["anyOf", { choice: { anyOf: [{ type: "string", "x-mcp-header": "Choice" }, { type: "integer" }] } }, {}],
    ["$defs via $ref", { ref: { $ref: "#/$defs/r" } }, { $defs: { r: { type: "string", "x-mcp-header": "Ref" } } }],
  ])("an annotation not reachable through properties alone (%s)", (_where, properties, extra) => {
    expect(() => headerParamsOf({ ...schema(properties), ...extra }, "Tool t")).toThrow(TypeError);
  });

  test("registering such a tool fails", () => {
    expect(() =>
      server.tool("bad", { inputSchema: schema({ n: { type: "number", "x-mcp-header": "N" } }) }, () => ""),
    ).toThrow('Tool "bad": x-mcp-header may only mark string, integer or boolean parameters');
    expect(server.tools.get("bad")).toBeUndefined();
  });

  test("a zod parameter annotated with .meta() is found", () => {
    server.tool(
      "zoned",
      { input: { region: z.string().meta({ "x-mcp-header": "Region" }), n: z.number().int() } },
      () => "",
    );
    expect(server.tools.get("zoned")?.headerParams).toEqual([{ path: ["region"], header: "Region", type: "string" }]);
  });

  test("no annotations → none", () => {
    expect(headerParamsOf(schema({ a: { type: "string" } }), "Tool t")).toEqual([]);
    expect(headerParamsOf({ type: "object" }, "Tool t")).toEqual([]);
  });
});

describe("the validation order through the dispatch", () => {
  const run = async (request: JsonRpcRequest, headers: IncomingHttpHeaders) =>
    handleModernRequest(server, {
      request,
      channel: recordingChannel(),
      cancel: new LazyAbort(),
      auth: undefined,
      checks: modernHeaderChecks(server, headers),
    });

  test("a bad envelope (-32602) comes before the headers", async () => {
    const outcome = await run(
      {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/list",
        params: { _meta: { "io.modelcontextprotocol/protocolVersion": VERSION } },
      },
      {},
    );
    expect(outcome?.status).toBe(400);
    expect(outcome?.response).toMatchObject({ error: { code: -32602 } });
  });

  test("a version header mismatch (-32020) comes before the version check", async () => {
    const outcome = await run(rpc("tools/list", {}, "2099-01-01"), headersFor("tools/list"));
    expect(outcome?.status).toBe(400);
    expect(outcome?.response).toMatchObject({ error: { code: -32020 } });
  });

  test("an unsupported version (-32022) comes before Mcp-Method", async () => {
    const outcome = await run(rpc("tools/list", {}, "2099-01-01"), { "mcp-protocol-version": "2099-01-01" });
    expect(outcome?.status).toBe(400);
    expect(outcome?.response).toMatchObject({ error: { code: -32022, data: { requested: "2099-01-01" } } });
  });

  test("Mcp-Method (-32020) comes before the method lookup (404)", async () => {
    const wrong = await run(rpc("no/such"), headersFor("tools/list"));
    expect(wrong?.status).toBe(400);
    expect(wrong?.response).toMatchObject({ error: { code: -32020 } });
    const right = await run(rpc("no/such"), headersFor("no/such"));
    expect(right?.status).toBe(404);
    expect(right?.response).toMatchObject({ error: { code: -32601 } });
  });

  test("all headers right: the call runs", async () => {
    const outcome = await run(
      rpc("tools/call", { name: "route", arguments: { region: "eu", query: "q" } }),
      headersFor("tools/call", { "mcp-name": "route", "mcp-param-region": "eu" }),
    );
    expect(outcome?.status).toBe(200);
    expect(outcome?.response).toMatchObject({
      result: { resultType: "complete", content: [{ type: "text", text: '{"region":"eu","query":"q"}' }] },
    });
  });
});

describe("isModernPost", () => {
  const body = (method: string, params?: Record<string, unknown>) => ({ jsonrpc: "2.0", id: 1, method, params });

  test("a body whose _meta names a version is modern, whatever the header says", () => {
    expect(isModernPost(body("tools/list", { _meta: META }), undefined, undefined)).toBe(true);
    expect(isModernPost(body("tools/list", { _meta: META }), "2025-11-25", undefined)).toBe(true);
    expect(isModernPost(body("tools/list", { _meta: META }), VERSION, undefined)).toBe(true);
  });

  test("a legacy header without _meta is legacy; no header and no _meta is legacy", () => {
    expect(isModernPost(body("tools/list"), "2025-11-25", undefined)).toBe(false);
    expect(isModernPost(body("tools/list"), "2025-06-18", undefined)).toBe(false);
    expect(isModernPost(body("tools/list", { _meta: { progressToken: 1 } }), "2025-03-26", undefined)).toBe(false);
    expect(isModernPost(body("initialize", { protocolVersion: "2025-11-25" }), undefined, undefined)).toBe(false);
  });

  test("a 2026 (or any non-legacy) header makes it modern, even on initialize", () => {
    expect(isModernPost(body("initialize", { protocolVersion: "2025-11-25" }), VERSION, undefined)).toBe(true);
    expect(isModernPost(body("tools/list"), "2099-01-01", undefined)).toBe(true);
    expect(isModernPost(body("tools/list"), ` ${VERSION} `, undefined)).toBe(true);
  });

  test("batches and requests carrying a session header stay legacy", () => {
    expect(isModernPost([body("tools/list", { _meta: META })], VERSION, undefined)).toBe(false);
    expect(isModernPost(body("tools/list", { _meta: META }), VERSION, "session-1")).toBe(false);
  });

  test("odd bodies do not throw", () => {
    expect(isModernPost(null, undefined, undefined)).toBe(false);
    expect(isModernPost("text", undefined, undefined)).toBe(false);
    expect(isModernPost(null, VERSION, undefined)).toBe(true);
  });
});
