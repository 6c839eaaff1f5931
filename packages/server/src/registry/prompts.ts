/** The prompt registry: argument lists derived from zod shapes, and the renderers. */
import { z } from "zod";
import type { RequestContext } from "../context.js";
import type {
  ContentBlock,
  GetPromptResult,
  Icon,
  Meta,
  PromptArgument,
  PromptDefinition,
  PromptMessage,
} from "../protocol/types.js";
import type { ListChangeListener } from "./change-signal.js";
import type { Completers } from "./completions.js";
import { DefinitionMap } from "./definition-map.js";

/** Prompt arguments are strings on the wire; optional ones may be absent. */
export type PromptArgsShape = Record<string, z.ZodType<string | undefined, string | undefined>>;

export interface PromptOptions<A extends PromptArgsShape | undefined = undefined> {
  title?: string;
  description?: string;
  args?: A;
  /** Suggestions for arguments (`completion/complete`). */
  complete?: Completers;
  icons?: Icon[];
  _meta?: Meta;
}

export type PromptReturn = string | PromptMessage[] | GetPromptResult;

export type PromptHandler<A extends PromptArgsShape | undefined> = (
  args: A extends PromptArgsShape ? z.output<z.ZodObject<A>> : Record<string, never>,
  ctx: RequestContext,
) => PromptReturn | Promise<PromptReturn>;

export interface PromptEntry {
  readonly definition: PromptDefinition;
  readonly args: z.ZodType<Record<string, unknown>>;
  readonly complete: Completers;
  readonly render: (args: Record<string, unknown>, ctx: RequestContext) => PromptReturn | Promise<PromptReturn>;
}

function argumentList(shape: PromptArgsShape): PromptArgument[] {
  return Object.entries(shape).map(([name, schema]) => {
    const arg: PromptArgument = { name, required: !schema.safeParse(undefined).success };
    const description = descriptionOf(schema);
    if (description !== undefined) arg.description = description;
    return arg;
  });
}

/**
 * A field's description, looking through optional/nullable/default wrappers:
 * zod 4 keeps `.describe()` on the instance it was called on, so
 * `z.string().describe("x").optional()` has no description of its own (tool
 * input schemas keep it, via z.toJSONSchema; prompt arguments should too).
 */
function descriptionOf(schema: z.ZodType): string | undefined {
  let current: z.ZodType = schema;
  while (current.description === undefined) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    } else return undefined;
  }
  return current.description;
}

export class PromptRegistry {
  private readonly entries: DefinitionMap<PromptDefinition, PromptEntry>;

  constructor(onChange: ListChangeListener) {
    this.entries = new DefinitionMap("prompts", "Prompt", onChange);
  }

  add<A extends PromptArgsShape | undefined>(
    name: string,
    options: PromptOptions<A>,
    render: PromptHandler<A>,
  ): PromptEntry {
    if (name.length === 0) throw new TypeError("Prompt name must not be empty");
    if (typeof render !== "function") throw new TypeError(`Prompt "${name}": handler must be a function`);
    const shape = (options.args ?? {}) as PromptArgsShape;
    for (const [key, value] of Object.entries(shape)) {
      if (!(value instanceof z.ZodType)) throw new TypeError(`Prompt "${name}": argument "${key}" is not a zod schema`);
    }
    for (const key of Object.keys(options.complete ?? {})) {
      if (!(key in shape)) throw new TypeError(`Prompt "${name}": completer for unknown argument "${key}"`);
    }
    const definition: PromptDefinition = { name };
    if (options.title !== undefined) definition.title = options.title;
    if (options.description !== undefined) definition.description = options.description;
    if (Object.keys(shape).length > 0) definition.arguments = argumentList(shape);
    if (options.icons !== undefined) definition.icons = options.icons;
    if (options._meta !== undefined) definition._meta = options._meta;
    const entry: PromptEntry = {
      definition,
      args: z.object(shape),
      complete: options.complete ?? {},
      render: render as PromptEntry["render"],
    };
    return this.entries.add(name, entry);
  }

  remove(name: string): boolean {
    return this.entries.remove(name);
  }

  get(name: string): PromptEntry | undefined {
    return this.entries.get(name);
  }

  get size(): number {
    return this.entries.size;
  }

  list(): readonly PromptDefinition[] {
    return this.entries.list();
  }
}

const userText = (text: string): PromptMessage => ({ role: "user", content: { type: "text", text } as ContentBlock });

/** Turns what a prompt handler returned into a `prompts/get` result. */
export function normalizePromptResult(value: PromptReturn, description: string | undefined): GetPromptResult {
  if (typeof value === "string") return withDescription({ messages: [userText(value)] }, description);
  if (Array.isArray(value)) return withDescription({ messages: value }, description);
  // Always a new object: results are decorated in place later (modern era).
  return value.description === undefined ? withDescription(value, description) : { ...value };
}

const withDescription = (result: GetPromptResult, description: string | undefined): GetPromptResult =>
  description === undefined ? result : { description, ...result };
