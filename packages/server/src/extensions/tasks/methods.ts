/** `tasks/get`, `tasks/update` and `tasks/cancel`: for clients that declared the tasks extension. */
import { principalOf } from "../../auth.js";
import { missingRequiredCapability } from "../../protocol/errors.js";
import type { MethodResult } from "../../protocol/methods/method.js";
import { readInputResponses } from "../../protocol/modern/input-round.js";
import type { ModernMethodCall } from "../../protocol/modern/methods.js";
import type { ClientCapabilities } from "../../protocol/types.js";
import { TASKS_EXTENSION } from "./task.js";

/** Whether a request's client declared the tasks extension. */
export const declaresTasks = (capabilities: ClientCapabilities): boolean => {
  const extensions = capabilities.extensions;
  return typeof extensions === "object" && extensions !== null && TASKS_EXTENSION in extensions;
};

export const tasksRequired = (what: string) =>
  missingRequiredCapability({ extensions: { [TASKS_EXTENSION]: {} } }, `the ${TASKS_EXTENSION} extension (${what})`);

function taskOf(call: ModernMethodCall) {
  if (!declaresTasks(call.envelope.clientCapabilities))
    throw tasksRequired("needed by tasks/get, tasks/update and tasks/cancel");
  return call.server.tasks.get(call.params.taskId, principalOf(call.ctx.auth));
}

export function getTask(call: ModernMethodCall): MethodResult {
  return taskOf(call).describe(true);
}

export function updateTask(call: ModernMethodCall): MethodResult {
  const task = taskOf(call);
  task.answer(readInputResponses(call.params.inputResponses));
  return {};
}

export function cancelTask(call: ModernMethodCall): MethodResult {
  taskOf(call).cancel();
  return {};
}
