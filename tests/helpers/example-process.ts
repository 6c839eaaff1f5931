/**
 * Starts a built example as users run it (`node examples/<name>/dist/main.js`)
 * in a child process on a port named by `PORT`, with the environment a user
 * sets on top of a scrubbed copy of this one. Its stderr (pino JSON lines) is
 * kept for assertions and for the message of a failed start.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { freePort } from "./free-port.js";

export interface ExampleProcess {
  /** `http://<host>:<port>`: the issuer. */
  origin: string;
  /** `http://<host>:<port>/mcp`: the MCP endpoint and the tokens' audience. */
  mcpUrl: string;
  port: number;
  child: ChildProcess;
  /** Everything the example wrote to stderr so far. */
  stderr(): string;
  /** The log records (parsed JSON lines) written so far. */
  logs(): Record<string, unknown>[];
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** SIGTERM, then waits for the process to exit. */
  close(): Promise<void>;
}

export interface ExampleOptions {
  /** The built entry point, e.g. `examples/github/dist/main.js` under the root. */
  main: string;
  /** Set on top of the scrubbed environment (after `PORT` and `LOG_LEVEL: "info"`). */
  env?: Record<string, string>;
  /** The port (`PORT`); a free one unless given. */
  port?: number;
  /** The host of `origin` and `mcpUrl`; `127.0.0.1` unless given. */
  host?: string;
  /** Prefixes of further variables of this machine to leave out (e.g. `GITHUB_`). */
  scrub?: string[];
}

export interface StartOptions extends ExampleOptions {
  /** What the example names itself in the message of a failed start. */
  name: string;
  /** A piece of stderr that says the example serves; `serving MCP at` unless given. */
  ready?: string;
  timeoutMs?: number;
}

/** Variables of this machine that would change an example's behaviour; the test sets what it needs. */
const SCRUBBED = /^(OAUTH_|SESSION_|MCP_|PORT$|HOST$|LOG_LEVEL$|TRUST_PROXY$|ALLOWED_HOSTS$)/;

/** Runs the built example (without waiting for it to serve). */
export async function spawnExample(options: ExampleOptions): Promise<ExampleProcess> {
  const port = options.port ?? (await freePort());
  const scrub = options.scrub ?? [];
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!SCRUBBED.test(name) && !scrub.some((prefix) => name.startsWith(prefix))) childEnv[name] = value;
  }
  Object.assign(childEnv, { PORT: String(port), LOG_LEVEL: "info" }, options.env);
  const child = spawn(process.execPath, [options.main], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const origin = `http://${options.host ?? "127.0.0.1"}:${port}`;
  return {
    origin,
    mcpUrl: `${origin}/mcp`,
    port,
    child,
    stderr: () => stderr,
    logs: () =>
      stderr
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * `spawnExample`, once its stderr says it serves; killed if it exits first or
 * takes longer than `timeoutMs`. On a free port of its own (no `port`
 * given), a start that lost its port to another process (EADDRINUSE: the port
 * is found by binding 0 and releasing it) is tried again on another.
 */
export async function startExample(options: StartOptions): Promise<ExampleProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startExampleOnce(options);
    } catch (err) {
      if (options.port !== undefined || attempt >= 3 || !/EADDRINUSE/.test(String(err))) throw err;
    }
  }
}

async function startExampleOnce(options: StartOptions): Promise<ExampleProcess> {
  const { name, ready = "serving MCP at", timeoutMs = 20_000 } = options;
  const example = await spawnExample(options);
  const { child } = example;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${example.stderr()}`)),
        timeoutMs,
      );
      const check = () => {
        if (example.stderr().includes(ready)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stderr?.on("data", check);
      check();
      void example.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (code ${code}) before it was ready:\n${example.stderr()}`));
      });
    });
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return example;
}
