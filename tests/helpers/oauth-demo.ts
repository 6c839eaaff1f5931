/**
 * Starts examples/oauth-demo as users run it (`node examples/oauth-demo/dist/main.js`,
 * the built one) in a child process on a free port named by `PORT`, so the
 * issuer, the metadata and the tokens carry the URL a client really uses:
 * `http://localhost:<port>/mcp`. Its stderr (pino JSON lines) is kept for
 * assertions and for the message of a failed start.
 */
import { join } from "node:path";
import { suiteFixture } from "../../packages/oauth/test/helpers/suite-fixture.js";
import { ROOT } from "./everything.js";
import { type ExampleProcess, startExample } from "./example-process.js";

export const OAUTH_DEMO_MAIN = join(ROOT, "examples/oauth-demo/dist/main.js");

/** The running demo: its issuer is `http://localhost:<port>`. */
export type RunningDemo = ExampleProcess;

/** Starts the demo with `env` on top of a scrubbed copy of this process's environment (PORT: a free one unless given). */
export const startOAuthDemo = (env: Record<string, string> = {}, timeoutMs = 20_000): Promise<RunningDemo> =>
  startExample({
    main: OAUTH_DEMO_MAIN,
    name: "the OAuth demo",
    env,
    port: env.PORT ? Number(env.PORT) : undefined,
    host: "localhost",
    // The last line the demo logs once it listens.
    ready: "To try it: npx @modelcontextprotocol/inspector",
    timeoutMs,
  });

/** The demo for the file (or `describe`), started with `env` in `beforeAll`, closed in `afterAll`. */
export const useOAuthDemo = (env: Record<string, string> = {}): RunningDemo =>
  suiteFixture(
    () => startOAuthDemo(env),
    (demo) => demo.close(),
  );
