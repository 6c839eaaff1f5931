import { describe, expect, test } from "vitest";
import { z } from "zod";
import type { ListKind } from "../src/registry/change-signal.js";
import { normalizePromptResult, PromptRegistry } from "../src/registry/prompts.js";

const render = () => "hi";

function registry() {
  const changes: ListKind[] = [];
  return { prompts: new PromptRegistry((k) => changes.push(k)), changes };
}

describe("prompt registration", () => {
  test("argument lists: required flags and descriptions, in declaration order", () => {
    const { prompts } = registry();
    const entry = prompts.add(
      "review",
      {
        title: "Review",
        description: "Reviews code",
        args: {
          code: z.string().describe("The code to review"),
          language: z.string().optional().describe("Its language"),
          tone: z.string().default("kind").describe("How to say it"),
          plain: z.string(),
        },
      },
      render,
    );
    expect(entry.definition).toEqual({
      name: "review",
      title: "Review",
      description: "Reviews code",
      arguments: [
        { name: "code", required: true, description: "The code to review" },
        { name: "language", required: false, description: "Its language" },
        { name: "tone", required: false, description: "How to say it" },
        { name: "plain", required: true },
      ],
    });
  });

  test("a description given before .optional() or .default() is kept", () => {
    const { prompts } = registry();
    const entry = prompts.add(
      "p",
      {
        args: {
          a: z.string().describe("A, optional").optional(),
          b: z.string().describe("B, defaulted").default("x"),
        },
      },
      render,
    );
    expect(entry.definition.arguments).toEqual([
      { name: "a", required: false, description: "A, optional" },
      { name: "b", required: false, description: "B, defaulted" },
    ]);
  });

  test("a prompt without arguments has no arguments member", () => {
    const { prompts } = registry();
    expect(prompts.add("bare", {}, render).definition).toEqual({ name: "bare" });
  });

  test("argument validation uses the shape", () => {
    const { prompts } = registry();
    const entry = prompts.add("p", { args: { a: z.string(), b: z.string().optional() } }, render);
    expect(entry.args.safeParse({ a: "x" }).success).toBe(true);
    expect(entry.args.safeParse({ b: "x" }).success).toBe(false);
    expect(entry.args.safeParse({ a: 1 }).success).toBe(false);
  });

  test("empty names, duplicates, non-zod arguments, non-function handlers and unknown completers are refused", () => {
    const { prompts } = registry();
    expect(() => prompts.add("", {}, render)).toThrow("Prompt name must not be empty");
    prompts.add("dup", {}, render);
    expect(() => prompts.add("dup", {}, render)).toThrow('Prompt "dup" is already registered');
    expect(() => prompts.add("p1", { args: { a: "string" } as never }, render)).toThrow(
      'Prompt "p1": argument "a" is not a zod schema',
    );
    expect(() => prompts.add("p2", {}, 1 as never)).toThrow('Prompt "p2": handler must be a function');
    expect(() => prompts.add("p3", { args: { a: z.string() }, complete: { b: () => [] } }, render)).toThrow(
      'Prompt "p3": completer for unknown argument "b"',
    );
    expect(prompts.list().map((p) => p.name)).toEqual(["dup"]);
  });

  test("list order, removal and change signals", () => {
    const { prompts, changes } = registry();
    prompts.add("b", {}, render);
    prompts.add("a", {}, render);
    expect(prompts.list().map((p) => p.name)).toEqual(["b", "a"]);
    expect(prompts.remove("b")).toBe(true);
    expect(prompts.remove("zzz")).toBe(false);
    expect(prompts.size).toBe(1);
    expect(changes).toEqual(["prompts", "prompts", "prompts"]);
  });
});

describe("normalizePromptResult", () => {
  test("a string → one user text message, with the prompt's description", () => {
    expect(normalizePromptResult("Say hi", "Greets")).toEqual({
      description: "Greets",
      messages: [{ role: "user", content: { type: "text", text: "Say hi" } }],
    });
    expect(normalizePromptResult("Say hi", undefined)).toEqual({
      messages: [{ role: "user", content: { type: "text", text: "Say hi" } }],
    });
  });

  test("a message list passes through", () => {
    const messages = [
      { role: "user" as const, content: { type: "text" as const, text: "q" } },
      { role: "assistant" as const, content: { type: "text" as const, text: "a" } },
    ];
    expect(normalizePromptResult(messages, "D")).toEqual({ description: "D", messages });
  });

  test("a full result keeps its own description", () => {
    const result = { description: "own", messages: [] };
    expect(normalizePromptResult(result, "registered")).toEqual(result);
    expect(normalizePromptResult(result, "registered")).not.toBe(result);
    expect(normalizePromptResult({ messages: [] }, "registered")).toEqual({ description: "registered", messages: [] });
  });
});
