/**
 * Writes a project: the template's folders (common first), with `{{key}}`
 * placeholders filled in and `_name` files renamed `.name` (npm would drop a
 * packed `.gitignore`), then its package.json.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { DependencySpecs } from "./framework.js";
import type { Template } from "./templates.js";
import { SCAFFOLD_DEPENDENCIES, SCAFFOLD_DEV_DEPENDENCIES } from "./versions.js";

/** apps/cli/templates (next to dist/ in the checkout and in the published package). */
export const TEMPLATES_DIR = fileURLToPath(new URL("../../templates/", import.meta.url));

export type Placeholders = Record<string, string>;

/** Replaces every `{{key}}`; an unknown key is a bug in the template, so it throws. */
export function fillPlaceholders(text: string, values: Placeholders, file = "template"): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`${file}: unknown placeholder {{${key}}}`);
    return value;
  });
}

/** A template's files: project-relative path → source file (later layers win). */
export async function templateFiles(template: Template, templatesDir = TEMPLATES_DIR): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const layer of template.layers) {
    const root = join(templatesDir, layer);
    if (!existsSync(root)) throw new Error(`the ${layer} template folder is missing (${root})`);
    for (const source of await walk(root)) {
      const parts = relative(root, source).split(sep);
      const name = parts.pop() as string;
      parts.push(name.startsWith("_") ? `.${name.slice(1)}` : name);
      files.set(parts.join("/"), source);
    }
  }
  return files;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out.sort();
}

export interface ProjectManifestInput {
  name: string;
  template: Template;
  framework: DependencySpecs;
}

/** The scaffolded project's package.json. */
export function projectManifest({ name, template, framework }: ProjectManifestInput): Record<string, unknown> {
  const sorted = (deps: Record<string, string>) =>
    Object.fromEntries(Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)));
  return {
    name,
    version: "0.1.0",
    private: true,
    description: `An MCP server built with chuk-mcp (${template.name} template).`,
    type: "module",
    engines: { node: ">=20.11" },
    main: "dist/server.js",
    scripts: {
      dev: "tsx watch src/server.ts",
      build: "tsc -p tsconfig.build.json",
      start: "node dist/server.js",
      test: "vitest run",
      typecheck: "tsc",
    },
    dependencies: sorted({ ...framework, ...SCAFFOLD_DEPENDENCIES }),
    devDependencies: sorted({ ...SCAFFOLD_DEV_DEPENDENCIES }),
    // npm 11 runs a dependency's install script only when allowed: esbuild's (under tsx) checks its binary.
    allowScripts: { esbuild: true },
  };
}

/** Writes the template's files and package.json into `dir`; returns the paths written, relative to it. */
export async function writeProject(
  dir: string,
  template: Template,
  placeholders: Placeholders,
  manifest: Record<string, unknown>,
  templatesDir = TEMPLATES_DIR,
): Promise<string[]> {
  const written: string[] = [];
  for (const [path, source] of await templateFiles(template, templatesDir)) {
    const target = join(dir, ...path.split("/"));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, fillPlaceholders(await readFile(source, "utf8"), placeholders, path));
    written.push(path);
  }
  await writeFile(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  written.push("package.json");
  return written.sort();
}
