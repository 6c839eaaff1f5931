/**
 * The TypeScript examples of README.md and every page under docs/ compile
 * against the built packages, so the docs cannot drift from the API.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, expect, test } from "vitest";
import { ROOT } from "./helpers/everything.js";

const dir = join(ROOT, "tests", ".readme-check");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** README.md and every Markdown page under docs/, as paths relative to the root. */
function documentationPages(): string[] {
  const pages = ["README.md"];
  const walk = (folder: string): void => {
    if (!existsSync(folder)) return;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".md")) pages.push(relative(ROOT, path));
    }
  };
  walk(join(ROOT, "docs"));
  return pages.sort();
}

test("every ```ts block in README.md and docs/ typechecks", { timeout: 120_000 }, () => {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const page of documentationPages()) {
    const text = readFileSync(join(ROOT, page), "utf8");
    const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    if (page === "README.md") expect(blocks.length).toBeGreaterThan(0);
    blocks.forEach((code, i) => {
      // Named after its page, so tsc's messages say which page and block failed.
      const file = join(dir, `${page.replace(/[^A-Za-z0-9]+/g, "_")}__block-${i + 1}.ts`);
      // Each block is its own module (top-level await needs one).
      writeFileSync(file, `${code}\nexport {};\n`);
      files.push(file);
    });
  }
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const result = spawnSync(
    process.execPath,
    [
      tsc,
      "--noEmit",
      "--strict",
      "--target",
      "ES2022",
      "--module",
      "NodeNext",
      "--moduleResolution",
      "NodeNext",
      "--skipLibCheck",
      "--types",
      "node",
      ...files,
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  expect(result.stdout + result.stderr, "tsc output").toBe("");
  expect(result.status).toBe(0);
});
