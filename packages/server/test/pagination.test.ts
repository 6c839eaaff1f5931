import { describe, expect, test } from "vitest";
import { McpError } from "../src/protocol/errors.js";
import { paginate } from "../src/registry/pagination.js";

const items = ["a", "b", "c", "d", "e"];

function thrown(fn: () => unknown): McpError {
  try {
    fn();
  } catch (err) {
    if (err instanceof McpError) return err;
    throw err;
  }
  throw new Error("expected an McpError");
}

describe("paginate", () => {
  test("a list that fits one page has no cursor", () => {
    expect(paginate(items, undefined, 5)).toEqual({ items, nextCursor: undefined });
    expect(paginate(items, undefined, 100)).toEqual({ items, nextCursor: undefined });
  });

  test("pages follow each other until the end", () => {
    const first = paginate(items, undefined, 2);
    expect(first.items).toEqual(["a", "b"]);
    expect(typeof first.nextCursor).toBe("string");
    const second = paginate(items, first.nextCursor, 2);
    expect(second.items).toEqual(["c", "d"]);
    const third = paginate(items, second.nextCursor, 2);
    expect(third).toEqual({ items: ["e"], nextCursor: undefined });
  });

  test("a page ending exactly at the end has no cursor", () => {
    const first = paginate(items.slice(0, 4), undefined, 2);
    expect(paginate(items.slice(0, 4), first.nextCursor, 2)).toEqual({ items: ["c", "d"], nextCursor: undefined });
  });

  test("an empty list", () => {
    expect(paginate([], undefined, 2)).toEqual({ items: [], nextCursor: undefined });
  });

  test.each([
    ["garbage", "not-a-cursor"],
    ["an empty string", ""],
    ["a negative offset", Buffer.from("o:-1").toString("base64url")],
    ["an offset that is not a number", Buffer.from("o:abc").toString("base64url")],
  ])("a bad cursor (%s) → -32602", (_what, cursor) => {
    const err = thrown(() => paginate(items, cursor, 2));
    expect(err.code).toBe(-32602);
    expect(err.message).toBe("Invalid params: unknown cursor");
  });

  test("a cursor that is not a string → -32602", () => {
    const err = thrown(() => paginate(items, 2, 2));
    expect(err.code).toBe(-32602);
    expect(err.message).toBe("Invalid params: cursor must be a string");
  });

  test("a cursor past the end → -32602", () => {
    const err = thrown(() => paginate(items, Buffer.from("o:99").toString("base64url"), 2));
    expect(err.code).toBe(-32602);
    expect(err.message).toBe("Invalid params: cursor is past the end of the list");
  });

  test("a cursor taken before the list shrank, pointing at its end, gives an empty last page", () => {
    const first = paginate(items, undefined, 4);
    expect(paginate(items.slice(0, 4), first.nextCursor, 4)).toEqual({ items: [], nextCursor: undefined });
  });
});
