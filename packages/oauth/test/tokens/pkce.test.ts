import { describe, expect, test } from "vitest";
import {
  codeChallengeProblem,
  computeCodeChallenge,
  generateCodeVerifier,
  isCodeVerifier,
  isS256Challenge,
  PKCE_METHOD,
  verifyCodeVerifier,
} from "../../src/tokens/pkce.js";

// RFC 7636 Appendix B.
const RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

describe("S256", () => {
  test("RFC 7636 appendix B: the verifier's challenge", () => {
    expect(computeCodeChallenge(RFC_VERIFIER)).toBe(RFC_CHALLENGE);
  });

  test("RFC 7636 appendix B: the verifier answers the challenge", () => {
    expect(verifyCodeVerifier({ verifier: RFC_VERIFIER, challenge: RFC_CHALLENGE, method: "S256" })).toBe(true);
  });

  test("another verifier, or a challenge off by one character, does not", () => {
    const otherVerifier = `${RFC_VERIFIER.slice(0, -1)}Y`;
    expect(verifyCodeVerifier({ verifier: otherVerifier, challenge: RFC_CHALLENGE, method: "S256" })).toBe(false);
    const otherChallenge = `${RFC_CHALLENGE.slice(0, -1)}N`;
    expect(verifyCodeVerifier({ verifier: RFC_VERIFIER, challenge: otherChallenge, method: "S256" })).toBe(false);
  });

  test("generated verifiers are 43 unreserved characters, distinct, and round-trip", () => {
    const a = generateCodeVerifier();
    const b = generateCodeVerifier();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(verifyCodeVerifier({ verifier: a, challenge: computeCodeChallenge(a), method: PKCE_METHOD })).toBe(true);
    expect(verifyCodeVerifier({ verifier: b, challenge: computeCodeChallenge(a), method: PKCE_METHOD })).toBe(false);
  });
});

describe("plain is refused", () => {
  test("plain with verifier = challenge → false", () => {
    expect(verifyCodeVerifier({ verifier: RFC_VERIFIER, challenge: RFC_VERIFIER, method: "plain" })).toBe(false);
  });

  test("plain with a correct S256 pair → still false; lower-case s256 → false", () => {
    expect(verifyCodeVerifier({ verifier: RFC_VERIFIER, challenge: RFC_CHALLENGE, method: "plain" })).toBe(false);
    expect(verifyCodeVerifier({ verifier: RFC_VERIFIER, challenge: RFC_CHALLENGE, method: "s256" })).toBe(false);
  });

  test("at the authorization endpoint: plain, a missing method, or no challenge are problems", () => {
    expect(codeChallengeProblem(RFC_CHALLENGE, "S256")).toBeUndefined();
    expect(codeChallengeProblem(RFC_CHALLENGE, "plain")).toBe("code_challenge_method must be S256");
    // RFC 7636 §4.3: no method means plain.
    expect(codeChallengeProblem(RFC_CHALLENGE, undefined)).toBe("code_challenge_method must be S256");
    expect(codeChallengeProblem(undefined, "S256")).toBe("code_challenge is required (PKCE)");
    expect(codeChallengeProblem("", "S256")).toBe("code_challenge is required (PKCE)");
    expect(codeChallengeProblem("short", "S256")).toBe("code_challenge is not a valid S256 challenge");
    expect(codeChallengeProblem(`${RFC_CHALLENGE}=`, "S256")).toBe("code_challenge is not a valid S256 challenge");
  });
});

describe("verifier shape (RFC 7636 §4.1: 43–128 unreserved characters)", () => {
  test.each([
    ["42 characters", "a".repeat(42), false],
    ["43 characters", "a".repeat(43), true],
    ["128 characters", "a".repeat(128), true],
    ["129 characters", "a".repeat(129), false],
    ["all unreserved kinds", `AZaz09-._~${"x".repeat(33)}`, true],
    ["a space", `${"a".repeat(42)} `, false],
    ["a plus", `${"a".repeat(42)}+`, false],
    ["a slash", `${"a".repeat(42)}/`, false],
    ["non-ASCII", `${"a".repeat(42)}é`, false],
  ])("%s → %s", (_name, verifier, valid) => {
    expect(isCodeVerifier(verifier)).toBe(valid);
    // An ill-shaped verifier never verifies, not even against its own hash.
    const challenge = valid
      ? computeCodeChallenge(verifier)
      : Buffer.from(verifier.padEnd(43, "x")).toString("base64url").slice(0, 43);
    expect(verifyCodeVerifier({ verifier, challenge, method: "S256" })).toBe(valid);
  });

  test("an ill-shaped verifier cannot be hashed into a challenge", () => {
    expect(() => computeCodeChallenge("a".repeat(42))).toThrow(RangeError);
  });

  test("non-string verifiers are refused", () => {
    for (const verifier of [undefined, null, 42, ["a".repeat(43)]]) {
      expect(verifyCodeVerifier({ verifier, challenge: RFC_CHALLENGE, method: "S256" })).toBe(false);
    }
  });

  test("S256 challenge shape", () => {
    expect(isS256Challenge(RFC_CHALLENGE)).toBe(true);
    expect(isS256Challenge(RFC_CHALLENGE.slice(1))).toBe(false);
    expect(isS256Challenge(`${RFC_CHALLENGE.slice(1)}+`)).toBe(false);
    expect(isS256Challenge(42)).toBe(false);
  });
});
