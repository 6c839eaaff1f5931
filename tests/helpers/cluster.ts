/**
 * Several instances of the built examples/cluster (child processes, as users
 * run them) behind the round-robin proxy, on one `redis-server`: the set-up
 * of the "several instances, one Redis" tests. Every instance gets
 * the same keys and secrets (made per run) and the proxy's URL as its public
 * URL. Instances can be killed (SIGKILL) and restarted on their port; Redis
 * can be killed and restarted on its port with its data kept (the OAuth
 * package's test Redis, persistent).
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { join } from "node:path";
import { startRedis, type TestRedis } from "../../packages/oauth/test/helpers/redis.js";
import { suiteFixture } from "../../packages/oauth/test/helpers/suite-fixture.js";
import { ROOT } from "./everything.js";
import { type ExampleProcess, startExample } from "./example-process.js";
import { freePort } from "./free-port.js";
import { type ForwardedHeaders, type RoundRobinProxy, startRoundRobinProxy } from "./round-robin-proxy.js";

export const CLUSTER_MAIN = join(ROOT, "examples/cluster/dist/main.js");

/** What an instance logs once it serves (examples/cluster's start-up line). */
const READY = "ready: clients connect to";

export interface ClusterOptions {
  /** Instance names, in the proxy's order (default `a`, `b`). */
  instances?: readonly string[];
  /** Set on every instance, on top of the shared keys and secrets. */
  env?: Record<string, string>;
  /** `X-Forwarded-*` the proxy adds (default none). */
  forwarded?: ForwardedHeaders;
}

export interface ClusterInstance {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`: the instance itself, bypassing the proxy. */
  readonly origin: string;
  /** The running process; throws while the instance is down. */
  readonly process: ExampleProcess;
  readonly running: boolean;
}

export interface Cluster {
  /** The public URL: the proxy's origin, every instance's `OAUTH_SERVER_URL`. */
  readonly issuer: string;
  /** `<issuer>/mcp`: where clients connect, the tokens' audience. */
  readonly mcpUrl: string;
  readonly proxy: RoundRobinProxy;
  /**
   * The one redis-server, persistent (every write synced to its append-only
   * file): `kill()` it and `restart()` it on its port with nothing lost.
   */
  readonly redis: TestRedis;
  /** By name. */
  readonly instances: Readonly<Record<string, ClusterInstance>>;
  /** The environment every instance shares (keys, secrets, Redis, public URL), as given to each. */
  readonly env: Readonly<Record<string, string>>;
  /** The instance by name; throws for an unknown one. */
  instance(name: string): ClusterInstance;
  /** SIGKILL, and waits for the process to be gone. */
  kill(name: string): Promise<void>;
  /** Starts a killed (or stopped) instance again on its port; resolves once it serves. */
  restart(name: string): Promise<void>;
  /**
   * Sends throwaway requests (`GET /health`) through the proxy until its next
   * request goes to `name`: to start something on a chosen instance.
   */
  steerTo(name: string): Promise<void>;
  /** Everything every instance (current and earlier processes) wrote to stderr. */
  stderr(): string;
  close(): Promise<void>;
}

/** Keys and secrets for one run: the same on every instance, as production needs them. */
function sharedSecrets(): Record<string, string> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    OAUTH_SIGNING_KEY: JSON.stringify(privateKey.export({ format: "jwk" })),
    OAUTH_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    MCP_REQUEST_STATE_SECRET: randomBytes(32).toString("hex"),
  };
}

/** Starts Redis, the proxy and the instances (in parallel); everything is stopped again if one fails. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const names = options.instances ?? ["a", "b"];
  const redis = await startRedis({ persistent: true });
  const ports = await Promise.all(names.map(() => freePort()));
  // The proxy reads each backend's port per request: a port taken meanwhile can be replaced (below).
  const backends = names.map((name, i) => ({ name, port: ports[i] as number }));
  const proxy = await startRoundRobinProxy({
    backends,
    ...(options.forwarded ? { forwarded: options.forwarded } : {}),
  });
  const env: Record<string, string> = {
    ...sharedSecrets(),
    SESSION_PROVIDER: "redis",
    SESSION_REDIS_URL: redis.url,
    OAUTH_SERVER_URL: proxy.origin,
    ...options.env,
  };
  const processes = new Map<string, ExampleProcess>();
  const earlierStderr: string[] = [];

  const start = async (name: string) => {
    const port = ports[names.indexOf(name)] as number;
    processes.set(
      name,
      await startExample({
        main: CLUSTER_MAIN,
        name: `cluster instance ${name}`,
        env: { ...env, INSTANCE_NAME: name },
        port,
        ready: READY,
      }),
    );
  };
  /**
   * The first start: a free port is found by binding port 0 and releasing it,
   * and another process may take it before the instance binds it; then the
   * instance gets another port (a restart keeps its port, which it held).
   */
  const startFirst = async (name: string) => {
    const i = names.indexOf(name);
    for (let attempt = 1; ; attempt++) {
      try {
        return await start(name);
      } catch (err) {
        if (attempt >= 3 || !/EADDRINUSE/.test(String(err))) throw err;
        const port = await freePort();
        ports[i] = port;
        (backends[i] as { port: number }).port = port;
      }
    }
  };

  const instances: Record<string, ClusterInstance> = {};
  names.forEach((name, i) => {
    instances[name] = {
      name,
      get port() {
        return ports[i] as number;
      },
      get origin() {
        return `http://127.0.0.1:${ports[i]}`;
      },
      get process() {
        const p = processes.get(name);
        if (!p) throw new Error(`instance ${name} is not running`);
        return p;
      },
      get running() {
        const p = processes.get(name);
        return p !== undefined && p.child.exitCode === null && p.child.signalCode === null;
      },
    };
  });
  const instance = (name: string): ClusterInstance => {
    const found = instances[name];
    if (!found) throw new Error(`no instance named ${name}`);
    return found;
  };
  const stop = async (name: string, how: "SIGKILL" | "SIGTERM") => {
    const p = processes.get(name);
    if (!p) return;
    processes.delete(name);
    earlierStderr.push(p.stderr());
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(how);
    await p.exited;
  };
  const close = async () => {
    await Promise.all(names.map((name) => stop(name, "SIGTERM")));
    await proxy.close();
    await redis.stop();
  };

  try {
    await Promise.all(names.map(startFirst));
  } catch (err) {
    await close();
    throw err;
  }

  return {
    issuer: proxy.origin,
    mcpUrl: `${proxy.origin}/mcp`,
    proxy,
    redis,
    instances,
    env,
    instance,
    kill: (name) => stop(instance(name).name, "SIGKILL"),
    async restart(name) {
      await stop(instance(name).name, "SIGTERM");
      await start(name);
    },
    async steerTo(name) {
      instance(name);
      for (let i = 0; i < names.length && proxy.next() !== name; i++) {
        await (await fetch(`${proxy.origin}/health`)).body?.cancel();
      }
      if (proxy.next() !== name) throw new Error(`the proxy would not send the next request to ${name}`);
    },
    stderr: () => [...earlierStderr, ...[...processes.values()].map((p) => p.stderr())].join(""),
    close,
  };
}

/** The cluster for the file (or `describe`), started in `beforeAll`, stopped in `afterAll`. */
export const useCluster = (options: ClusterOptions = {}): Cluster =>
  suiteFixture(
    () => startCluster(options),
    (cluster) => cluster.close(),
  );
