/** How `chuk-mcp inspect` shows a server's lists and results to a person. */
import type { Output } from "../output.js";

type Json = Record<string, unknown>;

interface JsonSchemaLike {
  type?: string | string[];
  enum?: unknown[];
  items?: JsonSchemaLike;
  default?: unknown;
  description?: string;
  anyOf?: JsonSchemaLike[];
}

/** `string`, `integer[]`, `"a" | "b"`, … */
export function schemaType(schema: JsonSchemaLike | undefined): string {
  if (!schema) return "any";
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.anyOf) return schema.anyOf.map(schemaType).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type;
  if (type === "array") return `${schemaType(schema.items)}[]`;
  return type ?? "any";
}

/** `hello(name: string, count?: integer = 3)` from a tool's input schema. */
export function toolSignature(name: string, inputSchema: unknown): string {
  const schema = (inputSchema ?? {}) as { properties?: Record<string, JsonSchemaLike>; required?: string[] };
  const required = new Set(schema.required ?? []);
  const params = Object.entries(schema.properties ?? {}).map(([key, prop]) => {
    const optional = required.has(key) ? "" : "?";
    const def = prop.default === undefined ? "" : ` = ${JSON.stringify(prop.default)}`;
    return `${key}${optional}: ${schemaType(prop)}${def}`;
  });
  return `${name}(${params.join(", ")})`;
}

/** Rows of two columns: the first padded, the second dimmed; long first cells push the second to the next line. */
export function printRows(out: Output, rows: readonly [string, string][]): void {
  const width = Math.min(40, Math.max(0, ...rows.map(([a]) => a.length)));
  for (const [left, right] of rows) {
    if (!right) out.line(`  ${left}`);
    else if (left.length > width) {
      out.line(`  ${left}`);
      out.line(`  ${" ".repeat(width)}  ${out.dim(right)}`);
    } else out.line(`  ${left.padEnd(width)}  ${out.dim(right)}`);
  }
}

const firstLine = (text: unknown): string => (typeof text === "string" ? (text.split("\n")[0] ?? "") : "");

export function printSection(out: Output, title: string, rows: [string, string][]): void {
  out.line();
  out.line(out.bold(`${title} (${rows.length})`));
  if (rows.length === 0) out.line(out.dim("  none"));
  else printRows(out, rows);
}

export const toolRows = (tools: readonly Json[]): [string, string][] =>
  tools.map((t) => [toolSignature(t.name as string, t.inputSchema), firstLine(t.description ?? t.title)]);

export const resourceRows = (resources: readonly Json[]): [string, string][] =>
  resources.map((r) => [
    r.uri as string,
    [r.name, r.mimeType ? `[${r.mimeType}]` : "", firstLine(r.description)].filter(Boolean).join(" "),
  ]);

export const templateRows = (templates: readonly Json[]): [string, string][] =>
  templates.map((t) => [
    t.uriTemplate as string,
    [t.name, t.mimeType ? `[${t.mimeType}]` : "", firstLine(t.description)].filter(Boolean).join(" "),
  ]);

export const promptRows = (prompts: readonly Json[]): [string, string][] =>
  prompts.map((p) => {
    const args = ((p.arguments ?? []) as Json[]).map((a) => `${a.name}${a.required ? "" : "?"}`);
    return [`${p.name}(${args.join(", ")})`, firstLine(p.description ?? p.title)];
  });

const indent = (text: string, by = "  ") =>
  text
    .split("\n")
    .map((l) => by + l)
    .join("\n");

const byteLength = (base64: unknown) => (typeof base64 === "string" ? Buffer.from(base64, "base64").length : 0);

/** One content block (tool result, prompt message) as text. */
export function contentText(block: Json): string {
  switch (block.type) {
    case "text":
      return String(block.text);
    case "image":
    case "audio":
      return `[${block.type} ${block.mimeType}, ${byteLength(block.data)} bytes]`;
    case "resource_link":
      return `[link ${block.uri}${block.name ? ` "${block.name}"` : ""}]`;
    case "resource": {
      const r = (block.resource ?? {}) as Json;
      return typeof r.text === "string"
        ? `[resource ${r.uri}]\n${r.text}`
        : `[resource ${r.uri}, ${byteLength(r.blob)} bytes]`;
    }
    default:
      return JSON.stringify(block);
  }
}

export function printToolResult(out: Output, result: Json): void {
  const content = (result.content ?? []) as Json[];
  if (result.isError) out.line(out.red("  the tool answered with an error:"));
  const structured = result.structuredContent;
  // A structured result also comes as its JSON in a text block: show it once, formatted.
  const sameAsText =
    structured !== undefined &&
    content.length === 1 &&
    content[0]?.type === "text" &&
    sameJson(content[0].text, structured);
  if (!sameAsText) for (const block of content) out.line(indent(contentText(block)));
  if (structured !== undefined) {
    if (!sameAsText) out.line(out.dim("  structuredContent:"));
    out.line(indent(JSON.stringify(structured, null, 2), sameAsText ? "  " : "    "));
  }
  if (content.length === 0 && structured === undefined) out.line(out.dim("  (empty result)"));
}

function sameJson(text: unknown, value: unknown): boolean {
  if (typeof text !== "string") return false;
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(value);
  } catch {
    return false;
  }
}

export function printResourceContents(out: Output, result: Json): void {
  for (const c of (result.contents ?? []) as Json[]) {
    out.line(out.dim(`  ${c.uri}${c.mimeType ? ` [${c.mimeType}]` : ""}`));
    out.line(typeof c.text === "string" ? indent(c.text) : `  [${byteLength(c.blob)} bytes]`);
  }
}

export function printPromptResult(out: Output, result: Json): void {
  if (typeof result.description === "string") out.line(out.dim(`  ${result.description}`));
  for (const m of (result.messages ?? []) as Json[]) {
    out.line(`  ${out.bold(String(m.role))}: ${contentText((m.content ?? {}) as Json)}`);
  }
}
