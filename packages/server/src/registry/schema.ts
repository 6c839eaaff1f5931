/**
 * Zod (v4) schemas → JSON Schema 2020-12 for the wire, and the object schema
 * used to validate arguments. Converted once, at registration.
 */
import { z } from "zod";
import type { JsonSchemaObject } from "../protocol/types.js";

/** A tool's or prompt's input: a zod object schema or the shape of one. */
export type InputSpec = z.ZodRawShape | z.ZodType<Record<string, unknown>, Record<string, unknown>>;

/** The parsed arguments a handler receives for an input spec. */
export type InputOf<I> = I extends z.ZodType
  ? z.output<I>
  : I extends z.ZodRawShape
    ? z.output<z.ZodObject<I>>
    : Record<string, unknown>;

const EMPTY_OBJECT = z.object({});

/** Turns an input spec into the zod schema that validates it. */
export function toZodObject(input: InputSpec | undefined, what: string): z.ZodType<Record<string, unknown>> {
  if (input === undefined) return EMPTY_OBJECT;
  if (input instanceof z.ZodType) return input;
  if (typeof input === "object" && input !== null) {
    for (const [key, value] of Object.entries(input)) {
      if (!(value instanceof z.ZodType)) {
        throw new TypeError(`${what}: field "${key}" is not a zod schema`);
      }
    }
    return z.object(input);
  }
  throw new TypeError(`${what}: input must be a zod object schema or a shape of zod schemas`);
}

/**
 * JSON Schema 2020-12 for a zod object schema. `io` picks the input view
 * (fields with defaults are optional) or the output view (the value a handler
 * returns). Throws at registration when the schema is not an object or cannot
 * be expressed in JSON Schema.
 */
export function toJsonSchema(schema: z.ZodType, io: "input" | "output", what: string): JsonSchemaObject {
  let json: Record<string, unknown>;
  try {
    json = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "throw" }) as Record<string, unknown>;
  } catch (err) {
    throw new TypeError(`${what}: schema cannot be expressed as JSON Schema (${(err as Error).message})`);
  }
  if (json.type !== "object") {
    throw new TypeError(`${what}: schema must describe an object (got ${JSON.stringify(json.type ?? "no type")})`);
  }
  return json as JsonSchemaObject;
}

/** A readable one-line account of a zod validation failure, naming each bad field. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.map(String).join(".") : "(root)";
      return `${path}: ${issue.message}`;
    })
    .join("; ");
}
