/**
 * `chuk-mcp init`, `run` and the CLI's help: what it refuses (a non-empty
 * folder, a bad name, an unknown template, conflicting flags) with a message
 * that says what to do, and what it writes when asked for registry versions
 * (no install, no packing: fast).
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkProjectName, splitCommandLine, TEMPLATES } from "@chuk-mcp/cli";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCli } from "./cli-harness.js";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "chuk-cli-init-"));
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe("chuk-mcp init refuses", () => {
  test("a folder that is not empty, and leaves it as it was", async () => {
    const dir = join(work, "taken");
    await mkdir(dir);
    await writeFile(join(dir, "notes.txt"), "mine");
    const ran = await runCli(["init", "taken", "--no-install", "--registry-versions"], { cwd: work });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`${dir} is not empty (notes.txt)`);
    expect(ran.stderr).toContain("init never overwrites files");
    expect(await readdir(dir)).toEqual(["notes.txt"]);
    expect(await readFile(join(dir, "notes.txt"), "utf8")).toBe("mine");
  });

  test("--dir naming a folder that is not empty", async () => {
    const dir = join(work, "elsewhere");
    await mkdir(dir);
    await writeFile(join(dir, "package.json"), "{}");
    const ran = await runCli(["init", "ok-name", "--dir", dir, "--no-install", "--registry-versions"], { cwd: work });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain("is not empty (package.json)");
    expect(existsSync(join(work, "ok-name"))).toBe(false);
  });

  test.each([
    { name: "My Server", problem: "capital letters" },
    { name: "my server", problem: "spaces" },
    { name: ".hidden", problem: "starts with a period" },
    { name: "_private", problem: "starts with an underscore" },
    { name: "http", problem: "Node.js core module" },
    { name: "node_modules", problem: "reserved" },
    { name: "wow!", problem: "~'!()*" },
    { name: "@scope", problem: '"@scope/name"' },
    { name: "a".repeat(215), problem: "214 characters" },
  ])("a name: $problem", async ({ name, problem }) => {
    const ran = await runCli(["init", name, "--no-install", "--registry-versions"], { cwd: work });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain("is not a valid project name");
    expect(ran.stderr).toContain(problem);
    expect(ran.stderr).toContain("use an npm package name");
    expect(ran.stdout).toBe("");
  });

  test("an unknown template, listing the ones there are", async () => {
    const ran = await runCli(["init", "fine-name", "--template", "django", "--no-install"], { cwd: work });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain('unknown template "django"');
    for (const t of TEMPLATES) expect(ran.stderr).toContain(t.name);
    expect(existsSync(join(work, "fine-name"))).toBe(false);
  });

  test("a --packages folder without the tarballs it needs", async () => {
    const empty = join(work, "no-tarballs");
    await mkdir(empty);
    const ran = await runCli(["init", "pkg-test", "--packages", empty, "--no-install"], { cwd: work });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`no tarball of @chuk-mcp/server in ${empty}`);
    expect(existsSync(join(work, "pkg-test"))).toBe(false);
  });

  test("--packages together with --registry-versions", async () => {
    const ran = await runCli(["init", "x-y", "--packages", work, "--registry-versions"], { cwd: work });
    expect(ran.code).not.toBe(0);
    expect(ran.stderr).toMatch(/cannot be used with/);
  });
});

test("init --registry-versions --no-install: registry ranges, no vendor/, the next steps", async () => {
  const ran = await runCli(["init", "@acme/weather", "--template", "oauth", "--registry-versions", "--no-install"], {
    cwd: work,
  });
  expect(ran.code, ran.stderr).toBe(0);
  const dir = join(work, "weather");
  const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
  expect(manifest).toMatchObject({
    name: "@acme/weather",
    type: "module",
    engines: { node: ">=20.11" },
    dependencies: { "@chuk-mcp/server": "^0.1.0", "@chuk-mcp/oauth": "^0.1.0" },
  });
  expect(Object.keys(manifest.scripts).sort()).toEqual(["build", "dev", "start", "test", "typecheck"]);
  expect(existsSync(join(dir, "vendor"))).toBe(false);
  expect(existsSync(join(dir, "node_modules"))).toBe(false);
  const dockerfile = await readFile(join(dir, "Dockerfile"), "utf8");
  expect(dockerfile).not.toContain("vendor");
  const files = (await readdir(dir, { recursive: true })).map(String).sort();
  expect(files).toEqual(
    expect.arrayContaining([
      ".dockerignore",
      ".env.example",
      ".gitignore",
      "Dockerfile",
      "README.md",
      "package.json",
      "src/server.ts",
      "test/server.test.ts",
      "tsconfig.json",
    ]),
  );
  // Every placeholder was filled in.
  for (const file of files.filter((f) => /\.(ts|md|json|example)$|Dockerfile/.test(f))) {
    expect(await readFile(join(dir, file), "utf8"), file).not.toMatch(/\{\{\w+\}\}/);
  }
  expect(await readFile(join(dir, "src/server.ts"), "utf8")).toContain('new ChukMCPServer("@acme/weather"');
  expect(ran.stdout).toContain("npm install");
  expect(ran.stdout).toContain("npm run dev");
  expect(ran.stdout).toContain("http://localhost:8000/mcp");
});

test("init --dir into a nested folder creates it and prints the cd to it", async () => {
  const ran = await runCli(
    ["init", "nested-one", "--dir", "deep/er/nested-one", "--registry-versions", "--no-install"],
    {
      cwd: work,
    },
  );
  expect(ran.code, ran.stderr).toBe(0);
  expect(ran.stdout).toContain("cd deep/er/nested-one");
  expect(existsSync(join(work, "deep/er/nested-one/src/server.ts"))).toBe(true);
});

test("--help lists the commands; init --help lists the templates", async () => {
  const help = await runCli(["--help"], { cwd: work });
  expect(help.code).toBe(0);
  for (const command of ["init", "run", "inspect"]) expect(help.stdout).toContain(command);
  const initHelp = await runCli(["init", "--help"], { cwd: work });
  for (const t of TEMPLATES) expect(initHelp.stdout).toContain(`${t.name} `);
  expect(initHelp.stdout).toContain("--registry-versions");
  expect((await runCli(["--version"], { cwd: work })).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
});

describe("chuk-mcp run refuses", () => {
  test("a folder with no server file", async () => {
    const empty = join(work, "nothing-here");
    await mkdir(empty);
    const ran = await runCli(["run"], { cwd: empty });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`no server file to run in ${empty}`);
    expect(ran.stderr).toContain("src/server.ts");
  });

  test("a file that does not exist", async () => {
    const ran = await runCli(["run", "missing.ts"], { cwd: work });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`no such file: ${join(work, "missing.ts")}`);
  });

  test("--stdio with --http, and a port that is not one", async () => {
    const both = await runCli(["run", "--stdio", "--http"], { cwd: work });
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/cannot be used with/);
    const port = await runCli(["run", "--port", "eighty"], { cwd: work });
    expect(port.code).toBe(1);
    expect(port.stderr).toContain('--port: "eighty" is not a port number');
  });
});

test("chuk-mcp run starts a JavaScript file with the transport and port it was given", async () => {
  const dir = join(work, "run-js");
  await mkdir(dir);
  await writeFile(
    join(dir, "server.js"),
    "console.log(JSON.stringify({ transport: process.env.MCP_TRANSPORT, port: process.env.PORT, args: process.argv.slice(2) }));\n",
  );
  const ran = await runCli(["run", "server.js", "--stdio", "--port", "4321", "--", "--flag"], { cwd: dir });
  expect(ran.code, ran.stderr).toBe(0);
  expect(JSON.parse(ran.stdout)).toEqual({ transport: "stdio", port: "4321", args: ["--flag"] });
  // Over STDIO stdout is the protocol's: run's own line goes to stderr.
  expect(ran.stderr).toContain("chuk-mcp run: server.js over STDIO");
});

test("chuk-mcp run passes the server's exit code on", async () => {
  const dir = join(work, "run-exit");
  await mkdir(dir);
  await writeFile(join(dir, "index.ts"), "const code: number = 3;\nprocess.exit(code);\n");
  const ran = await runCli(["run"], { cwd: dir });
  expect(ran.code).toBe(3);
});

test("project names: npm's rules, the folder is the part after the scope", () => {
  expect(checkProjectName("my-server")).toEqual({ ok: true, dirName: "my-server" });
  expect(checkProjectName("@acme/my.server_2")).toEqual({ ok: true, dirName: "my.server_2" });
  expect(checkProjectName("")).toEqual({ ok: false, problems: ["it is empty"] });
});

test("a command given as one string is split like a shell would", () => {
  expect(splitCommandLine(`node "dist/my server.js" --name 'a b' c\\ d`)).toEqual([
    "node",
    "dist/my server.js",
    "--name",
    "a b",
    "c d",
  ]);
  expect(() => splitCommandLine('node "open')).toThrow(/unclosed/);
});
