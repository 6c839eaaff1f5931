/** The tool registry: definitions in wire form, built once, and their handlers. */
import type { z } from "zod";
import { z as zod } from "zod";
import { type AuthRequirement, authRequirementOf } from "../auth.js";
import type { RequestContext } from "../context.js";
import type { Icon, JsonSchemaObject, Meta, ToolAnnotations, ToolDefinition } from "../protocol/types.js";
import type { ListChangeListener } from "./change-signal.js";
import { DefinitionMap } from "./definition-map.js";
import { type InputOf, type InputSpec, toJsonSchema, toZodObject } from "./schema.js";
import { type HeaderParam, headerParamsOf } from "./tool-headers.js";
import type { ToolReturn } from "./tool-result.js";

function taskSetting(task: ToolOptions["task"], what: string): ToolEntry["task"] {
  if (task === undefined) return undefined;
  const { mode, start = "immediate" } = typeof task === "string" ? { mode: task } : task;
  if (mode !== "optional" && mode !== "required") throw new TypeError(`${what}: task must be "optional" or "required"`);
  if (start !== "immediate" && start !== "manual")
    throw new TypeError(`${what}: task.start must be "immediate" or "manual"`);
  return { mode, start };
}

const ANY_OBJECT = zod.record(zod.string(), zod.unknown());

/** Spec (2025-11-25): 1–128 characters of A–Z a–z 0–9 _ - . */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

export interface ToolOptions<I extends InputSpec | undefined = undefined, O extends InputSpec | undefined = undefined> {
  title?: string;
  description?: string;
  /** Arguments: a zod object schema or its shape. Absent → no arguments. */
  input?: I;
  /**
   * Arguments as a ready JSON Schema object, sent verbatim (for schemas zod
   * cannot express). Arguments are then passed to the handler unvalidated,
   * beyond being an object. Use either this or `input`.
   */
  inputSchema?: JsonSchemaObject;
  /** The structured result: a zod object schema or its shape. */
  output?: O;
  annotations?: ToolAnnotations;
  icons?: Icon[];
  _meta?: Meta;
  /**
   * Run as a task (tasks extension) for clients that support it. "optional":
   * such clients get a task handle, others a plain result. "required": clients
   * without tasks are refused (-32021). As an object, `start: "manual"` lets
   * the handler run as an ordinary request (asking for input in rounds) until
   * it calls `ctx.beginTask()`.
   */
  task?: TaskMode | { mode: TaskMode; start?: "immediate" | "manual" };
}

export type TaskMode = "optional" | "required";

export type ToolHandler<I extends InputSpec | undefined = undefined, O extends InputSpec | undefined = undefined> = (
  args: InputOf<I>,
  ctx: RequestContext,
) =>
  | (O extends InputSpec ? InputOf<O> | ToolReturn : ToolReturn)
  | Promise<O extends InputSpec ? InputOf<O> | ToolReturn : ToolReturn>;

/** A registered tool, ready to call. */
export interface ToolEntry {
  readonly definition: ToolDefinition;
  readonly input: z.ZodType<Record<string, unknown>>;
  readonly output: z.ZodType<Record<string, unknown>> | undefined;
  readonly auth: AuthRequirement | undefined;
  /** How the tool runs as a task, if it does. */
  readonly task: { mode: TaskMode; start: "immediate" | "manual" } | undefined;
  /** Parameters mirrored into `Mcp-Param-*` headers (2026-07-28 HTTP). */
  readonly headerParams: readonly HeaderParam[];
  readonly handler: (args: Record<string, unknown>, ctx: RequestContext) => unknown;
}

export class ToolRegistry {
  private readonly map: DefinitionMap<ToolDefinition, ToolEntry>;

  constructor(onChange: ListChangeListener) {
    this.map = new DefinitionMap("tools", "Tool", onChange);
  }

  add<I extends InputSpec | undefined, O extends InputSpec | undefined>(
    name: string,
    options: ToolOptions<I, O>,
    handler: ToolHandler<I, O>,
  ): ToolEntry {
    if (!TOOL_NAME_PATTERN.test(name)) {
      throw new TypeError(
        `Tool name ${JSON.stringify(name)} is invalid: use 1–128 characters of A-Z, a-z, 0-9, "_", "-" and "."`,
      );
    }
    if (typeof handler !== "function") throw new TypeError(`Tool "${name}": handler must be a function`);
    const what = `Tool "${name}"`;
    if (options.input !== undefined && options.inputSchema !== undefined) {
      throw new TypeError(`${what}: give either input (zod) or inputSchema (JSON Schema), not both`);
    }
    const raw = options.inputSchema;
    if (raw !== undefined && (typeof raw !== "object" || raw === null || raw.type !== "object")) {
      throw new TypeError(`${what}: inputSchema must be a JSON Schema with type "object"`);
    }
    const input = raw ? ANY_OBJECT : toZodObject(options.input, `${what} input`);
    const output = options.output === undefined ? undefined : toZodObject(options.output, `${what} output`);
    const definition: ToolDefinition = { name, inputSchema: raw ?? toJsonSchema(input, "input", `${what} input`) };
    if (options.title !== undefined) definition.title = options.title;
    if (options.description !== undefined) definition.description = options.description;
    if (output) definition.outputSchema = toJsonSchema(output, "output", `${what} output`);
    if (options.annotations !== undefined) definition.annotations = options.annotations;
    if (options.icons !== undefined) definition.icons = options.icons;
    if (options._meta !== undefined) definition._meta = options._meta;
    const entry: ToolEntry = {
      definition,
      input,
      output,
      auth: authRequirementOf(handler),
      task: taskSetting(options.task, what),
      headerParams: headerParamsOf(definition.inputSchema, what),
      handler: handler as ToolEntry["handler"],
    };
    return this.map.add(name, entry);
  }

  remove(name: string): boolean {
    return this.map.remove(name);
  }

  get(name: string): ToolEntry | undefined {
    return this.map.get(name);
  }

  get size(): number {
    return this.map.size;
  }

  entries(): IterableIterator<ToolEntry> {
    return this.map.values();
  }

  /** Definitions in registration order (stable across calls). */
  list(): readonly ToolDefinition[] {
    return this.map.list();
  }
}
