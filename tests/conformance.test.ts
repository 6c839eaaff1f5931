/**
 * The official MCP conformance suite (server scenarios) against
 * examples/everything, at each revision's requirement set:
 * - 2025-11-25: every scenario, scored or not, must pass;
 * - 2026-07-28: every scored scenario and every not-scored one (the pending
 *   json-schema-2020-12 and SEP-2243 header scenarios, the tasks extension's
 *   `tasks-*`) must pass.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";
import { ROOT } from "./helpers/everything.js";

const runConformance = (requirements: string) => {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, "scripts/conformance/run.mjs"), "--requirements", requirements],
    {
      encoding: "utf8",
      timeout: 280_000,
    },
  );
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
};

test("conformance: server --requirements 2025-11-25 passes every scenario", { timeout: 300_000 }, () => {
  const { status, output } = runConformance("2025-11-25");
  expect(output, output).toMatch(/Total: \d+ passed, 0 failed/);
  expect(output).not.toMatch(/^\s*✗/m);
  expect(status, output).toBe(0);
});

test("conformance: server --requirements 2026-07-28 passes every scenario, tasks extension included", {
  timeout: 300_000,
}, () => {
  const { status, output } = runConformance("2026-07-28");
  const scored = /Scored: (\d+)\/(\d+) scenarios pass/.exec(output);
  expect(scored, output).not.toBeNull();
  expect(scored?.[1], output).toBe(scored?.[2]);
  for (const pending of ["json-schema-2020-12", "http-header-validation", "http-custom-header-server-validation"]) {
    expect(output, output).toContain(`✓ ${pending} (pending)`);
  }
  expect(output, output).toMatch(/✓ tasks-lifecycle \(extension\)/);
  expect(output, output).not.toMatch(/^\s*✗/m);
  expect(output, output).toMatch(/Result: PASS/);
  expect(status, output).toBe(0);
});
