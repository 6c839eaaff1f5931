/**
 * Normalises what a tool handler returns into a `CallToolResult`:
 * a string → text content; a content block or an array of them → passed
 * through; a `{ content: [...] }` result → passed through; any other plain
 * object → `structuredContent` plus its JSON as text.
 */
import { toolErrorMessage } from "../protocol/errors.js";
import { type CallToolResult, CONTENT_TYPES, type ContentBlock } from "../protocol/types.js";

/** Everything a tool handler may return. */
export type ToolReturn =
  | string
  | ContentBlock
  | ContentBlock[]
  | CallToolResult
  | Record<string, unknown>
  | number
  | boolean
  | null
  | undefined
  // biome-ignore lint/suspicious/noConfusingVoidType: lets a handler that returns nothing type-check.
  | void;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const isContentBlock = (v: unknown): v is ContentBlock => isRecord(v) && CONTENT_TYPES.has(v.type as string);

const isCallToolResult = (v: Record<string, unknown>): v is CallToolResult =>
  Array.isArray(v.content) && v.content.every(isContentBlock);

const text = (value: string): ContentBlock => ({ type: "text", text: value });

export function normalizeToolResult(value: unknown): CallToolResult {
  if (typeof value === "string") return { content: [text(value)] };
  if (value === undefined || value === null) return { content: [] };
  if (Array.isArray(value)) {
    if (value.every(isContentBlock)) return { content: value };
    return { content: [text(JSON.stringify(value))] };
  }
  if (isRecord(value)) {
    // A copy: results are decorated in place later (modern era), and the
    // handler may return the same object on every call.
    if (isCallToolResult(value)) return { ...value };
    if (isContentBlock(value)) return { content: [value] };
    return { content: [text(JSON.stringify(value))], structuredContent: value };
  }
  return { content: [text(String(value))] };
}

/** A failed call, as the spec puts it: in the result, flagged, with a message. */
export function toolError(err: unknown): CallToolResult {
  return { content: [text(toolErrorMessage(err))], isError: true };
}

/** A failed call with a message we wrote. */
export const toolErrorText = (message: string): CallToolResult => ({ content: [text(message)], isError: true });
