#!/usr/bin/env node
// Runs the official MCP conformance suite's `authorization` command (the
// authorization-server scenarios) against our authorization server: the
// OAuth demo (examples/oauth-demo, built), started in this process on a free
// port with OAUTH_SERVER_URL naming it.
//
//   node scripts/conformance/authorization.mjs [-o DIR] [--spec-version V]
//
// What it does, in order:
// 1. registers a public client (PKCE, token_endpoint_auth_method "none")
//    through our dynamic client registration endpoint, with the redirect URI
//    the suite listens on: http://127.0.0.1:<port>/callback;
// 2. runs `conformance authorization --url <issuer> --client-id <id>
//    --resource <MCP URL> --port <port>`; the suite checks the metadata, then
//    prints an authorization URL for a person to open in a browser and waits
//    for the redirect to its callback server;
// 3. plays that person headlessly: opens the URL in Chromium (playwright-core
//    with /usr/bin/chromium, or $CHROMIUM), approves the consent page and
//    signs in on the development provider's login page, so the browser lands
//    on the suite's callback with the code; the suite then exchanges the code
//    at our token endpoint and checks the answer.
//
// The suite's CLI needs Node 22 for one import (fs.globSync); on Node 20 it is
// run with a resolve hook that supplies it (node20-register.mjs).
//
// Exit status: 0 only when the suite ran every scenario and no check failed
// (a WARNING, such as the SHOULD on client_id_metadata_document_supported, is
// listed but does not fail the run).
import { existsSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { chromiumProblem, launchHeadlessChromium } from "../headless-chromium.mjs";
import { option, outputDir, root, scenarioChecks, spawnSuite } from "./suite.mjs";

const specVersion = option("--spec-version");
/** How long the whole run may take before it is stopped as failed. */
const TIMEOUT_MS = 60_000;
/** The scenarios the suite must run: it prints a summary line for each. */
const EXPECTED_SCENARIOS = ["authorization-server-metadata-endpoint", "authorization-code-grant"];

const demoModule = join(root, "examples/oauth-demo/dist/server.js");
if (!existsSync(demoModule)) {
  console.error(`${demoModule} is missing: run npm run build first`);
  process.exit(2);
}
if (chromiumProblem() !== undefined) {
  console.error(chromiumProblem());
  process.exit(2);
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
const freePort = () =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });

const [serverPort, callbackPort] = await Promise.all([freePort(), freePort()]);
const issuer = `http://localhost:${serverPort}`;
const redirectUri = `http://127.0.0.1:${callbackPort}/callback`;

// --- our authorization server: the OAuth demo, in this process ---------------
const { createOAuthDemo } = await import(demoModule);
const demo = createOAuthDemo({
  // Only what the run needs: nothing from this machine's OAUTH_* variables.
  env: { PORT: String(serverPort), HOST: "127.0.0.1", OAUTH_SERVER_URL: issuer },
  server: { logLevel: process.env.LOG_LEVEL || "error" },
});
const running = await demo.run();

let browser;
let child;
let outDir;
let kept = false;
let exitCode = 1;
const failures = [];
try {
  // --- 1. a public client, registered as an MCP client would -----------------
  const metadata = await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json();
  const registration = await fetch(metadata.registration_endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "MCP conformance suite (authorization)",
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      application_type: "native",
    }),
  });
  const client = await registration.json();
  if (registration.status !== 201 || typeof client.client_id !== "string") {
    throw new Error(`client registration failed: HTTP ${registration.status} ${JSON.stringify(client)}`);
  }
  console.log(`Authorization server: ${issuer} (MCP resource ${demo.mcpUrl})`);
  console.log(`Registered public client ${client.client_id} with redirect URI ${redirectUri}\n`);

  // --- 2. the suite ----------------------------------------------------------
  ({ dir: outDir, kept } = outputDir("chuk-conformance-auth-"));
  const cliArgs = [
    "authorization",
    "--url",
    issuer,
    "--client-id",
    client.client_id,
    "--resource",
    demo.mcpUrl,
    "--port",
    String(callbackPort),
    "-o",
    outDir,
  ];
  if (specVersion) cliArgs.push("--spec-version", specVersion);
  child = spawnSuite(cliArgs);

  let output = "";
  let login;
  const authorizePrefix = `${metadata.authorization_endpoint}?`;
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    output += chunk;
    process.stdout.write(chunk);
    // --- 3. the person at the browser, when the suite asks for one ---------
    if (login === undefined) {
      // Complete lines only: a chunk may end in the middle of the URL.
      const line = output
        .split("\n")
        .slice(0, -1)
        .find((l) => l.startsWith(authorizePrefix));
      if (line !== undefined) {
        login = playLogin(line.trim()).catch((err) => {
          failures.push(`login: ${err.message}`);
          // The suite would wait five minutes for a callback that will not come.
          child.kill("SIGTERM");
        });
      }
    }
  });
  const exited = new Promise((done) => child.on("close", (code, signal) => done({ code, signal })));
  let timer;
  const timedOut = new Promise((done) => {
    timer = setTimeout(() => done("timeout"), TIMEOUT_MS);
  });
  const outcome = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    failures.push(`the suite did not finish within ${TIMEOUT_MS / 1000} s`);
    child.kill("SIGTERM");
    await exited;
  }
  await login;
  if (login === undefined && output.includes("=== Running scenario: authorization-code-grant")) {
    failures.push("the suite never printed an authorization URL to open");
  }
  const suiteCode = outcome === "timeout" ? null : outcome.code;

  // --- results: checks.json per scenario ------------------------------------
  // Directories: authorization-server-<scenario>-<timestamp>/checks.json.
  const scenarios = scenarioChecks(outDir, "authorization-server");

  console.log("\n=== chuk-mcp conformance: authorization server ===");
  const warnings = [];
  for (const name of EXPECTED_SCENARIOS) {
    if (!scenarios.has(name)) failures.push(`${name}: not run (no checks.json)`);
  }
  const order = (name) => (EXPECTED_SCENARIOS.indexOf(name) + 1 || 99) * 1000;
  for (const [name, checks] of [...scenarios].sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))) {
    const failed = checks.filter((c) => c.status === "FAILURE");
    console.log(`${failed.length === 0 ? "✓" : "✗"} ${name}`);
    for (const c of checks) {
      const why = c.errorMessage ? `: ${c.errorMessage}` : "";
      console.log(`    ${c.status.padEnd(7)} ${c.id}${c.status === "SUCCESS" ? "" : why}`);
      for (const line of describeDetails(c.details)) console.log(`            ${line}`);
      if (c.status === "FAILURE") failures.push(`${name}: ${c.id}${why}`);
      if (c.status === "WARNING") warnings.push(`${name}: ${c.id}${why}`);
      if (c.status === "SKIPPED") failures.push(`${name}: ${c.id} was skipped${why}`);
    }
  }
  if (warnings.length > 0) console.log(`\nWarnings:\n  ${warnings.join("\n  ")}`);
  if (failures.length > 0) console.error(`\nFailed:\n  ${failures.join("\n  ")}`);
  const ok = suiteCode === 0 && failures.length === 0 && scenarios.size > 0;
  console.log(`\nResult: ${ok ? "PASS" : "FAIL"} (suite exit ${suiteCode}, ${failures.length} failure(s))`);
  exitCode = ok ? 0 : 1;
} catch (err) {
  console.error(`\nResult: FAIL (${err.stack ?? err})`);
  exitCode = 1;
} finally {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await browser?.close().catch(() => {});
  await running.close();
  if (outDir && !kept) rmSync(outDir, { recursive: true, force: true });
}
process.exit(exitCode);

/** What a passing check saw, in a line or two (never token material: the suite redacts it). */
function describeDetails(details) {
  const lines = [];
  if (details?.authorizationResponseUrl) {
    const p = new URL(details.authorizationResponseUrl).searchParams;
    lines.push(`authorization response: code ${p.has("code") ? "present" : "missing"}, state, iss=${p.get("iss")}`);
  }
  if (details?.body && details.authorizationResponseUrl) {
    const { access_token: _a, refresh_token: _r, ...rest } = details.body;
    const fields = Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    lines.push(`token response: ${fields.join(", ")}${details.body.refresh_token ? ", refresh_token present" : ""}`);
  }
  return lines;
}

/**
 * Opens `authorizationUrl` in headless Chromium and does what a person does:
 * approves our consent page, signs in on the development login page, until
 * the browser reaches the suite's callback (which answers "OK").
 */
async function playLogin(authorizationUrl) {
  browser = await launchHeadlessChromium();
  const page = await (await browser.newContext()).newPage();
  const atCallback = (url) => url.href.startsWith(redirectUri);
  const steps = [];
  await page.goto(authorizationUrl);
  for (let step = 0; step < 10; step++) {
    const url = new URL(page.url());
    steps.push(url.pathname);
    if (atCallback(url)) {
      console.log(`\n[headless login] ${steps.join(" → ")}`);
      return;
    }
    const username = page.locator('input[name="username"]');
    const approve = page.getByRole("button", { name: "Approve" });
    if ((await username.count()) > 0) {
      await username.fill("conformance");
      await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Sign in" }).click()]);
    } else if ((await approve.count()) > 0) {
      await Promise.all([page.waitForNavigation(), approve.click()]);
    } else {
      const text = ((await page.textContent("body")) ?? "").replace(/\s+/g, " ").trim();
      throw new Error(`neither our consent page nor the login form at ${url.href}: ${text.slice(0, 300)}`);
    }
  }
  throw new Error(`the browser did not reach ${redirectUri}: ${steps.join(" → ")}`);
}
