/**
 * The official MCP conformance suite (server scenarios, 2025-11-25
 * requirements) against examples/everything: every scenario, scored or not,
 * must pass.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";
import { ROOT } from "./helpers/everything.js";

test("conformance: server --requirements 2025-11-25 passes every scenario", { timeout: 300_000 }, () => {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, "scripts/conformance/run.mjs"), "--requirements", "2025-11-25"],
    {
      encoding: "utf8",
      timeout: 280_000,
    },
  );
  const output = `${result.stdout}\n${result.stderr}`;
  expect(output, output).toMatch(/Total: \d+ passed, 0 failed/);
  expect(output).not.toMatch(/^\s*✗/m);
  expect(result.status, output).toBe(0);
});
