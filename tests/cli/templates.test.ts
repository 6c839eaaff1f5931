/**
 * Every template of `chuk-mcp init`, end to end, as a newcomer would use it:
 * scaffold into a temporary folder → npm install → npm run build → npm test
 * (the project's own test) → npm start → an official SDK client calls a
 * tool. OAuth templates: the protected tool answers 401 with the challenge
 * until the client logs in; the oauth template's client then logs in through
 * the development provider (consent and login pages answered without a
 * browser) and calls it.
 *
 * Speed (CI): the first template packs this checkout's packages and installs
 * through the CLI, as a person would, from the npm cache (--prefer-offline);
 * the others take the packages packed once (`--packages`);
 * the others start from a hard-linked copy of its node_modules and its
 * package-lock.json and run the same `npm install`, which then only adds or
 * removes what differs (seconds instead of half a minute).
 */
import { spawnSync } from "node:child_process";
import { copyFile, cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INSTALL_ARGS, packLocalPackages, TEMPLATES } from "@chuk-mcp/cli";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Sdk1OAuthClient } from "../helpers/oauth-client.js";
import { headlessOAuthClient } from "../helpers/oauth-login.js";
import { CLI, cleanEnv, npm, type Ran, runCli, runCommand, type StartedProject, startProject } from "./cli-harness.js";

const CYCLE_TIMEOUT = 240_000;

let work: string;
let packages: string;
/** The first installed project: its node_modules and lock seed the next ones. */
let seed: string | undefined;
const timings: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "chuk-cli-templates-"));
  packages = join(work, "packages");
  await packLocalPackages(packages);
}, 60_000);

afterAll(async () => {
  if (timings.length) console.log(`chuk-mcp init cycles:\n${timings.join("\n")}`);
  if (work) await rm(work, { recursive: true, force: true });
});

interface Scaffold {
  dir: string;
  init: Ran;
}

/** `chuk-mcp init` + install (through the CLI for the first project, from a copy of its node_modules after). */
async function scaffold(template: string): Promise<Scaffold> {
  const name = `my-${template}-server`;
  const dir = join(work, name);
  const started = Date.now();
  const args = ["init", name, "--template", template];
  const init = await runCli(seed ? [...args, "--packages", packages, "--no-install"] : args, { cwd: work });
  expect(init.code, `${init.stdout}\n${init.stderr}`).toBe(0);
  if (seed) {
    await copyModules(join(seed, "node_modules"), join(dir, "node_modules"));
    await copyFile(join(seed, "package-lock.json"), join(dir, "package-lock.json"));
    await npm([...INSTALL_ARGS], dir);
  } else {
    seed = dir;
  }
  timings.push(`  ${template}: scaffold + install ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return { dir, init };
}

/** Hard links where the platform has `cp -al` (fast: no data copied), else a plain copy. */
async function copyModules(from: string, to: string): Promise<void> {
  if (spawnSync("cp", ["-al", from, to]).status !== 0) {
    await rm(to, { recursive: true, force: true });
    await cp(from, to, { recursive: true, verbatimSymlinks: true });
  }
  // Caches written in place (vitest's) must not reach the seed's files through a shared link.
  await rm(join(to, ".vite"), { recursive: true, force: true });
}

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await run();
  } finally {
    timings.push(`  ${label} ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
}

/**
 * Type-checks the source and the test (once per distinct test file: the provider templates share
 * one, and `build` checks each one's source), builds and runs the project's own test.
 */
async function buildAndTest(template: string, dir: string): Promise<void> {
  if (!["google-drive", "linkedin"].includes(template)) {
    await timed(`${template}: npm run typecheck`, () => npm(["run", "typecheck"], dir));
  }
  await timed(`${template}: npm run build`, () => npm(["run", "build"], dir));
  const ran = await timed(`${template}: npm test`, () => npm(["test"], dir));
  expect(ran.stdout).toMatch(/Tests\s+\d+ passed/);
  expect(ran.stdout).not.toMatch(/failed/);
}

async function connectHttp(url: string, options: ConstructorParameters<typeof StreamableHTTPClientTransport>[1] = {}) {
  const client = new Client({ name: "chuk-cli-e2e", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), options);
  await client.connect(transport);
  return { client, transport };
}

/** A fetch that keeps the last WWW-Authenticate challenge of a 401. */
function challengeRecorder() {
  const seen: { challenge: string | null } = { challenge: null };
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (response.status === 401) seen.challenge = response.headers.get("www-authenticate");
    return response;
  };
  return { fetch: recording, seen };
}

const templateNames = TEMPLATES.map((t) => t.name);

/** The provider templates: their env prefix, a protected tool and the scope it needs. */
const PROVIDERS = [
  { template: "google-drive", prefix: "GOOGLE", tool: "drive_list_files", scope: "drive.read" },
  { template: "linkedin", prefix: "LINKEDIN", tool: "linkedin_profile", scope: "profile.read" },
  { template: "github", prefix: "GITHUB", tool: "github_list_repositories", scope: "github.read" },
];

test("every template `chuk-mcp init` offers is under test here", () => {
  expect([...templateNames].sort()).toEqual(["basic", "oauth", ...PROVIDERS.map((p) => p.template)].sort());
});

// The oauth template goes first: its node_modules (server + oauth) seed the others.
describe("oauth template", () => {
  let project: Scaffold;
  let server: StartedProject | undefined;
  beforeAll(async () => {
    project = await scaffold("oauth");
  }, CYCLE_TIMEOUT);
  afterAll(() => server?.close());

  test("the CLI wrote the project, packed the local packages into vendor/ and installed", async () => {
    expect(project.init.stdout).toContain("Packing @chuk-mcp/server, @chuk-mcp/oauth from");
    expect(project.init.stdout).toMatch(/vendor\/: chuk-mcp-server-[\d.]+\.tgz, chuk-mcp-oauth-[\d.]+\.tgz/);
    expect(project.init.stdout).toContain("Installed dependencies: added");
    const manifest = JSON.parse(await readFile(join(project.dir, "package.json"), "utf8"));
    expect(manifest.dependencies).toMatchObject({
      "@chuk-mcp/server": expect.stringMatching(/^file:vendor\/chuk-mcp-server-[\d.]+\.tgz$/),
      "@chuk-mcp/oauth": expect.stringMatching(/^file:vendor\/chuk-mcp-oauth-[\d.]+\.tgz$/),
    });
    expect(Object.keys(manifest.scripts)).toEqual(expect.arrayContaining(["dev", "build", "start", "test"]));
    for (const file of [
      ".env.example",
      ".gitignore",
      "Dockerfile",
      "README.md",
      "tsconfig.json",
      "test/server.test.ts",
    ]) {
      await expect(readFile(join(project.dir, file), "utf8")).resolves.toBeTruthy();
    }
  });

  test("builds and passes its own test", { timeout: CYCLE_TIMEOUT }, () => buildAndTest("oauth", project.dir));

  test("npm start: public tool answers; protected tools answer 401 with the challenge until the client logs in", {
    timeout: CYCLE_TIMEOUT,
  }, async () => {
    server = await timed("oauth: npm start", () => startProject("npm", ["start"], project.dir));
    const s = server;

    // Without a login: echo works, save_note is refused with the challenge that starts the login.
    const recorder = challengeRecorder();
    const anonymous = await connectHttp(s.mcpUrl, { fetch: recorder.fetch });
    const echo = await anonymous.client.callTool({ name: "echo", arguments: { text: "hi" } });
    expect(echo.content).toEqual([{ type: "text", text: "hi" }]);
    const refused = await anonymous.client
      .callTool({ name: "save_note", arguments: { text: "x" } })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(StreamableHTTPError);
    expect((refused as StreamableHTTPError).code).toBe(401);
    expect(recorder.seen.challenge).toMatch(/^Bearer /);
    expect(recorder.seen.challenge).toContain(
      `resource_metadata="${s.origin}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(recorder.seen.challenge).toContain('scope="notes.write"');
    await anonymous.client.close();

    // chuk-mcp inspect says what the 401 means.
    const inspected = await runCli(["inspect", s.mcpUrl, "--call", "whoami", "--no-list"], { cwd: project.dir });
    expect(inspected.code).toBe(1);
    expect(inspected.stderr).toContain("needs a login (HTTP 401)");
    expect(inspected.stderr).toContain("resource_metadata=");

    // Log in as a user would (consent page, then the development login), with the SDK's own OAuth support.
    const { oauth, transport } = headlessOAuthClient(Sdk1OAuthClient, StreamableHTTPClientTransport, {
      mcpUrl: s.mcpUrl,
      redirectUrl: "http://127.0.0.1:47614/callback",
      clientName: "chuk-mcp CLI e2e",
      username: "ada",
    });
    const client = new Client({ name: "chuk-cli-e2e", version: "1.0.0" });
    await client.connect(transport);
    try {
      await expect(client.callTool({ name: "whoami", arguments: {} })).rejects.toBeInstanceOf(UnauthorizedError);
      await transport.finishAuth(oauth.code());
      const who = await client.callTool({ name: "whoami", arguments: {} });
      expect(who.isError, JSON.stringify(who.content)).toBeFalsy();
      expect(who.structuredContent).toMatchObject({ user: "dev:ada", scopes: expect.arrayContaining(["notes.write"]) });
      const saved = await client.callTool({ name: "save_note", arguments: { text: "first note" } });
      expect(saved.content).toEqual([{ type: "text", text: "saved note 1 for dev:ada" }]);
      const listed = await client.callTool({ name: "list_notes", arguments: {} });
      expect(listed.structuredContent).toEqual({ notes: ["first note"] });
    } finally {
      await client.close();
    }
  });
});

describe("basic template", () => {
  let project: Scaffold;
  beforeAll(async () => {
    project = await scaffold("basic");
  }, CYCLE_TIMEOUT);

  test("builds and passes its own test", { timeout: CYCLE_TIMEOUT }, () => buildAndTest("basic", project.dir));

  test("npm start serves HTTP; an SDK client calls a tool", { timeout: CYCLE_TIMEOUT }, async () => {
    const server = await timed("basic: npm start", () => startProject("npm", ["start"], project.dir));
    try {
      const { client } = await connectHttp(server.mcpUrl);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(["add", "hello"]);
      const result = await client.callTool({ name: "add", arguments: { a: 20, b: 22 } });
      expect(result.structuredContent).toEqual({ sum: 42 });
      await client.close();
    } finally {
      await server.close();
    }
  });

  test("chuk-mcp run --stdio serves src/server.ts (through tsx) to an SDK client", { timeout: 60_000 }, async () => {
    const client = new Client({ name: "chuk-cli-e2e", version: "1.0.0" });
    const env = cleanEnv() as Record<string, string>;
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, "run", "--stdio"],
        cwd: project.dir,
        env,
        stderr: "ignore",
      }),
    );
    try {
      const result = await client.callTool({ name: "hello", arguments: { name: "STDIO" } });
      expect(result.content).toEqual([{ type: "text", text: "Hello, STDIO!" }]);
    } finally {
      await client.close();
    }
  });
});

describe.each(PROVIDERS)("$template template", ({ template, prefix, tool, scope }) => {
  let project: Scaffold;
  beforeAll(async () => {
    project = await scaffold(template);
  }, CYCLE_TIMEOUT);

  test("builds and passes its own test", { timeout: CYCLE_TIMEOUT }, () => buildAndTest(template, project.dir));

  test("npm start without the app's credentials stops at once, naming them", { timeout: 60_000 }, async () => {
    const ran = await runCommand("npm", ["start"], { cwd: project.dir, timeoutMs: 30_000 });
    expect(ran.code).not.toBe(0);
    expect(ran.stdout + ran.stderr).toContain(`${prefix}_CLIENT_ID`);
    expect(ran.stdout + ran.stderr).toContain(`${prefix}_CLIENT_SECRET`);
  });

  test("npm start: the public tool answers; a protected tool answers 401 with the challenge", {
    timeout: CYCLE_TIMEOUT,
  }, async () => {
    const server = await timed(`${template}: npm start`, () =>
      startProject("npm", ["start"], project.dir, {
        [`${prefix}_CLIENT_ID`]: "e2e-client-id",
        [`${prefix}_CLIENT_SECRET`]: "e2e-client-secret",
      }),
    );
    try {
      const recorder = challengeRecorder();
      const { client } = await connectHttp(server.mcpUrl, { fetch: recorder.fetch });
      const echo = await client.callTool({ name: "echo", arguments: { text: "hi" } });
      expect(echo.content).toEqual([{ type: "text", text: "hi" }]);
      const refused = await client.callTool({ name: tool, arguments: {} }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(StreamableHTTPError);
      expect((refused as StreamableHTTPError).code).toBe(401);
      expect(recorder.seen.challenge).toMatch(/^Bearer /);
      expect(recorder.seen.challenge).toContain(
        `resource_metadata="${server.origin}/.well-known/oauth-protected-resource/mcp"`,
      );
      expect(recorder.seen.challenge).toContain(`scope="${scope}"`);
      await client.close();
      // The login would start at our authorization server, which names the provider's callback.
      const metadata = await (await fetch(`${server.origin}/.well-known/oauth-authorization-server`)).json();
      expect(metadata).toMatchObject({ issuer: server.origin });
    } finally {
      await server.close();
    }
  });
});
