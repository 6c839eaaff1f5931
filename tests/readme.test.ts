/**
 * The README's TypeScript examples compile against the built packages, so
 * the docs cannot drift from the API.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { ROOT } from "./helpers/everything.js";

const dir = join(ROOT, "tests", ".readme-check");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("every ```ts block in README.md typechecks", { timeout: 120_000 }, () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  expect(blocks.length).toBeGreaterThan(0);
  mkdirSync(dir, { recursive: true });
  const files = blocks.map((code, i) => {
    const file = join(dir, `block-${i}.ts`);
    // Each block is its own module (top-level await needs one).
    writeFileSync(file, `${code}\nexport {};\n`);
    return file;
  });
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
