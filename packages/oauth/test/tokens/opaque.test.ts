import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import {
  constantTimeEqual,
  generateOpaqueToken,
  hashOpaqueToken,
  OPAQUE_TOKEN_BYTES,
} from "../../src/tokens/opaque.js";

describe("generateOpaqueToken", () => {
  test("256 bits, base64url without padding: 43 characters that decode to 32 bytes", () => {
    const token = generateOpaqueToken();
    expect(OPAQUE_TOKEN_BYTES).toBe(32);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
  });

  test("more bytes on request; fewer than 32 refused", () => {
    expect(Buffer.from(generateOpaqueToken(48), "base64url")).toHaveLength(48);
    expect(generateOpaqueToken(48)).toHaveLength(64);
    expect(() => generateOpaqueToken(16)).toThrow(RangeError);
    expect(() => generateOpaqueToken(32.5)).toThrow(RangeError);
  });

  test("1000 tokens: all distinct, and every character of the alphabet carries entropy", () => {
    const tokens = Array.from({ length: 1000 }, () => generateOpaqueToken());
    expect(new Set(tokens).size).toBe(1000);
    // 1000 × 43 characters over a 64-symbol alphabet: each symbol is expected ~670 times;
    // a generator stuck on part of the alphabet would leave symbols unused.
    const seen = new Set(tokens.join(""));
    expect(seen.size).toBe(64);
  });
});

describe("hashOpaqueToken", () => {
  test("stable SHA-256, base64url: the same token always hashes the same, and matches an independent digest", () => {
    const token = "example-refresh-token";
    expect(hashOpaqueToken(token)).toBe(hashOpaqueToken(token));
    expect(hashOpaqueToken(token)).toBe(createHash("sha256").update(token).digest("base64url"));
    // SHA-256("abc"), FIPS 180-2 test vector.
    expect(Buffer.from(hashOpaqueToken("abc"), "base64url").toString("hex")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  test("different tokens → different hashes; the hash does not contain the token", () => {
    const a = generateOpaqueToken();
    const b = generateOpaqueToken();
    expect(hashOpaqueToken(a)).not.toBe(hashOpaqueToken(b));
    expect(hashOpaqueToken(a)).toHaveLength(43);
    expect(hashOpaqueToken(a)).not.toBe(a);
  });
});

describe("constantTimeEqual", () => {
  test.each([
    ["equal", "s3cr3t-value", "s3cr3t-value", true],
    ["differs in the last character", "s3cr3t-value", "s3cr3t-valuE", false],
    ["differs in the first character", "s3cr3t-value", "S3cr3t-value", false],
    ["a prefix", "s3cr3t-value", "s3cr3t", false],
    ["empty vs non-empty", "", "x", false],
    ["both empty", "", "", true],
    ["same bytes, different Unicode normalization", "caf\u00e9", "cafe\u0301", false],
  ])("%s → %s", (_name, a, b, expected) => {
    expect(constantTimeEqual(a, b)).toBe(expected);
    expect(constantTimeEqual(b, a)).toBe(expected);
  });
});
