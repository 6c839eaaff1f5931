/** The modern request envelope (`params._meta`): what is required, what is optional, and how a bad one is refused. */
import { describe, expect, test } from "vitest";
import { McpHttpError } from "../src/protocol/errors.js";
import {
  META_CLIENT_CAPABILITIES,
  META_CLIENT_INFO,
  META_LOG_LEVEL,
  META_PROTOCOL_VERSION,
  metaProtocolVersion,
  readEnvelope,
} from "../src/protocol/modern/meta.js";

const VERSION = "2026-07-28";

const fullMeta = (extra: Record<string, unknown> = {}) => ({
  [META_PROTOCOL_VERSION]: VERSION,
  [META_CLIENT_INFO]: { name: "meta-test", version: "1.0.0" },
  [META_CLIENT_CAPABILITIES]: { sampling: {} },
  ...extra,
});

/** Runs `fn`, expecting it to throw the 400 / -32602 envelope error; returns its message. */
function envelopeRefusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(McpHttpError);
    const e = err as McpHttpError;
    expect(e.status).toBe(400);
    expect(e.code).toBe(-32602);
    expect(e.toJSON()).toEqual({ code: -32602, message: e.message });
    return e.message;
  }
  throw new Error("expected readEnvelope to throw");
}

describe("readEnvelope", () => {
  test("a full envelope is read field by field", () => {
    const meta = fullMeta({ [META_LOG_LEVEL]: "warning", progressToken: "p-1" });
    const envelope = readEnvelope({ name: "x", _meta: meta });
    expect(envelope).toEqual({
      protocolVersion: VERSION,
      clientCapabilities: { sampling: {} },
      clientInfo: { name: "meta-test", version: "1.0.0" },
      logLevel: "warning",
      meta,
    });
    // The meta object is the request's own (progressToken and the rest stay reachable).
    expect(envelope.meta).toBe(meta);
  });

  test("clientInfo and logLevel are optional", () => {
    const envelope = readEnvelope({
      _meta: { [META_PROTOCOL_VERSION]: VERSION, [META_CLIENT_CAPABILITIES]: {} },
    });
    expect(envelope.clientInfo).toBeUndefined();
    expect(envelope.logLevel).toBeUndefined();
    expect(envelope.clientCapabilities).toEqual({});
    expect(envelope.protocolVersion).toBe(VERSION);
  });

  test("the protocol version is read as given (support is decided later)", () => {
    expect(readEnvelope({ _meta: fullMeta({ [META_PROTOCOL_VERSION]: "2099-01-01" }) }).protocolVersion).toBe(
      "2099-01-01",
    );
  });

  test.each([
    ["no _meta", {}, "params._meta is required"],
    ["_meta null", { _meta: null }, "params._meta is required"],
    ["_meta an array", { _meta: [] }, "params._meta is required"],
    ["_meta a string", { _meta: "2026-07-28" }, "params._meta is required"],
  ])("%s → -32602 / HTTP 400", (_what, params, message) => {
    expect(envelopeRefusal(() => readEnvelope(params as Record<string, unknown>))).toContain(message);
  });

  test.each([
    ["missing", undefined],
    ["empty", ""],
    ["a number", 20260728],
    ["null", null],
  ])("protocolVersion %s → -32602 / HTTP 400", (_what, value) => {
    const meta: Record<string, unknown> = fullMeta();
    if (value === undefined) delete meta[META_PROTOCOL_VERSION];
    else meta[META_PROTOCOL_VERSION] = value;
    expect(envelopeRefusal(() => readEnvelope({ _meta: meta }))).toBe(
      `Invalid params: _meta["${META_PROTOCOL_VERSION}"] must be a string`,
    );
  });

  test.each([
    ["missing", undefined],
    ["null", null],
    ["an array", []],
    ["a string", "all"],
  ])("clientCapabilities %s → -32602 / HTTP 400", (_what, value) => {
    const meta: Record<string, unknown> = fullMeta();
    if (value === undefined) delete meta[META_CLIENT_CAPABILITIES];
    else meta[META_CLIENT_CAPABILITIES] = value;
    expect(envelopeRefusal(() => readEnvelope({ _meta: meta }))).toBe(
      `Invalid params: _meta["${META_CLIENT_CAPABILITIES}"] must be an object`,
    );
  });

  test.each([
    ["a string", "client"],
    ["an array", ["client"]],
    ["null", null],
  ])("clientInfo given as %s → -32602 / HTTP 400", (_what, value) => {
    expect(envelopeRefusal(() => readEnvelope({ _meta: fullMeta({ [META_CLIENT_INFO]: value }) }))).toBe(
      `Invalid params: _meta["${META_CLIENT_INFO}"] must be an object`,
    );
  });

  test.each(["verbose", "INFO", "", 3, null])("logLevel %j → -32602 / HTTP 400", (value) => {
    const message = envelopeRefusal(() => readEnvelope({ _meta: fullMeta({ [META_LOG_LEVEL]: value }) }));
    expect(message).toContain(`_meta["${META_LOG_LEVEL}"] must be one of debug, info, notice, warning, error`);
  });

  test.each(["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"])(
    "logLevel %s is accepted",
    (level) => {
      expect(readEnvelope({ _meta: fullMeta({ [META_LOG_LEVEL]: level }) }).logLevel).toBe(level);
    },
  );
});

describe("metaProtocolVersion (what makes a message modern)", () => {
  test("the version named in _meta, when it is a string", () => {
    expect(metaProtocolVersion({ _meta: fullMeta() })).toBe(VERSION);
    expect(metaProtocolVersion({ _meta: { [META_PROTOCOL_VERSION]: "1900-01-01" } })).toBe("1900-01-01");
  });

  test.each([
    ["no params", undefined],
    ["params without _meta", { name: "x" }],
    ["_meta without the version", { _meta: { progressToken: 1 } }],
    ["a numeric version", { _meta: { [META_PROTOCOL_VERSION]: 2026 } }],
    ["params an array", [{ _meta: fullMeta() }]],
    ["_meta an array", { _meta: [fullMeta()] }],
  ])("%s → undefined", (_what, params) => {
    expect(metaProtocolVersion(params)).toBeUndefined();
  });
});
