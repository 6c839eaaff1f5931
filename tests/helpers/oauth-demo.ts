/**
 * Starts examples/oauth-demo as users run it (`node examples/oauth-demo/dist/main.js`,
 * the built one) in a child process on a free port named by `PORT`, so the
 * issuer, the metadata and the tokens carry the URL a client really uses:
 * `http://localhost:<port>/mcp`. Its stderr (pino JSON lines) is kept for
 * assertions and for the message of a failed start.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { suiteFixture } from "../../packages/oauth/test/helpers/suite-fixture.js";
import { ROOT } from "./everything.js";
import { freePort } from "./free-port.js";

export const OAUTH_DEMO_MAIN = join(ROOT, "examples/oauth-demo/dist/main.js");

export interface RunningDemo {
  /** `http://localhost:<port>`: the issuer. */
  origin: string;
  /** `http://localhost:<port>/mcp`: the MCP endpoint and the tokens' audience. */
  mcpUrl: string;
  port: number;
  child: ChildProcess;
  /** Everything the demo wrote to stderr so far. */
  stderr(): string;
  /** The log records (parsed JSON lines) written so far. */
  logs(): Record<string, unknown>[];
  /** SIGTERM, then waits for the process to exit. */
  close(): Promise<void>;
}

/** Variables of this machine that would change the demo's behaviour; the test sets what it needs. */
const SCRUBBED = /^(OAUTH_|SESSION_|MCP_|PORT$|HOST$|LOG_LEVEL$|TRUST_PROXY$|ALLOWED_HOSTS$)/;

/** Starts the demo with `env` on top of a scrubbed copy of this process's environment (PORT: a free one unless given). */
export async function startOAuthDemo(env: Record<string, string> = {}, timeoutMs = 20_000): Promise<RunningDemo> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!SCRUBBED.test(name)) childEnv[name] = value;
  Object.assign(childEnv, { PORT: String(port), LOG_LEVEL: "info" }, env);
  const child = spawn(process.execPath, [OAUTH_DEMO_MAIN], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the OAuth demo did not start in ${timeoutMs} ms:\n${stderr}`)),
      timeoutMs,
    );
    const check = () => {
      // The last line the demo logs once it listens.
      if (stderr.includes("To try it: npx @modelcontextprotocol/inspector")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the OAuth demo exited (code ${code}) before it was ready:\n${stderr}`));
    });
  });
  try {
    await ready;
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }

  const origin = `http://localhost:${port}`;
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
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The demo for the file (or `describe`), started with `env` in `beforeAll`, closed in `afterAll`. */
export const useOAuthDemo = (env: Record<string, string> = {}): RunningDemo =>
  suiteFixture(
    () => startOAuthDemo(env),
    (demo) => demo.close(),
  );
