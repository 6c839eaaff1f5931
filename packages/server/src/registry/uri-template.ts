/**
 * Matching URIs against RFC 6570 templates, for resource templates. Supports
 * the forms resource templates use in practice: `{var}` (one path segment or
 * query-free text, no "/"), `{+var}` and `{#var}` (reserved: may contain "/"),
 * `{/var}` (a path segment with its slash) and `{?a,b}` / `{&a}` (query
 * parameters, in any order, all optional).
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
      variables.forEach((name, i) => {
        const value = groups[groupName(i)];
        if (value !== undefined) vars[name] = decode(value);
      });
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
