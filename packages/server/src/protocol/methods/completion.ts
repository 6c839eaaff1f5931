/** `completion/complete`: suggestions for prompt arguments and template variables. */
import { type Completer, type CompletionContext, runCompleter } from "../../registry/completions.js";
import { invalidParams } from "../errors.js";
import type { MethodCall, MethodResult } from "./method.js";

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export async function complete({ server, params }: MethodCall): Promise<MethodResult> {
  const ref = params.ref;
  const argument = params.argument;
  if (!isRecord(ref)) throw invalidParams('"ref" must be an object');
  if (!isRecord(argument) || typeof argument.name !== "string" || typeof argument.value !== "string") {
    throw invalidParams('"argument" must have a string "name" and "value"');
  }
  let completer: Completer | undefined;
  if (ref.type === "ref/prompt") {
    const prompt = typeof ref.name === "string" ? server.prompts.get(ref.name) : undefined;
    if (!prompt) throw invalidParams(`Unknown prompt: ${String(ref.name)}`);
    completer = prompt.complete[argument.name];
  } else if (ref.type === "ref/resource") {
    const template = typeof ref.uri === "string" ? server.resources.getTemplate(ref.uri) : undefined;
    if (!template) {
      // A fixed resource has nothing to complete.
      if (typeof ref.uri === "string" && server.resources.get(ref.uri)) return { completion: { values: [] } };
      throw invalidParams(`Unknown resource template: ${String(ref.uri)}`);
    }
    completer = template.complete[argument.name];
  } else {
    throw invalidParams(`Unknown reference type: ${String(ref.type)}`);
  }
  const context: CompletionContext = {};
  if (isRecord(params.context) && isRecord(params.context.arguments)) {
    context.arguments = params.context.arguments as Record<string, string>;
  }
  return { completion: await runCompleter(completer, argument.value, context) };
}
