#!/usr/bin/env node
// Runs the official MCP conformance suite (server scenarios) against
// examples/everything, started in this process on an ephemeral port.
//
//   node scripts/conformance/run.mjs [--requirements 2025-11-25] [--stateless]
//
// The suite's CLI needs Node 22 for one import (fs.globSync); on Node 20 it is
// run with a resolve hook that supplies it (node20-register.mjs). Exits 0 only
// when every scenario, scored or not, passes.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const args = process.argv.slice(2);
const requirements = args.includes("--requirements") ? args[args.indexOf("--requirements") + 1] : "2025-11-25";

const { createEverythingServer } = await import(join(root, "examples/everything/dist/server.js"));
const running = await createEverythingServer({ logLevel: "warn" }).run({
  port: 0,
  handleSignals: false,
  stateless: args.includes("--stateless"),
});

const require = createRequire(import.meta.url);
const cli = join(dirname(require.resolve("@modelcontextprotocol/conformance/package.json")), "dist", "index.js");
const outDir = mkdtempSync(join(tmpdir(), "chuk-conformance-"));
const nodeArgs =
  Number(process.versions.node.split(".")[0]) < 22 ? ["--import", join(here, "node20-register.mjs")] : [];

const child = spawn(
  process.execPath,
  [...nodeArgs, cli, "server", "--url", running.url, "--requirements", requirements, "-o", outDir],
  { stdio: ["ignore", "pipe", "inherit"] },
);
let output = "";
child.stdout.on("data", (chunk) => {
  output += chunk;
  process.stdout.write(chunk);
});
const code = await new Promise((resolve) => child.on("close", resolve));
await running.close();

// Name every failed check, from the per-scenario results.
const failed = [];
for (const dir of readdirSync(outDir)) {
  const checks = JSON.parse(readFileSync(join(outDir, dir, "checks.json"), "utf8"));
  for (const c of checks) if (c.status === "FAILURE") failed.push(`${dir}: ${c.id}: ${c.errorMessage ?? ""}`);
}
if (failed.length > 0) console.error(`\nFailed checks:\n  ${failed.join("\n  ")}`);
const anyCross = /^\s*✗/m.test(output);
process.exit(code === 0 && !anyCross && failed.length === 0 ? 0 : 1);
