/** `prompts/list` and `prompts/get`. */
import { paginate } from "../../registry/pagination.js";
import { normalizePromptResult } from "../../registry/prompts.js";
import { describeZodError } from "../../registry/schema.js";
import { invalidParams } from "../errors.js";
import type { MethodCall, MethodResult } from "./method.js";

export function listPrompts({ server, params }: MethodCall): MethodResult {
  const page = paginate(server.prompts.list(), params.cursor, server.pageSize);
  return page.nextCursor === undefined ? { prompts: page.items } : { prompts: page.items, nextCursor: page.nextCursor };
}

export async function getPrompt({ server, params, ctx }: MethodCall): Promise<MethodResult> {
  const name = params.name;
  if (typeof name !== "string") throw invalidParams('"name" must be a string');
  const prompt = server.prompts.get(name);
  if (!prompt) throw invalidParams(`Unknown prompt: ${name}`);
  const raw = params.arguments ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw invalidParams('"arguments" must be an object');
  const parsed = prompt.args.safeParse(raw);
  if (!parsed.success) throw invalidParams(`Invalid arguments for prompt ${name}: ${describeZodError(parsed.error)}`);
  return normalizePromptResult(await prompt.render(parsed.data, ctx), prompt.definition.description);
}
