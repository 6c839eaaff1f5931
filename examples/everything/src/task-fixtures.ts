/**
 * Fixtures of the tasks extension (`io.modelcontextprotocol/tasks`), as the
 * conformance suite's `tasks-*` scenarios expect them: tool calls that run
 * on as tasks, ask for input while they run, fail, and can be cancelled.
 */
import { type ChukMCPServer, ErrorCode, protocolError } from "@chuk-mcp/server";
import { z } from "zod";

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

const confirmSchema = {
  type: "object" as const,
  properties: { confirm: { type: "boolean", description: "Go ahead?" } },
  required: ["confirm"],
};

export function registerTaskFixtures(mcp: ChukMCPServer): void {
  mcp.tool(
    "greet",
    { description: "Greets someone, at once (never a task).", input: { name: z.string().describe("Who to greet") } },
    ({ name }) => `Hello, ${name}!`,
  );

  mcp.tool(
    "slow_compute",
    {
      description: "Works for a while; runs as a task for clients that support tasks.",
      input: {
        seconds: z.number().min(0).max(600).describe("How long to work"),
        label: z.string().optional().describe("A label for the result"),
      },
      task: "optional",
    },
    async ({ seconds, label }, ctx) => {
      await sleep(seconds * 1000, ctx.signal);
      return `Computed ${label ?? "result"} after ${seconds} s`;
    },
  );

  mcp.tool(
    "failing_job",
    { description: "A task that ends with a tool error after about a second.", task: "required" },
    async (_args, ctx) => {
      await sleep(1000, ctx.signal);
      throw new Error("The job failed: the input data was rejected");
    },
  );

  mcp.tool(
    "protocol_error_job",
    { description: "A task that ends failed with a JSON-RPC error.", task: "optional" },
    async (_args, ctx) => {
      await sleep(200, ctx.signal);
      throw protocolError(ErrorCode.InternalError, "The job's worker crashed");
    },
  );

  mcp.tool(
    "confirm_delete",
    {
      description: "Asks for confirmation while running as a task, then deletes (pretend).",
      input: { filename: z.string().describe("The file to delete") },
      task: "optional",
    },
    async ({ filename }, ctx) => {
      const answer = await ctx.elicit({ message: `Delete ${filename}?`, requestedSchema: confirmSchema });
      const ok = answer.action === "accept" && answer.content?.confirm === true;
      return ok ? `Deleted ${filename}` : `Kept ${filename}`;
    },
  );

  mcp.tool(
    "multi_input",
    { description: "Asks two questions at once while running as a task.", task: "optional" },
    async (_args, ctx) => {
      const [first, second] = await Promise.all([
        ctx.elicit({ message: "First answer?", requestedSchema: confirmSchema }, { key: "first" }),
        ctx.elicit({ message: "Second answer?", requestedSchema: confirmSchema }, { key: "second" }),
      ]);
      return `first=${first.action}, second=${second.action}`;
    },
  );

  mcp.tool(
    "test_tool_with_task",
    {
      description: "Asks for a name (input-required round), then continues as a task.",
      task: { mode: "required", start: "manual" },
    },
    async (_args, ctx) => {
      const answer = await ctx.elicit(
        {
          message: "What is your name?",
          requestedSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
        },
        { key: "user_name" },
      );
      await ctx.beginTask();
      await sleep(100, ctx.signal);
      return `Hello from the task, ${String(answer.content?.name ?? "stranger")}`;
    },
  );
}
