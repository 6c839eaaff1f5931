/**
 * `x-mcp-header` (2026-07-28): tool parameters the client mirrors into
 * `Mcp-Param-{Name}` headers, so intermediaries can route on them. Found
 * once, at registration, by walking `properties` chains of the input schema;
 * an annotation that breaks the spec's rules is a registration error.
 */

export interface HeaderParam {
  /** The chain of `properties` keys leading to the parameter. */
  path: string[];
  /** The name part of `Mcp-Param-{Name}`. */
  header: string;
  type: "string" | "integer" | "boolean";
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function headerParamsOf(inputSchema: Record<string, unknown>, what: string): HeaderParam[] {
  const found: HeaderParam[] = [];
  const walk = (schema: Record<string, unknown>, path: string[]) => {
    const properties = schema.properties;
    if (!isRecord(properties)) return;
    for (const [key, sub] of Object.entries(properties)) {
      if (!isRecord(sub)) continue;
      const header = sub["x-mcp-header"];
      if (header !== undefined) {
        if (typeof header !== "string" || !TOKEN.test(header)) {
          throw new TypeError(`${what}: x-mcp-header of "${[...path, key].join(".")}" must be an HTTP token`);
        }
        const type = sub.type;
        if (type !== "string" && type !== "integer" && type !== "boolean") {
          throw new TypeError(
            `${what}: x-mcp-header may only mark string, integer or boolean parameters ("${[...path, key].join(".")}" is ${JSON.stringify(type)})`,
          );
        }
        if (found.some((f) => f.header.toLowerCase() === header.toLowerCase())) {
          throw new TypeError(`${what}: x-mcp-header "${header}" is used twice`);
        }
        found.push({ path: [...path, key], header, type });
      }
      walk(sub, [...path, key]);
    }
  };
  walk(inputSchema, []);
  // Anywhere but a chain of `properties` (items, anyOf, $defs, …) the annotation is invalid.
  const stray = (node: unknown, onChain: boolean, where: string): void => {
    if (Array.isArray(node)) {
      for (const [i, n] of node.entries()) stray(n, false, `${where}/${i}`);
      return;
    }
    if (!isRecord(node)) return;
    if (!onChain && "x-mcp-header" in node) {
      throw new TypeError(`${what}: x-mcp-header at ${where || "/"} is not reachable through "properties" alone`);
    }
    for (const [key, sub] of Object.entries(node)) {
      if (key === "properties" && isRecord(sub) && onChain) {
        for (const [name, prop] of Object.entries(sub)) stray(prop, true, `${where}/properties/${name}`);
      } else {
        stray(sub, false, `${where}/${key}`);
      }
    }
  };
  stray(inputSchema, true, "");
  return found;
}

/** The argument at a header parameter's path, or undefined. */
export function valueAt(args: unknown, path: readonly string[]): unknown {
  let v: unknown = args;
  for (const key of path) {
    if (!isRecord(v)) return undefined;
    v = v[key];
  }
  return v;
}
