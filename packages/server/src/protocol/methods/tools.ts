/** `tools/list` and `tools/call`. */

import { tasksRequired } from "../../extensions/tasks/methods.js";
import { paginate } from "../../registry/pagination.js";
import { describeZodError } from "../../registry/schema.js";
import { normalizeToolResult, toolError, toolErrorText } from "../../registry/tool-result.js";
import { invalidParams, McpHttpError } from "../errors.js";
import type { CallToolResult } from "../types.js";
import type { MethodCall, MethodResult } from "./method.js";

export function listTools({ server, params }: MethodCall): MethodResult {
  const page = paginate(server.tools.list(), params.cursor, server.pageSize);
  return page.nextCursor === undefined ? { tools: page.items } : { tools: page.items, nextCursor: page.nextCursor };
}

export async function callTool({ server, params, ctx }: MethodCall): Promise<MethodResult> {
  const name = params.name;
  if (typeof name !== "string") throw invalidParams('"name" must be a string');
  const tool = server.tools.get(name);
  if (!tool) throw invalidParams(`Unknown tool: ${name}`);
  const rawArgs = params.arguments ?? {};
  if (typeof rawArgs !== "object" || rawArgs === null || Array.isArray(rawArgs)) {
    throw invalidParams('"arguments" must be an object');
  }
  const parsed = tool.input.safeParse(rawArgs);
  if (!parsed.success) {
    return toolErrorText(`Invalid arguments for tool ${name}: ${describeZodError(parsed.error)}`);
  }
  if (tool.task) {
    if (tool.task.mode === "required" && !ctx.tasksAvailable) throw tasksRequired(`tool ${name} runs only as a task`);
    if (tool.task.start === "immediate") await ctx.beginTask();
  }
  let result: CallToolResult;
  try {
    result = normalizeToolResult(await tool.handler(parsed.data, ctx));
  } catch (err) {
    // Protocol errors (they carry an HTTP status: a missing client capability,
    // a bad round-trip state) fail the request; anything else is the tool's answer.
    if (err instanceof McpHttpError) throw err;
    server.logger.debug({ tool: name, err }, "tool failed");
    return toolError(err);
  }
  if (tool.output && !result.isError) {
    if (result.structuredContent === undefined) {
      return toolErrorText(`Tool ${name} declares an output schema but returned no structured content`);
    }
    const checked = tool.output.safeParse(result.structuredContent);
    if (!checked.success) {
      server.logger.warn({ tool: name }, "tool result does not match its output schema");
      return toolErrorText(
        `Tool ${name} returned a result that does not match its output schema: ${describeZodError(checked.error)}`,
      );
    }
  }
  return result;
}
