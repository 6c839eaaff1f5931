/**
 * `chuk-mcp run [entry]`: starts a server file with Node, TypeScript
 * included (through tsx, no build needed), choosing the transport and port
 * through the variables every chuk-mcp server reads (`MCP_TRANSPORT`, `PORT`,
 * `HOST`). The server's own output passes straight through: over STDIO,
 * stdout stays the protocol's, so this command prints nothing there.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { extname, relative, resolve } from "node:path";
import { CliError } from "./errors.js";

/** Where `run` looks when no entry is given, in order: the source first (no build needed), then the build. */
export const ENTRY_CANDIDATES = [
  "src/server.ts",
  "src/main.ts",
  "src/index.ts",
  "server.ts",
  "main.ts",
  "index.ts",
  "dist/server.js",
  "dist/main.js",
  "dist/index.js",
  "server.js",
  "main.js",
  "index.js",
] as const;

const TYPESCRIPT = new Set([".ts", ".mts", ".cts", ".tsx"]);

export interface RunCommandOptions {
  stdio?: boolean;
  http?: boolean;
  port?: string;
  host?: string;
  cwd?: string;
}

export function findEntry(entry: string | undefined, cwd: string): string {
  if (entry !== undefined) {
    const path = resolve(cwd, entry);
    if (!existsSync(path)) throw new CliError(`no such file: ${path}`);
    return path;
  }
  for (const candidate of ENTRY_CANDIDATES) {
    const path = resolve(cwd, candidate);
    if (existsSync(path)) return path;
  }
  throw new CliError(
    `no server file to run in ${cwd}`,
    `name one (chuk-mcp run path/to/server.ts), or create one of: ${ENTRY_CANDIDATES.slice(0, 3).join(", ")}`,
  );
}

/** The child's environment: this one, with the transport, port and host asked for. */
export function runEnv(options: RunCommandOptions, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (options.stdio && options.http) throw new CliError("choose --stdio or --http, not both");
  const out: NodeJS.ProcessEnv = { ...env };
  if (options.stdio) out.MCP_TRANSPORT = "stdio";
  if (options.http) out.MCP_TRANSPORT = "http";
  if (options.port !== undefined) {
    const port = Number(options.port);
    if (!/^\d+$/.test(options.port) || port > 65535)
      throw new CliError(`--port: "${options.port}" is not a port number`);
    out.PORT = String(port);
  }
  if (options.host !== undefined) out.HOST = options.host;
  return out;
}

/** Runs the server until it exits; resolves with the exit code to use. */
export async function runServerFile(
  entry: string | undefined,
  args: readonly string[],
  options: RunCommandOptions,
  log: (line: string) => void,
): Promise<number> {
  const cwd = options.cwd ?? process.cwd();
  const env = runEnv(options);
  const file = findEntry(entry, cwd);
  const nodeArgs = TYPESCRIPT.has(extname(file)) ? ["--import", import.meta.resolve("tsx")] : [];
  const transport = env.MCP_TRANSPORT === "stdio" ? "STDIO" : "HTTP";
  log(`chuk-mcp run: ${relative(cwd, file) || file} over ${transport}`);

  const child = spawn(process.execPath, [...nodeArgs, file, ...args], { cwd, env, stdio: "inherit" });
  // SIGTERM is sent to this process alone: pass it on. Ctrl+C reaches the whole process group
  // from a terminal (the server gets it already; a second one would mean "stop now").
  const forward = (signal: NodeJS.Signals) => {
    if (signal === "SIGINT" && process.stdin.isTTY) return;
    child.kill(signal);
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise((resolvePromise, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolvePromise(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1));
    });
  });
}
