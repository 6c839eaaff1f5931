/**
 * Matching URIs against RFC 6570 templates, for resource templates. Supports
 * the forms resource templates use in practice: `{var}` (one path segment or
 * query-free text, no "/"), `{+var}` and `{#var}` (reserved: may contain "/"),
 * `{/var}` (a path segment with its slash) and `{?a,b}` / `{&a}` (query
 * parameters, in any order, all optional). Values are percent-decoded; a
 * one-segment variable whose decoded value holds "/" or is "." / ".." does
 * not match, so readers are not handed path traversals.
 */

export interface UriTemplate {
  readonly template: string;
  readonly variables: readonly string[];
  match(uri: string): Record<string, string> | undefined;
}

const EXPRESSION = /\{([+#/?&]?)([A-Za-z0-9_.,%]+)\}/g;
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export function compileUriTemplate(template: string): UriTemplate {
  const variables: string[] = [];
  const queryVars: string[] = [];
  // Indexes of `{var}` / `{/var}` variables: one path segment each, even once decoded.
  const segmentVars = new Set<number>();
  let pattern = "^";
  let last = 0;
  for (const m of template.matchAll(EXPRESSION)) {
    pattern += escapeRegExp(template.slice(last, m.index));
    last = (m.index ?? 0) + m[0].length;
    const operator = m[1] ?? "";
    const names = (m[2] ?? "").split(",");
    if (operator === "?" || operator === "&") {
      // The first query expression's group takes the whole query string; a
      // later one (`{?a}{&b}`) adds no group of its own — a second group named
      // __query would make the RegExp invalid (duplicate capture group name).
      if (queryVars.length === 0) pattern += "(?<__query>[?&].*)?";
      queryVars.push(...names);
      variables.push(...names);
      continue;
    }
    if (names.length !== 1)
      throw new TypeError(`URI template ${template}: only one variable per expression is supported`);
    const name = names[0] as string;
    variables.push(name);
    const group = `(?<${groupName(variables.length - 1)}>`;
    if (operator === "+") pattern += `${group}.+?)`;
    else if (operator === "#") pattern += `#${group}.*)`;
    else if (operator === "/") pattern += `/${group}[^/?#]+)`;
    else pattern += `${group}[^/?#]+)`;
    if (operator === "" || operator === "/") segmentVars.add(variables.length - 1);
  }
  pattern += `${escapeRegExp(template.slice(last))}$`;
  const regex = new RegExp(pattern);
  return {
    template,
    variables,
    match(uri) {
      const m = regex.exec(uri);
      if (!m) return undefined;
      const groups = m.groups ?? {};
      const vars: Record<string, string> = {};
      for (const [i, name] of variables.entries()) {
        const raw = groups[groupName(i)];
        if (raw === undefined) continue;
        const value = decode(raw);
        // "%2F" must not smuggle a path separator (or a "..") into a one-segment variable.
        if (segmentVars.has(i) && (value.includes("/") || value === ".." || value === ".")) return undefined;
        vars[name] = value;
      }
      const query = groups.__query;
      if (query && queryVars.length > 0) {
        const params = new URLSearchParams(query.slice(1));
        for (const name of queryVars) {
          const value = params.get(name);
          if (value !== null) vars[name] = value;
        }
      }
      return vars;
    },
  };
}

const groupName = (i: number): string => `v${i}`;
