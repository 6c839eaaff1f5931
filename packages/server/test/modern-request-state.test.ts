/** `requestState` of input-required rounds: signed, bound to the request, the caller and an expiry. */
import { createHmac } from "node:crypto";
import { describe, expect, test } from "vitest";
import { McpError } from "../src/protocol/errors.js";
import { digestParams, RequestStateCodec, type RequestStatePayload } from "../src/protocol/modern/request-state.js";

const SECRET = "a-test-secret-of-some-length";
const codec = () => new RequestStateCodec(SECRET, 60_000);

const payload = (overrides: Partial<RequestStatePayload> = {}): RequestStatePayload => ({
  m: "tools/call",
  d: digestParams({ name: "greet", arguments: { who: "Ada" } }),
  p: "alice",
  e: Date.now() + 60_000,
  a: { user_name: { action: "accept", content: { name: "Ada" } } },
  ...overrides,
});

const expectFor = (p: RequestStatePayload) => ({ method: p.m, digest: p.d, principal: p.p });

/** The refusal `decode` throws: always -32602; returns its message. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32602);
    return (err as McpError).message;
  }
  throw new Error("expected decode to refuse the state");
}

/** Replaces the character at `index` with a different one of the base64url alphabet. */
function alterAt(text: string, index: number): string {
  const c = text[index];
  const replacement = c === "A" ? "B" : "A";
  return `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
}

describe("RequestStateCodec", () => {
  test("a state round-trips: decode returns exactly what was encoded", () => {
    const c = codec();
    const p = payload();
    const state = c.encode(p);
    expect(typeof state).toBe("string");
    expect(state).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(c.decode(state, expectFor(p))).toEqual(p);
  });

  test("another instance with the same secret accepts it (instances behind a load balancer)", () => {
    const p = payload();
    const state = codec().encode(p);
    expect(new RequestStateCodec(SECRET, 1).decode(state, expectFor(p))).toEqual(p);
  });

  test("an instance with another secret refuses it", () => {
    const p = payload();
    const state = codec().encode(p);
    expect(refusal(() => new RequestStateCodec("another-secret", 60_000).decode(state, expectFor(p)))).toBe(
      "Invalid params: requestState failed verification (it was altered, or issued by another server)",
    );
  });

  test("a random per-process key (no secret) still round-trips within the instance", () => {
    const c = new RequestStateCodec(undefined, 60_000);
    const p = payload();
    expect(c.decode(c.encode(p), expectFor(p))).toEqual(p);
    expect(refusal(() => new RequestStateCodec(undefined, 60_000).decode(c.encode(p), expectFor(p)))).toContain(
      "failed verification",
    );
  });

  test("a tampered body is refused", () => {
    const c = codec();
    const p = payload();
    const state = c.encode(p);
    expect(refusal(() => c.decode(alterAt(state, 3), expectFor(p)))).toContain("failed verification");
    // A body re-encoded with different answers but the old signature.
    const [, signature] = state.split(".");
    const forged = `${Buffer.from(JSON.stringify(payload({ a: { user_name: { action: "decline" } } }))).toString("base64url")}.${signature}`;
    expect(refusal(() => c.decode(forged, expectFor(p)))).toContain("failed verification");
  });

  test("a tampered or truncated signature is refused", () => {
    const c = codec();
    const p = payload();
    const state = c.encode(p);
    expect(refusal(() => c.decode(alterAt(state, state.length - 2), expectFor(p)))).toContain("failed verification");
    expect(refusal(() => c.decode(state.slice(0, -1), expectFor(p)))).toContain("failed verification");
    expect(refusal(() => c.decode(`${state}A`, expectFor(p)))).toContain("failed verification");
  });

  test.each([
    ["a number", 42, "Invalid params: requestState must be a string"],
    ["an object", { state: "x" }, "Invalid params: requestState must be a string"],
    ["no dot", "abcdef", "Invalid params: requestState is malformed"],
    ["a leading dot", ".abcdef", "Invalid params: requestState is malformed"],
    ["empty", "", "Invalid params: requestState is malformed"],
  ])("a state that is %s is refused", (_what, state, message) => {
    expect(refusal(() => codec().decode(state, expectFor(payload())))).toBe(message);
  });

  test("a correctly signed body that is not JSON is refused as malformed", () => {
    const body = Buffer.from("not json at all").toString("base64url");
    const signature = createHmac("sha256", Buffer.from(SECRET)).update(body).digest("base64url");
    expect(refusal(() => codec().decode(`${body}.${signature}`, expectFor(payload())))).toBe(
      "Invalid params: requestState is malformed",
    );
  });

  test("a state for another method is refused", () => {
    const c = codec();
    const p = payload();
    expect(refusal(() => c.decode(c.encode(p), { ...expectFor(p), method: "prompts/get" }))).toBe(
      "Invalid params: requestState belongs to a different request",
    );
  });

  test("a state for other params (another digest) is refused", () => {
    const c = codec();
    const p = payload();
    const otherDigest = digestParams({ name: "greet", arguments: { who: "Grace" } });
    expect(otherDigest).not.toBe(p.d);
    expect(refusal(() => c.decode(c.encode(p), { ...expectFor(p), digest: otherDigest }))).toBe(
      "Invalid params: requestState belongs to a different request",
    );
  });

  test("a state presented by another caller is refused", () => {
    const c = codec();
    const p = payload();
    expect(refusal(() => c.decode(c.encode(p), { ...expectFor(p), principal: "mallory" }))).toBe(
      "Invalid params: requestState belongs to a different caller",
    );
    // Anonymous state presented by an authenticated caller, and the reverse.
    const anon = payload({ p: "" });
    expect(refusal(() => c.decode(c.encode(anon), { ...expectFor(anon), principal: "alice" }))).toContain(
      "different caller",
    );
    expect(refusal(() => c.decode(c.encode(p), { ...expectFor(p), principal: "" }))).toContain("different caller");
  });

  test("an expired state is refused", () => {
    const c = codec();
    const p = payload({ e: Date.now() - 1 });
    expect(refusal(() => c.decode(c.encode(p), expectFor(p)))).toBe(
      "Invalid params: requestState has expired: start the request again",
    );
  });

  test("ttlMs is kept as given", () => {
    expect(new RequestStateCodec(SECRET, 1234).ttlMs).toBe(1234);
  });
});

describe("digestParams", () => {
  const base = { name: "greet", arguments: { who: "Ada", times: 2, options: { loud: true, lang: "en" } } };

  test("ignores _meta, inputResponses and requestState", () => {
    const d = digestParams(base);
    expect(
      digestParams({
        ...base,
        _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", progressToken: 7 },
        inputResponses: { user_name: { action: "accept" } },
        requestState: "abc.def",
      }),
    ).toBe(d);
  });

  test("does not depend on key order, at any depth", () => {
    const reordered = { arguments: { options: { lang: "en", loud: true }, times: 2, who: "Ada" }, name: "greet" };
    expect(digestParams(reordered)).toBe(digestParams(base));
  });

  test("ignores members whose value is undefined", () => {
    expect(digestParams({ ...base, cursor: undefined })).toBe(digestParams(base));
  });

  test("changes with any salient value", () => {
    const d = digestParams(base);
    expect(digestParams({ ...base, name: "greet2" })).not.toBe(d);
    expect(digestParams({ ...base, arguments: { ...base.arguments, who: "Grace" } })).not.toBe(d);
    expect(digestParams({ ...base, arguments: { ...base.arguments, times: "2" } })).not.toBe(d);
    expect(digestParams({ ...base, arguments: { ...base.arguments, options: { loud: false, lang: "en" } } })).not.toBe(
      d,
    );
    expect(digestParams({ ...base, extra: null })).not.toBe(d);
  });

  test("array order matters", () => {
    expect(digestParams({ list: [1, 2] })).not.toBe(digestParams({ list: [2, 1] }));
  });

  test("is a base64url SHA-256 (43 characters)", () => {
    expect(digestParams(base)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(digestParams({})).toBe(digestParams({ _meta: {} }));
  });
});
