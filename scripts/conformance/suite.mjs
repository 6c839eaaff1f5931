// What both conformance runners share: the repository root, their command
// line options, where the results go, and how the suite's CLI is started
// (on Node 20 with the resolve hook that supplies fs.globSync; see
// node20-register.mjs).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root. */
export const root = join(here, "..", "..");

/** This process's arguments. */
export const args = process.argv.slice(2);

/** The value after `name` in the arguments, or undefined; a missing value exits 2. */
export function option(name) {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("-")) {
    console.error(`${name} needs a value`);
    process.exit(2);
  }
  return value;
}

/** `-o DIR` (kept), else a temporary directory (the caller removes it). */
export function outputDir(prefix) {
  const keep = option("-o") ?? option("--output-dir");
  if (keep === undefined) return { dir: mkdtempSync(join(tmpdir(), prefix)), kept: false };
  const dir = resolve(keep);
  mkdirSync(dir, { recursive: true });
  return { dir, kept: true };
}

/** Starts the suite's CLI with `cliArgs`; stdout is piped to the caller, stderr inherited. */
export function spawnSuite(cliArgs) {
  const require = createRequire(import.meta.url);
  const cli = join(dirname(require.resolve("@modelcontextprotocol/conformance/package.json")), "dist", "index.js");
  const nodeArgs =
    Number(process.versions.node.split(".")[0]) < 22 ? ["--import", join(here, "node20-register.mjs")] : [];
  return spawn(process.execPath, [...nodeArgs, cli, ...cliArgs], { stdio: ["ignore", "pipe", "inherit"] });
}

/**
 * The suite's checks per scenario, from the checks.json of each
 * `<kind>-<scenario>-<timestamp>/` directory in `outDir` (`kind`: "server",
 * "authorization-server"). An unreadable file is one failed check.
 */
export function scenarioChecks(outDir, kind) {
  const pattern = new RegExp(`^${kind}-(.+)-\\d{4}-\\d{2}-\\d{2}T[\\d-]+Z$`);
  const scenarios = new Map();
  for (const dir of readdirSync(outDir)) {
    const m = pattern.exec(dir);
    if (!m) continue;
    let checks;
    try {
      checks = JSON.parse(readFileSync(join(outDir, dir, "checks.json"), "utf8"));
    } catch (err) {
      checks = [{ id: "checks.json", status: "FAILURE", errorMessage: `no readable results (${err.message})` }];
    }
    scenarios.set(m[1], checks);
  }
  return scenarios;
}
