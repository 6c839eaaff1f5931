/** The `StoreBackend` contract, run against both backends. */
import { describe, expect, test } from "vitest";
import { MemoryBackend } from "../../src/store/memory.js";
import { sleep, useHarnesses } from "./harness.js";

const harnesses = useHarnesses();

describe.each(harnesses)("$kind backend", (h) => {
  test("get / set / delete", async () => {
    const { backend } = h.open();
    expect(await backend.get("a")).toBeUndefined();
    await backend.set("a", "one");
    expect(await backend.get("a")).toBe("one");
    await backend.set("a", "two");
    expect(await backend.get("a")).toBe("two");
    expect(await backend.delete("a")).toBe(true);
    expect(await backend.delete("a")).toBe(false);
    expect(await backend.get("a")).toBeUndefined();
  });

  test("values expire after their TTL; values without one stay", async () => {
    const { backend } = h.open();
    await backend.set("short", "s", 80);
    await backend.set("long", "l", 60_000);
    await backend.set("forever", "f");
    await sleep(250);
    expect(await backend.get("short")).toBeUndefined();
    expect(await backend.take("short")).toBeUndefined();
    expect(await backend.delete("short")).toBe(false);
    expect(await backend.get("long")).toBe("l");
    expect(await backend.get("forever")).toBe("f");
  });

  test("a fractional TTL is rounded up, not down to 'no expiry'", async () => {
    const { backend } = h.open();
    await backend.set("k", "v", 0.5);
    await sleep(50);
    expect(await backend.get("k")).toBeUndefined();
  });

  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])("TTL %s is refused", async (ttl) => {
    const { backend } = h.open();
    await expect(backend.set("k", "v", ttl)).rejects.toThrow(RangeError);
    await expect(backend.setIfAbsent("k", "v", ttl)).rejects.toThrow(RangeError);
    await expect(backend.increment("k", ttl)).rejects.toThrow(RangeError);
    expect(await backend.get("k")).toBeUndefined();
  });

  test("setIfAbsent stores only into an empty (or expired) key", async () => {
    const { backend } = h.open();
    expect(await backend.setIfAbsent("k", "first", 80)).toBe(true);
    expect(await backend.setIfAbsent("k", "second", 80)).toBe(false);
    expect(await backend.get("k")).toBe("first");
    await sleep(200);
    expect(await backend.setIfAbsent("k", "third")).toBe(true);
    expect(await backend.get("k")).toBe("third");
  });

  test("setIfAbsent race: of 20 concurrent writers across instances exactly one wins", async () => {
    const { backend, peers } = h.open(4);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (peers[i % peers.length] ?? backend).setIfAbsent("race", `w${i}`, 10_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await backend.get("race")).toBe(`w${results.indexOf(true)}`);
  });

  test("take returns the value once", async () => {
    const { backend } = h.open();
    await backend.set("k", "v", 10_000);
    expect(await backend.take("k")).toBe("v");
    expect(await backend.take("k")).toBeUndefined();
    expect(await backend.get("k")).toBeUndefined();
  });

  test("take is single-use under concurrency: 20 takes across instances, exactly one gets the value", async () => {
    const { backend, peers } = h.open(4);
    await backend.set("once", "value", 10_000);
    const taken = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (peers[i % peers.length] ?? backend).take("once")),
    );
    expect(taken.filter((v) => v !== undefined)).toEqual(["value"]);
  });

  test("takeAndRetain: taken once, then recognised as taken before; strangers are absent", async () => {
    const { backend } = h.open();
    await backend.set("code", "record", 10_000);
    expect(await backend.takeAndRetain("code", "code-used", 10_000)).toEqual({ state: "taken", value: "record" });
    expect(await backend.get("code")).toBeUndefined();
    expect(await backend.takeAndRetain("code", "code-used", 10_000)).toEqual({
      state: "taken-before",
      value: "record",
    });
    expect(await backend.takeAndRetain("other", "other-used", 10_000)).toEqual({ state: "absent" });
    expect(await backend.get("other-used")).toBeUndefined();
  });

  test("takeAndRetain is single-use under concurrency; the retained copy expires", async () => {
    const { backend, peers } = h.open(4);
    await backend.set("code", "record", 10_000);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (peers[i % peers.length] ?? backend).takeAndRetain("code", "used", 150)),
    );
    expect(results.filter((r) => r.state === "taken")).toHaveLength(1);
    expect(results.filter((r) => r.state === "taken-before")).toHaveLength(19);
    expect(results.every((r) => r.state === "absent" || r.value === "record")).toBe(true);
    await sleep(400);
    expect(await backend.takeAndRetain("code", "used", 150)).toEqual({ state: "absent" });
  });

  test("deleteIfEquals deletes only the expected value", async () => {
    const { backend } = h.open();
    await backend.set("lock", "mine", 10_000);
    expect(await backend.deleteIfEquals("lock", "theirs")).toBe(false);
    expect(await backend.get("lock")).toBe("mine");
    expect(await backend.deleteIfEquals("lock", "mine")).toBe(true);
    expect(await backend.get("lock")).toBeUndefined();
    expect(await backend.deleteIfEquals("lock", "mine")).toBe(false);
  });

  test("increment counts, atomically across instances, within a window that then restarts", async () => {
    const { backend, peers } = h.open(4);
    expect(await backend.increment("hits", 10_000)).toBe(1);
    expect(await backend.increment("hits", 10_000)).toBe(2);
    const counts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (peers[i % peers.length] ?? backend).increment("burst", 10_000)),
    );
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await backend.increment("window", 80)).toBe(1);
    expect(await backend.increment("window", 80)).toBe(2);
    await sleep(250);
    expect(await backend.increment("window", 80)).toBe(1);
  });
});

describe("MemoryBackend cleanup", () => {
  test("each write sweeps a bounded number of entries, and repeated writes sweep them all", async () => {
    const backend = new MemoryBackend({ sweepBatch: 16 });
    for (let i = 0; i < 100; i++) await backend.set(`old${i}`, "x", 200);
    await sleep(300);
    expect(backend.size).toBe(100);
    await backend.set("new0", "y", 60_000);
    // At most 16 entries were looked at, so at most 16 removed.
    expect(backend.size).toBeGreaterThanOrEqual(101 - 16);
    for (let i = 1; i < 20; i++) await backend.set(`new${i}`, "y", 60_000);
    expect(backend.size).toBe(20);
    expect(await backend.get("new0")).toBe("y");
  });

  test("sweep() removes every expired entry at once", async () => {
    const backend = new MemoryBackend();
    await backend.set("a", "x", 20);
    await backend.set("b", "x", 20);
    await backend.set("c", "x");
    await sleep(80);
    backend.sweep();
    expect(backend.size).toBe(1);
    expect(await backend.get("c")).toBe("x");
  });
});
