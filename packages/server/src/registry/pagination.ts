/** Cursor pagination over a registry's deterministic list order. */
import { invalidParams } from "../protocol/errors.js";

export interface Page<T> {
  items: T[];
  nextCursor: string | undefined;
}

const encodeCursor = (offset: number): string => Buffer.from(`o:${offset}`).toString("base64url");

function decodeCursor(cursor: unknown): number {
  if (typeof cursor !== "string") throw invalidParams("cursor must be a string");
  const raw = Buffer.from(cursor, "base64url").toString();
  const match = /^o:(\d{1,9})$/.exec(raw);
  if (!match) throw invalidParams("unknown cursor");
  return Number(match[1]);
}

/** One page of `all` starting at the cursor (absent → the start). */
export function paginate<T>(all: readonly T[], cursor: unknown, pageSize: number): Page<T> {
  const start = cursor === undefined ? 0 : decodeCursor(cursor);
  if (start > all.length) throw invalidParams("cursor is past the end of the list");
  if (start === 0 && all.length <= pageSize) return { items: all as T[], nextCursor: undefined };
  const end = Math.min(start + pageSize, all.length);
  return { items: all.slice(start, end), nextCursor: end < all.length ? encodeCursor(end) : undefined };
}
