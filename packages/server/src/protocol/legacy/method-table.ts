/** Every request method a legacy-era client may call, and its handler. */

import { complete } from "../methods/completion.js";
import type { MethodHandler } from "../methods/method.js";
import { getPrompt, listPrompts } from "../methods/prompts.js";
import { listResources, listResourceTemplates, readResource } from "../methods/resources.js";
import { callTool, listTools } from "../methods/tools.js";
import { type LegacyMethodCall, ping, setLogLevel, subscribe, unsubscribe } from "./lifecycle.js";

export const LEGACY_METHODS: ReadonlyMap<string, MethodHandler<LegacyMethodCall>> = new Map<
  string,
  MethodHandler<LegacyMethodCall>
>([
  ["ping", ping],
  ["tools/list", listTools],
  ["tools/call", callTool],
  ["resources/list", listResources],
  ["resources/templates/list", listResourceTemplates],
  ["resources/read", readResource],
  ["resources/subscribe", subscribe],
  ["resources/unsubscribe", unsubscribe],
  ["prompts/list", listPrompts],
  ["prompts/get", getPrompt],
  ["completion/complete", complete],
  ["logging/setLevel", setLogLevel],
]);
