/**
 * `chuk-mcp inspect` against examples/everything (built), over Streamable
 * HTTP and over STDIO: the lists, a tool call with JSON arguments, a resource
 * read, a prompt, the JSON report, and the errors a person meets (nothing
 * listening, a command that exits, an unknown tool, bad arguments).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EVERYTHING_MAIN, ROOT, type StartedServer, startEverything } from "../helpers/everything.js";
import { freePort, runCli } from "./cli-harness.js";

let http: StartedServer;
beforeAll(async () => {
  http = await startEverything();
});
afterAll(() => http?.close());

describe.each(["HTTP", "STDIO"])("over %s", (transport) => {
  /** The same server, reached over HTTP (in this process) or over STDIO (a child process). */
  const target = () => (transport === "HTTP" ? [http.url] : ["node", EVERYTHING_MAIN]);

  test("lists tools (with their parameters), resources, templates and prompts, and calls a tool", async () => {
    const ran = await runCli(["inspect", ...target(), "--call", "echo", "--args", '{"text":"hello from inspect"}'], {
      cwd: ROOT,
    });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain(transport === "HTTP" ? `over Streamable HTTP at ${http.url}` : "over STDIO: node ");
    expect(ran.stdout).toMatch(/Tools \(\d+\)/);
    expect(ran.stdout).toContain("echo(text: string)");
    expect(ran.stdout).toContain("Returns the text it is given.");
    expect(ran.stdout).toMatch(/Resources \(\d+\)/);
    expect(ran.stdout).toContain("test://static-text");
    expect(ran.stdout).toMatch(/Resource templates \(\d+\)/);
    expect(ran.stdout).toMatch(/Prompts \(\d+\)/);
    expect(ran.stdout).toContain("test_prompt_with_arguments(arg1, arg2)");
    expect(ran.stdout).toContain('Call echo {"text":"hello from inspect"}');
    expect(ran.stdout.trimEnd().endsWith("hello from inspect")).toBe(true);
  });

  test("--json: one document with the server, the lists and the result", async () => {
    const ran = await runCli(["inspect", "--json", "--call", "test_simple_text", ...target()], { cwd: ROOT });
    expect(ran.code, ran.stderr).toBe(0);
    const report = JSON.parse(ran.stdout);
    expect(report.server).toMatchObject({ name: expect.any(String), version: expect.any(String) });
    const tools = (report.tools as { name: string }[]).map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(["echo", "test_simple_text", "test_error_handling"]));
    expect((report.resources as { uri: string }[]).map((r) => r.uri)).toContain("test://static-text");
    expect((report.prompts as { name: string }[]).map((p) => p.name)).toContain("test_simple_prompt");
    expect(report.call.content).toEqual([{ type: "text", text: "This is a simple text response for testing." }]);
  });

  test("--read and --prompt, without the lists", async () => {
    const ran = await runCli(
      [
        "inspect",
        "--no-list",
        "--read",
        "test://static-text",
        "--prompt",
        "test_prompt_with_arguments",
        "--args",
        '{"arg1":"one","arg2":"two"}',
        ...target(),
      ],
      { cwd: ROOT },
    );
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).not.toContain("Tools (");
    expect(ran.stdout).toContain("Read test://static-text");
    expect(ran.stdout).toContain("This is the content of the static text resource.");
    expect(ran.stdout).toContain("Prompt test_prompt_with_arguments");
    expect(ran.stdout).toMatch(/user: .*one.*two/);
  });

  test("a tool that answers with an error: shown, exit code 1", async () => {
    const ran = await runCli(["inspect", "--no-list", "--call", "test_error_handling", ...target()], { cwd: ROOT });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain("the tool answered with an error");
  });

  test("an unknown tool: the server's error and the tools there are", async () => {
    const ran = await runCli(["inspect", "--call", "no_such_tool", ...target()], { cwd: ROOT });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain("tools/call no_such_tool");
    expect(ran.stderr).toMatch(/its tools: .*echo/);
  });
});

test("a command given as one string, its own options after --", async () => {
  const one = await runCli(
    ["inspect", "--no-list", "--call", "echo", "--args", '{"text":"x"}', `node ${EVERYTHING_MAIN}`],
    {
      cwd: ROOT,
    },
  );
  expect(one.code, one.stderr).toBe(0);
  const dashed = await runCli(
    ["inspect", "--no-list", "--call", "echo", "--args", '{"text":"y"}', "--", "node", EVERYTHING_MAIN],
    {
      cwd: ROOT,
    },
  );
  expect(dashed.code, dashed.stderr).toBe(0);
  expect(dashed.stdout.trimEnd().endsWith("y")).toBe(true);
});

test("nothing listening at the URL: says so and how to start a server", async () => {
  const url = `http://127.0.0.1:${await freePort()}/mcp`;
  const ran = await runCli(["inspect", url], { cwd: ROOT });
  expect(ran.code).toBe(1);
  expect(ran.stderr).toContain(`cannot reach ${url}`);
  expect(ran.stderr).toContain("is the server running?");
});

test("a command that exits at once: says so, with what it printed", async () => {
  const ran = await runCli(["inspect", "--", "node", "-e", "console.error('no config found'); process.exit(2)"], {
    cwd: ROOT,
  });
  expect(ran.code).toBe(1);
  expect(ran.stderr).toContain("the server closed the connection");
  expect(ran.stderr).toContain("no config found");
});

test("a command that does not exist", async () => {
  const ran = await runCli(["inspect", "no-such-command-chuk"], { cwd: ROOT });
  expect(ran.code).toBe(1);
  expect(ran.stderr).toContain("no-such-command-chuk: command not found");
});

test("bad --args: not JSON, or not an object", async () => {
  const notJson = await runCli(["inspect", "--call", "echo", "--args", "{text: hi}", http.url], { cwd: ROOT });
  expect(notJson.code).toBe(1);
  expect(notJson.stderr).toContain("--args: not JSON");
  const array = await runCli(["inspect", "--call", "echo", "--args", "[1]", http.url], { cwd: ROOT });
  expect(array.stderr).toContain("--args: must be a JSON object");
});
