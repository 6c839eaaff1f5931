import { describe, expect, test } from "vitest";
import { EventStore, formatEventId, parseEventId } from "../src/transports/http/event-store.js";

const ev = (streamId: string, seq: number) => ({ streamId, seq, data: `${streamId}:${seq}` });

describe("EventStore", () => {
  test("after() gives the stream's events after seq, oldest first", () => {
    const store = new EventStore(10);
    for (const e of [ev("p1", 1), ev("g", 1), ev("p1", 2), ev("p1", 3), ev("g", 2)]) store.add(e);
    expect(store.after("p1", 0).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(store.after("p1", 1)).toEqual([ev("p1", 2), ev("p1", 3)]);
    expect(store.after("p1", 3)).toEqual([]);
    expect(store.after("g", 1)).toEqual([ev("g", 2)]);
    expect(store.after("p9", 0)).toEqual([]);
  });

  test("the ring keeps only the most recent `capacity` events, across streams", () => {
    const store = new EventStore(3);
    store.add(ev("a", 1));
    store.add(ev("a", 2));
    store.add(ev("b", 1));
    store.add(ev("a", 3));
    store.add(ev("a", 4));
    expect(store.after("a", 0).map((e) => e.seq)).toEqual([3, 4]);
    expect(store.after("b", 0).map((e) => e.seq)).toEqual([1]);
    store.add(ev("a", 5));
    expect(store.after("b", 0)).toEqual([]);
    expect(store.after("a", 0).map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  test("capacity 0 keeps nothing", () => {
    const store = new EventStore(0);
    store.add(ev("a", 1));
    expect(store.after("a", 0)).toEqual([]);
  });
});

describe("event ids", () => {
  test("format and parse round-trip", () => {
    expect(formatEventId("p3", 17)).toBe("p3_17");
    expect(parseEventId(formatEventId("p3", 17))).toEqual({ streamId: "p3", seq: 17 });
    expect(parseEventId("g_0")).toEqual({ streamId: "g", seq: 0 });
  });

  test("the last underscore splits, so stream ids may contain one", () => {
    expect(parseEventId("a_b_3")).toEqual({ streamId: "a_b", seq: 3 });
  });

  test.each([
    ["no underscore", "p1"],
    ["no stream", "_3"],
    ["an empty string", ""],
    ["a negative seq", "p1_-1"],
    ["a fractional seq", "p1_1.5"],
    ["a word", "p1_abc"],
    ["an empty seq", "p1_"],
    ["a padded seq", "p1_ 5"],
    ["an exponent", "p1_1e3"],
    ["a hex seq", "p1_0x10"],
    ["an unsafe integer", "p1_9007199254740993"],
  ])("%s is not an event id", (_what, id) => {
    expect(parseEventId(id)).toBeUndefined();
  });
});
