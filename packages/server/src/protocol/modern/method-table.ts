/** Every request method a modern-era client may call, and its handler. */

import { cancelTask, getTask, updateTask } from "../../extensions/tasks/methods.js";
import { complete } from "../methods/completion.js";
import type { MethodHandler } from "../methods/method.js";
import { getPrompt, listPrompts } from "../methods/prompts.js";
import { listResources, listResourceTemplates, readResource } from "../methods/resources.js";
import { callTool, listTools } from "../methods/tools.js";
import { discover, listen, type ModernMethodCall } from "./methods.js";

export const MODERN_METHODS: ReadonlyMap<string, MethodHandler<ModernMethodCall>> = new Map<
  string,
  MethodHandler<ModernMethodCall>
>([
  ["server/discover", discover],
  ["tools/list", listTools],
  ["tools/call", callTool],
  ["resources/list", listResources],
  ["resources/templates/list", listResourceTemplates],
  ["resources/read", readResource],
  ["prompts/list", listPrompts],
  ["prompts/get", getPrompt],
  ["completion/complete", complete],
  ["subscriptions/listen", listen],
  ["tasks/get", getTask],
  ["tasks/update", updateTask],
  ["tasks/cancel", cancelTask],
]);

/** Methods whose handlers may ask the client for input (input-required rounds). */
export const INPUT_REQUIRED_METHODS: ReadonlySet<string> = new Set(["tools/call", "prompts/get", "resources/read"]);
