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

/** The task the request names: here, or (sessions shared) on another instance. */
function taskOf(call: ModernMethodCall) {
  if (!declaresTasks(call.envelope.clientCapabilities))
    throw tasksRequired("needed by tasks/get, tasks/update and tasks/cancel");
  return call.server.tasks.find(call.params.taskId, principalOf(call.ctx.auth));
}

export async function getTask(call: ModernMethodCall): Promise<MethodResult> {
  return (await taskOf(call)).describe(true);
}

export async function updateTask(call: ModernMethodCall): Promise<MethodResult> {
  const task = await taskOf(call);
  await task.answer(readInputResponses(call.params.inputResponses));
  return {};
}

export async function cancelTask(call: ModernMethodCall): Promise<MethodResult> {
  await (await taskOf(call)).cancel();
  return {};
}
