/**
 * What examples/everything declares, as the interop tests of both SDK
 * generations expect to see it: one place, so the two suites cannot drift.
 */
import { expect } from "vitest";

export const EVERYTHING_INFO = { name: "chuk-everything", version: "0.1.0", title: "Everything" };

export const EVERYTHING_INSTRUCTIONS = "A test server exercising every MCP feature.";

export const EVERYTHING_CAPABILITIES = {
  tools: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  prompts: { listChanged: true },
  logging: {},
  completions: {},
};

export const PROMPT_WITH_ARGUMENTS = {
  name: "test_prompt_with_arguments",
  description: "A prompt with two arguments.",
  arguments: [
    { name: "arg1", description: "First test argument", required: true },
    { name: "arg2", description: "Second test argument", required: true },
  ],
};

interface ListedTool {
  inputSchema: { required?: string[] };
  outputSchema?: unknown;
  annotations?: unknown;
}

/** The `add` tool as listed: its inputs, its output schema, its annotations. */
export function expectAddTool(add: ListedTool | undefined): void {
  expect(add?.inputSchema.required).toEqual(["a", "b"]);
  expect(add?.outputSchema).toMatchObject({
    type: "object",
    properties: { sum: { type: "number" } },
    required: ["sum"],
  });
  expect(add?.annotations).toEqual({ readOnlyHint: true, idempotentHint: true, openWorldHint: false });
}
