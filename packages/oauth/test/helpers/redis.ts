/**
 * A real `redis-server` for tests: started on a free port on 127.0.0.1 with
 * persistence off (or on, when asked) and a temporary working directory,
 * ready once it answers PING, and stopped by `stop()`. Outages on demand:
 * `kill()` and `restart()` (a crash and a return on the same port),
 * `pause()` and `resume()` (a hang). Missing `redis-server` is an error,
 * never a skip: the Redis backend must be tested wherever the suite runs.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";

export interface TestRedis {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), as a crash would; its directory stays for `restart()`. */
  kill(): Promise<void>;
  /** Starts the killed server again on the same port and directory (with its data, when persistent). */
  restart(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, as in a hang. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
}

export interface StartRedisOptions {
  /**
   * Keep the data in an append-only file synced on every write, so a killed
   * server restarted by `restart()` has lost nothing (default: no persistence).
   */
  persistent?: boolean;
}

const INSTALL_HINT =
  "redis-server is not installed, and the Redis backend tests need a real one. " +
  "Install it (Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`) " +
  "or run .ci/run, which installs it.";

/** Starts a private redis-server. Throws with install instructions when there is none. */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) throw new Error(INSTALL_HINT);

  // The free port is found by binding port 0 and releasing it: another
  // process can grab it in between, so a server that fails to start is retried.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "chuk-redis-"));
    const server = spawnServer(port, dir, options);
    try {
      await waitForPong(port, server.child);
      return controlOf(server, port, dir, options);
    } catch (err) {
      lastError = new Error(
        `redis-server did not start on port ${port}: ${String(err)}\n${server.output().slice(-2000)}`,
      );
      await stopChild(server.child);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw lastError;
}

interface SpawnedServer {
  child: ChildProcess;
  /** What the server printed so far. */
  output(): string;
}

function spawnServer(port: number, dir: string, options: StartRedisOptions): SpawnedServer {
  const persistence = options.persistent
    ? ["--appendonly", "yes", "--appendfsync", "always"]
    : ["--save", "", "--appendonly", "no"];
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", ...persistence, "--dir", dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

/** The `TestRedis` controlling a started server (and, after `restart()`, its successor). */
function controlOf(first: SpawnedServer, port: number, dir: string, options: StartRedisOptions): TestRedis {
  let server = first;
  let paused = false;
  const resume = () => {
    if (!paused) return;
    paused = false;
    server.child.kill("SIGCONT");
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      // A stopped process would hold SIGTERM until continued.
      resume();
      await stopChild(server.child);
      rmSync(dir, { recursive: true, force: true });
    },
    kill: async () => {
      paused = false;
      await killChild(server.child);
    },
    restart: async () => {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        throw new Error("restart() is for a killed server: this one is still running");
      }
      server = spawnServer(port, dir, options);
      try {
        await waitForPong(port, server.child);
      } catch (err) {
        throw new Error(
          `redis-server did not restart on port ${port}: ${String(err)}\n${server.output().slice(-2000)}`,
        );
      }
    },
    pause: () => {
      paused = true;
      server.child.kill("SIGSTOP");
    },
    resume,
  };
}

/** Sends PING until the answer is +PONG (or the process exits, or 10 s pass). */
async function waitForPong(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("no PONG within 10 s");
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
    socket.once("connect", () => socket.write("PING\r\n"));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}
