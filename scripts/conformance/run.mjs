#!/usr/bin/env node
// Runs the official MCP conformance suite (server scenarios) against
// examples/everything, started in this process on an ephemeral port.
//
//   node scripts/conformance/run.mjs [--requirements 2025-11-25|2026-07-28] [--stateless] [-o DIR]
//
// `--requirements` picks the revision whose requirement set runs (default
// 2025-11-25); `-o DIR` keeps the per-scenario results (checks.json) there,
// otherwise they go to a temporary directory removed at the end.
//
// The suite's CLI needs Node 22 for one import (fs.globSync); on Node 20 it is
// run with a resolve hook that supplies it (node20-register.mjs).
//
// Exit status: 0 only when every scenario passes: every scored one and every
// not-scored one (pending, added-after-release, the tasks extension).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { args, option, outputDir, root, scenarioChecks, spawnSuite } from "./suite.mjs";

const requirements = option("--requirements") ?? "2025-11-25";

const { createEverythingServer } = await import(join(root, "examples/everything/dist/server.js"));
const running = await createEverythingServer({ logLevel: "warn" }).run({
  port: 0,
  handleSignals: false,
  stateless: args.includes("--stateless"),
});

const { dir: outDir, kept } = outputDir("chuk-conformance-");
const child = spawnSuite(["server", "--url", running.url, "--requirements", requirements, "-o", outDir]);
let output = "";
child.stdout.on("data", (chunk) => {
  output += chunk;
  process.stdout.write(chunk);
});
const code = await new Promise((resolve) => child.on("close", resolve));
await running.close();

// The suite names the scenarios it ran but does not score (with the reason)
// after its summary: "Not scored for <rev>: …" then "  ✓|✗ <name> (<reason>)".
const notScored = new Map();
const block = output.split(/^Not scored for [^\n]*\n/m)[1] ?? "";
for (const line of block.split("\n")) {
  const m = /^\s+[✓✗]\s+(\S+)\s+\(([^)]*)\)\s*$/.exec(line);
  if (!m) break;
  notScored.set(m[1], m[2]);
}

// Per-scenario results, from the checks.json files: server-<scenario>-<timestamp>/.
const scenarios = scenarioChecks(outDir, "server");
if (!kept) rmSync(outDir, { recursive: true, force: true });

const failures = [];
const warnings = [];
const scored = { passed: 0, total: 0 };
for (const [name, checks] of [...scenarios].sort(([a], [b]) => a.localeCompare(b))) {
  const isScored = !notScored.has(name);
  const failed = checks.filter((c) => c.status === "FAILURE");
  if (isScored) {
    scored.total += 1;
    if (failed.length === 0) scored.passed += 1;
  }
  for (const c of failed) failures.push(`${name}: ${c.id}: ${c.errorMessage ?? ""}`);
  for (const c of checks) if (c.status === "WARNING") warnings.push(`${name}: ${c.id}: ${c.errorMessage ?? ""}`);
}

console.log(`\n=== chuk-mcp conformance (${requirements}) ===`);
console.log(`Scored: ${scored.passed}/${scored.total} scenarios pass`);
if (notScored.size > 0) {
  console.log("Not scored:");
  for (const [name, reason] of notScored) {
    const failed = (scenarios.get(name) ?? []).some((c) => c.status === "FAILURE");
    console.log(`  ${failed ? "✗" : "✓"} ${name} (${reason})`);
  }
}
if (warnings.length > 0) console.log(`\nWarnings:\n  ${warnings.join("\n  ")}`);
if (failures.length > 0) console.error(`\nFailed checks:\n  ${failures.join("\n  ")}`);
if (scenarios.size === 0) console.error("\nNo scenario results were written: the suite did not run.");

const ok = code === 0 && failures.length === 0 && scenarios.size > 0;
console.log(`\nResult: ${ok ? "PASS" : "FAIL"} (suite exit ${code}, ${failures.length} failing check(s))`);
process.exit(ok ? 0 : 1);
