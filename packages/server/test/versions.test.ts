import { describe, expect, test } from "vitest";
import {
  allowsBatches,
  isLegacyVersion,
  LATEST_LEGACY_VERSION,
  LEGACY_PROTOCOL_VERSIONS,
  negotiateLegacyVersion,
} from "../src/protocol/versions.js";

describe("versions", () => {
  test("the legacy revisions, newest first, and the latest", () => {
    expect([...LEGACY_PROTOCOL_VERSIONS]).toEqual(["2025-11-25", "2025-06-18", "2025-03-26"]);
    expect(LATEST_LEGACY_VERSION).toBe("2025-11-25");
  });

  test.each(["2025-11-25", "2025-06-18", "2025-03-26"])("a version we speak (%s) is echoed", (v) => {
    expect(negotiateLegacyVersion(v)).toBe(v);
  });

  test.each([
    ["an older one", "2024-11-05"],
    ["a future one", "2099-01-01"],
    ["garbage", "latest"],
    ["a number", 20251125],
    ["undefined", undefined],
  ])("anything else (%s) gets our latest", (_what, v) => {
    expect(negotiateLegacyVersion(v)).toBe("2025-11-25");
  });

  test("isLegacyVersion", () => {
    expect(isLegacyVersion("2025-06-18")).toBe(true);
    expect(isLegacyVersion("2024-11-05")).toBe(false);
    expect(isLegacyVersion(undefined)).toBe(false);
  });

  test("batches exist only in 2025-03-26", () => {
    expect(allowsBatches("2025-03-26")).toBe(true);
    expect(allowsBatches("2025-06-18")).toBe(false);
    expect(allowsBatches("2025-11-25")).toBe(false);
    expect(allowsBatches("2024-11-05")).toBe(false);
  });
});
