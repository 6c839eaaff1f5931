/**
 * Starts src/server.ts the way a client would find it: a child process (run
 * from the TypeScript source with tsx, so the tests need no build), over HTTP
 * on a free port or over STDIO. It runs in test/, so that a .env file of the
 * project (real credentials, a production URL) does not reach the tests.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** Where the server runs: this folder. */
export const SERVER_CWD = fileURLToPath(new URL(".", import.meta.url));
/** The command that starts the server. */
export const SERVER_COMMAND = process.execPath;
export const SERVER_ARGS = ["--import", "tsx", "../src/server.ts"];

export interface StartedServer {
  /** `http://localhost:<port>` */
  origin: string;
  /** `http://localhost:<port>/mcp` */
  mcpUrl: string;
  /** What the server logged so far. */
  stderr(): string;
  close(): Promise<void>;
}

/** This process's environment without what would change how the server starts, plus `extra`. */
export function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(MCP_|OAUTH_|PORT$|HOST$|LOG_LEVEL$)/.test(key)) env[key] = value;
  }
  return { ...env, LOG_LEVEL: "warn", ...extra };
}

/** Starts the server over HTTP on a free port and waits until it answers. */
export async function startHttpServer(extraEnv: Record<string, string> = {}): Promise<StartedServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(SERVER_COMMAND, SERVER_ARGS, {
    cwd: SERVER_CWD,
    env: serverEnv({ PORT: String(port), ...extraEnv }),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const origin = `http://localhost:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}:\n${stderr}`);
    try {
      if ((await fetch(`${origin}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server did not answer ${origin}/health within 20 s:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    origin,
    mcpUrl: `${origin}/mcp`,
    stderr: () => stderr,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
