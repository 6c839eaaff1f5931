/**
 * The official MCP conformance suite's `authorization` command against our
 * authorization server (the OAuth demo, built), through
 * scripts/conformance/authorization.mjs: it registers a public client at our
 * registration endpoint, runs the suite, and plays the person at the browser
 * in headless Chromium (our consent page, the development login) when the
 * suite prints its authorization URL. Every scenario and check must pass;
 * the SHOULD on `client_id_metadata_document_supported` may only warn.
 * Without /usr/bin/chromium (or $CHROMIUM) this test fails.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROOT } from "./helpers/everything.js";

interface Check {
  id: string;
  name: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "SKIPPED" | "INFO";
  errorMessage?: string;
  details?: Record<string, unknown>;
}

/** The suite's scenarios and the checks each must pass (SUCCESS). */
const EXPECTED: Record<string, string[]> = {
  "authorization-server-metadata-endpoint": ["authorization-server-metadata"],
  "authorization-code-grant": ["authorization-code-grant"],
};

let outDir: string;
let run: { status: number | null; output: string; ms: number };
const scenarios = new Map<string, Check[]>();

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), "chuk-conformance-auth-test-"));
  const started = Date.now();
  run = await new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts/conformance/authorization.mjs"), "-o", outDir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 85_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, output, ms: Date.now() - started });
    });
  });
  for (const dir of readdirSync(outDir)) {
    const m = /^authorization-server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(dir);
    if (m) scenarios.set(m[1] as string, JSON.parse(readFileSync(join(outDir, dir, "checks.json"), "utf8")) as Check[]);
  }
  // The run's summary (each scenario, each check) in the test output.
  const summary = run.output.slice(run.output.indexOf("=== chuk-mcp conformance"));
  console.log(`${summary.trim()}\n(${(run.ms / 1000).toFixed(1)} s)`);
}, 90_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

const checksOf = (scenario: string): Check[] => {
  const checks = scenarios.get(scenario);
  expect(checks, `${scenario} did not run:\n${run.output}`).toBeDefined();
  return checks ?? [];
};

test("conformance authorization: the script passes (exit 0) and the suite ran exactly the expected scenarios", () => {
  expect(run.output, run.output).toMatch(/^Result: PASS /m);
  expect(run.output, run.output).toMatch(/Total: \d+ passed, 0 failed/);
  expect(run.status, run.output).toBe(0);
  expect([...scenarios.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
});

test("conformance authorization: the browser part was played headlessly: consent page, development login, suite's callback", () => {
  expect(run.output, run.output).toContain("[headless login] /oauth/consent → /dev-idp/authorize → /callback");
});

describe.each(Object.entries(EXPECTED))("conformance authorization: %s", (scenario, ids) => {
  test.each(ids)("%s: SUCCESS", (id) => {
    const check = checksOf(scenario).find((c) => c.id === id);
    expect(check, run.output).toBeDefined();
    expect(check?.status, `${id}: ${check?.errorMessage ?? ""}\n${run.output}`).toBe("SUCCESS");
  });

  test("no check fails or is skipped", () => {
    const bad = checksOf(scenario).filter((c) => c.status === "FAILURE" || c.status === "SKIPPED");
    expect(bad.map((c) => `${c.id} ${c.status}: ${c.errorMessage ?? ""}`)).toEqual([]);
  });
});

test("conformance authorization: authorization-server-metadata-cimd (a SHOULD) passes, or warns only while client_id_metadata_document_supported is not advertised", () => {
  const check = checksOf("authorization-server-metadata-endpoint").find(
    (c) => c.id === "authorization-server-metadata-cimd",
  );
  expect(check, run.output).toBeDefined();
  const advertised = check?.details?.client_id_metadata_document_supported === true;
  expect(check?.status, check?.errorMessage).toBe(advertised ? "SUCCESS" : "WARNING");
});

test("conformance authorization: the code grant carried the resource and came back with iss (RFC 8707, RFC 9207)", () => {
  const grant = checksOf("authorization-code-grant").find((c) => c.id === "authorization-code-grant");
  const metadata = checksOf("authorization-server-metadata-endpoint").find(
    (c) => c.id === "authorization-server-metadata",
  );
  const details = grant?.details as { authorizationRequest?: string; authorizationResponseUrl?: string } | undefined;
  const body = (metadata?.details as { body?: Record<string, unknown> } | undefined)?.body;
  expect(details?.authorizationRequest, run.output).toBeDefined();
  const request = new URL(details?.authorizationRequest as string);
  expect(request.searchParams.get("resource")).toBe(`${body?.issuer as string}/mcp`);
  // The metadata promises `iss` in every authorization response (RFC 9207 §3); the suite checks it only when present.
  expect(body?.authorization_response_iss_parameter_supported).toBe(true);
  const response = new URL(details?.authorizationResponseUrl as string);
  expect(response.searchParams.getAll("iss")).toEqual([body?.issuer]);
  // The time limit of the brief: the whole run, server start to verdict, in well under a minute.
  expect(run.ms).toBeLessThan(60_000);
});
