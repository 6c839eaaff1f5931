/**
 * Runs the built `chuk-mcp` CLI (apps/cli/dist/cli.js) and the commands of a
 * scaffolded project (npm install / run build / test / start) in child
 * processes, with an environment cleaned of what this test run sets (vitest's
 * and npm's variables, the server settings), so each behaves as it would in
 * a fresh terminal.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../helpers/everything.js";
import { freePort } from "../helpers/free-port.js";

/** A TCP port that was free on 127.0.0.1 a moment ago (the OAuth templates' issuer names their port). */
export { freePort };

export const CLI = join(ROOT, "apps/cli/dist/cli.js");

/** What a terminal would have: no VITEST*, npm_*, MCP_*, OAUTH_*, PORT, HOST, LOG_LEVEL, colour forcing. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^(VITEST|npm_|MCP_|OAUTH_|SESSION_|TEST$|NODE_ENV$|PORT$|HOST$|LOG_LEVEL$|FORCE_COLOR$|NODE_OPTIONS$)/i.test(key)
    ) {
      continue;
    }
    env[key] = value;
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Seconds it took. */
  seconds: number;
}

/** Runs a command to its end. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`${command} ${args.join(" ")} did not finish in ${options.timeoutMs} ms:\n${stdout}\n${stderr}`),
      );
    }, options.timeoutMs ?? 180_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** `chuk-mcp …` */
export const runCli = (
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
) => runCommand(process.execPath, [CLI, ...args], options);

/** `npm …`, failing with its output unless it exits 0. */
export async function npm(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  const ran = await runCommand("npm", args, { cwd, env });
  if (ran.code !== 0)
    throw new Error(`npm ${args.join(" ")} in ${cwd} exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`);
  return ran;
}

export interface StartedProject {
  origin: string;
  mcpUrl: string;
  port: number;
  child: ChildProcess;
  output(): string;
  close(): Promise<void>;
}

/**
 * Starts a long-running command (`npm start`) in its own process group on a
 * free PORT and waits until `GET /health` answers.
 */
export async function startProject(
  command: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<StartedProject> {
  const port = await freePort();
  const child = spawn(command, args, {
    cwd,
    env: cleanEnv({ PORT: String(port), ...env }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    output += c;
  });
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    output += c;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const origin = `http://localhost:${port}`;
  const stop = () => {
    // The whole group: npm and the node it started.
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} ${args.join(" ")} exited ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${origin}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      stop();
      throw new Error(`${command} ${args.join(" ")} did not answer ${origin}/health in 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    origin,
    mcpUrl: `${origin}/mcp`,
    port,
    child,
    output: () => output,
    async close() {
      stop();
      await exited;
    },
  };
}
