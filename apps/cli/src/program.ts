/** The `chuk-mcp` command line: init, run, inspect (commander). */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { CliError } from "./errors.js";
import { init } from "./init/init.js";
import { DEFAULT_TEMPLATE, TEMPLATES } from "./init/templates.js";
import { inspect } from "./inspect/inspect.js";
import { createOutput, type Output } from "./output.js";
import { runServerFile } from "./run.js";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

export interface ProgramIo {
  out?: Output;
  /** Where `run` writes its own lines (stderr: stdout may carry the protocol). */
  log?: (line: string) => void;
  /** Receives the exit code of `run` and `inspect`. */
  setExitCode?: (code: number) => void;
}

export function createProgram(io: ProgramIo = {}): Command {
  const out = io.out ?? createOutput();
  const log = io.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const setExitCode = io.setExitCode ?? ((code: number) => (process.exitCode = code));

  const program = new Command("chuk-mcp")
    .description("Create, run and inspect MCP servers built with chuk-mcp.")
    .version(version, "-v, --version")
    .enablePositionalOptions()
    .showHelpAfterError("(run with --help for usage)");

  const templateList = TEMPLATES.map((t) => `  ${t.name.padEnd(13)} ${t.summary}`).join("\n");
  program
    .command("init")
    .description("Create a new MCP server project: source, test, README, Dockerfile; installs its dependencies.")
    .argument("<name>", "the project's npm package name (also its folder, without the scope)")
    .option(
      "-t, --template <template>",
      `what to start from (${TEMPLATES.map((t) => t.name).join(", ")})`,
      DEFAULT_TEMPLATE,
    )
    .option("-d, --dir <path>", "where to create it (default: ./<name>); must be empty or absent")
    .option("--no-install", "do not run npm install")
    .option("--registry-versions", "depend on the chuk-mcp packages of the npm registry (^0.1.0), not this checkout's")
    .addOption(
      new Option(
        "--packages <dir>",
        "take the chuk-mcp tarballs from <dir> (npm pack output) instead of packing this checkout",
      ).conflicts("registryVersions"),
    )
    .addHelpText("after", `\nTemplates:\n${templateList}\n\nExample:\n  chuk-mcp init my-server --template oauth`)
    .action(
      async (
        name: string,
        options: { template: string; dir?: string; install: boolean; registryVersions?: boolean; packages?: string },
      ) => {
        await init(name, options, out);
      },
    );

  program
    .command("run")
    .description("Start a server file (TypeScript runs as is) over HTTP or STDIO.")
    .argument("[entry]", "the server file (default: src/server.ts, …, dist/server.js)")
    .argument("[args...]", "arguments for the server (after --)")
    .addOption(new Option("--stdio", "serve over STDIO (MCP_TRANSPORT=stdio)").conflicts("http"))
    .addOption(new Option("--http", "serve over Streamable HTTP (MCP_TRANSPORT=http), the default").conflicts("stdio"))
    .option("-p, --port <port>", "HTTP port (PORT; default 8000)")
    .option("--host <host>", "HTTP host to bind (HOST; default 127.0.0.1)")
    .addHelpText(
      "after",
      "\nExamples:\n  chuk-mcp run                      # src/server.ts over HTTP on 127.0.0.1:8000\n  chuk-mcp run --stdio              # for a client that starts it: Claude Desktop, VS Code\n  chuk-mcp run dist/server.js --port 3000",
    )
    .action(
      async (
        entry: string | undefined,
        args: string[],
        options: { stdio?: boolean; http?: boolean; port?: string; host?: string },
      ) => {
        setExitCode(await runServerFile(entry, args, options, log));
      },
    );

  program
    .command("inspect")
    .description("Connect to an MCP server, list its tools, resources and prompts, and call one.")
    .argument("<target...>", "a URL (Streamable HTTP) or a command that starts a server over STDIO")
    .option("-c, --call <tool>", "call this tool")
    .option("-r, --read <uri>", "read this resource")
    .option("-P, --prompt <name>", "get this prompt")
    .option("-a, --args <json>", "arguments of the tool or prompt, a JSON object")
    .option("-H, --header <header...>", 'HTTP header(s), "Name: value" (e.g. "Authorization: Bearer …")')
    .option("--no-list", "skip the lists; only call, read or get")
    .option("--json", "print one JSON document (server, lists, results)")
    .option("--timeout <ms>", "how long to wait for each answer", "30000")
    // `chuk-mcp inspect node server.js --verbose`: options it does not know belong to the command.
    .allowUnknownOption()
    .addHelpText(
      "after",
      `\nA command is run with MCP_TRANSPORT=stdio (chuk-mcp servers read it). Options of the command that\nchuk-mcp inspect also has go after --.\n\nExamples:\n  chuk-mcp inspect http://127.0.0.1:8000/mcp\n  chuk-mcp inspect --call hello --args '{"name":"Ada"}' http://127.0.0.1:8000/mcp\n  chuk-mcp inspect node dist/server.js\n  chuk-mcp inspect --call hello -- node dist/server.js --some-flag\n  chuk-mcp inspect "npx tsx src/server.ts"`,
    )
    .action(async (target: string[], options) => {
      setExitCode(await inspect(target, options, out));
    });

  return program;
}

/** Runs the CLI; prints friendly errors (no stack) and sets the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const out = createOutput();
  const program = createProgram({ out });
  program.exitOverride();
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the message (or the help / version) already.
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof CliError) {
      out.error(`${out.red("error:")} ${err.message}`);
      if (err.hint) out.error(err.hint);
      process.exitCode = err.exitCode;
      return;
    }
    out.error(`${out.red("error:")} ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  }
}
