/**
 * Project names follow npm's package name rules (the name goes into
 * package.json): at most 214 characters, lowercase, URL-safe, not starting
 * with `.` or `_`, no spaces or `~'!()*`, not a Node.js core module, and
 * `@scope/name` allowed. The project's folder is the part after the scope.
 */
import { builtinModules } from "node:module";

export type NameCheck = { ok: true; dirName: string } | { ok: false; problems: string[] };

const RESERVED = new Set(["node_modules", "favicon.ico"]);
const SPECIAL = /[~'!()*]/;

export function checkProjectName(name: string): NameCheck {
  const problems: string[] = [];
  if (name.length === 0) return { ok: false, problems: ["it is empty"] };
  if (name.trim() !== name) problems.push("it starts or ends with a space");
  if (name.length > 214) problems.push("it is longer than 214 characters");
  if (name.toLowerCase() !== name) problems.push("it has capital letters (npm names are lowercase)");
  if (SPECIAL.test(name.split("/").pop() ?? "")) problems.push("it has one of the characters ~'!()*");
  if (RESERVED.has(name.toLowerCase())) problems.push(`"${name}" is reserved`);
  if (builtinModules.includes(name)) problems.push(`"${name}" is a Node.js core module`);

  let scope: string | undefined;
  let base = name;
  if (name.startsWith("@")) {
    const match = /^@([^/]+)\/([^/]+)$/.exec(name);
    if (!match) {
      problems.push('a scoped name is "@scope/name"');
      return { ok: false, problems };
    }
    scope = match[1] as string;
    base = match[2] as string;
  }
  if (base.startsWith(".")) problems.push("it starts with a period");
  if (base.startsWith("_")) problems.push("it starts with an underscore");
  for (const part of scope === undefined ? [base] : [scope, base]) {
    if (encodeURIComponent(part) !== part) {
      problems.push(
        /\s/.test(part)
          ? "it has spaces (use dashes: my-server)"
          : "it has characters that are not URL-safe (use lowercase letters, digits, - . _)",
      );
      break;
    }
  }
  return problems.length === 0 ? { ok: true, dirName: base } : { ok: false, problems: [...new Set(problems)] };
}
