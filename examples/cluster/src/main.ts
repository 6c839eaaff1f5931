/**
 * One MCP server meant to run as several instances behind a load balancer,
 * all on one Redis, configured from the environment only:
 *
 * - `SESSION_PROVIDER=redis`, `SESSION_REDIS_URL`: the shared store;
 * - `OAUTH_SERVER_URL`: the public URL, the load balancer's (the issuer;
 *   default `http://127.0.0.1:<PORT>`, this instance alone);
 * - `OAUTH_SIGNING_KEY`, `OAUTH_ENCRYPTION_KEY`, `MCP_REQUEST_STATE_SECRET`:
 *   the same on every instance, so any instance verifies what another issued;
 * - `PORT` (default 8000), `HOST` (default 127.0.0.1): where this instance listens;
 * - `INSTANCE_NAME`: how this instance names itself in its start-up line and
 *   in the tools' answers (default `<hostname>:<PORT>`).
 *
 * The tools show what crosses instances: `echo` (public), `whoami` (needs a
 * login), `ask` (an elicitation), `count` (progress, logging, cancellation),
 * `add_tool` (tools/list_changed), and the subscribable resource
 * `note://current` with `set_note` (resources/updated). Each answer names the
 * instance that ran it.
 *
 * The login is the development provider of examples/oauth-demo (any username,
 * no password), served under the public URL like everything else: it keeps
 * its codes and tokens in the shared store and derives its client secret from
 * `OAUTH_ENCRYPTION_KEY`, so the login page, its token endpoint and our
 * callback may each be served by any instance.
 */
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { DevOAuthProvider, OAuthMiddleware, resolveOAuthConfig, type TokenStore } from "@chuk-mcp/oauth";
import { ChukMCPServer, ConfigError, requiresAuth, TOOL_NAME_PATTERN } from "@chuk-mcp/server";
import { z } from "zod";

/** The resource `set_note` changes. */
const NOTE_URI = "note://current";
/** Where the note lives in the shared store, so every instance reads the same one. */
const NOTE_KEY = "chuk-mcp-example-cluster:note";

const env = process.env;
const port = portOf(env.PORT);
const host = env.HOST || "127.0.0.1";
const instance = env.INSTANCE_NAME || `${hostname()}:${port}`;
/** This instance's own address: the public URL when none is configured (one instance, no load balancer). */
const ownUrl = `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}`;
const { issuer } = resolveOAuthConfig({}, { env, defaultServerUrl: ownUrl });
const mcpUrl = `${issuer}/mcp`;

const server = new ChukMCPServer("chuk-cluster-example", {
  version: "0.1.0",
  title: "Cluster example",
  instructions: "Every answer names the instance that served it. whoami needs a login (any username).",
});

// The development login, under the public URL: any instance serves any step of it (see above).
const provider = new DevOAuthProvider({ serverUrl: issuer, logger: server.logger });
let middleware: OAuthMiddleware | undefined;

/** The shared store, once the OAuth middleware has opened it. */
const store = (): TokenStore => {
  if (!middleware) throw new Error("the store is not open yet");
  return middleware.store;
};

server.tool(
  "echo",
  { description: "Returns the text it is given. Public.", input: { text: z.string().describe("Text to echo") } },
  ({ text }) => text,
);

server.tool(
  "whoami",
  {
    description: "Who the access token belongs to, and which instance answered. Needs a login.",
    output: { userId: z.string(), clientId: z.string(), scopes: z.array(z.string()), instance: z.string() },
    annotations: { readOnlyHint: true },
  },
  requiresAuth({}, (_args, ctx) => ({
    userId: ctx.auth.subject ?? "",
    clientId: ctx.auth.clientId,
    scopes: ctx.auth.scopes,
    instance,
  })),
);

server.tool(
  "ask",
  {
    description: "Asks the user to confirm (an elicitation); returns the answer and the instance that ran the tool.",
    input: { question: z.string().default("Go ahead?").describe("What to ask") },
    output: { action: z.string(), confirmed: z.boolean(), instance: z.string() },
  },
  async ({ question }, ctx) => {
    const answer = await ctx.elicit(
      {
        message: question,
        requestedSchema: {
          type: "object",
          properties: { confirm: { type: "boolean", description: "Yes or no" } },
          required: ["confirm"],
        },
      },
      { key: "confirm" },
    );
    const confirmed = answer.action === "accept" && answer.content?.confirm === true;
    return { action: answer.action, confirmed, instance };
  },
);

server.tool(
  "count",
  {
    description:
      "Counts to n, one step every intervalMs, reporting progress (and a debug log message) at each step. Cancellable.",
    input: {
      n: z.number().int().min(1).max(1000).default(5).describe("How far to count"),
      intervalMs: z.number().int().min(0).max(10_000).default(200).describe("Pause before each step"),
    },
    output: { counted: z.number(), instance: z.string() },
  },
  async ({ n, intervalMs }, ctx) => {
    for (let i = 1; i <= n; i++) {
      // Rejects once the request is cancelled: the handler stops here.
      await sleep(intervalMs, undefined, { signal: ctx.signal });
      await ctx.progress(i, n, `${i} of ${n} on ${instance}`);
      await ctx.log("debug", { counted: i, instance });
    }
    return { counted: n, instance };
  },
);

server.tool(
  "add_tool",
  {
    description:
      "Registers a tool named `name` on this instance (tools/list_changed goes out). A demonstration of notifications: a real cluster registers the same tools everywhere.",
    input: { name: z.string().regex(TOOL_NAME_PATTERN).describe("The new tool's name") },
    output: { added: z.string(), instance: z.string() },
  },
  ({ name }) => {
    server.tool(name, { description: `Added at run time on ${instance}.` }, () => `${name} (added on ${instance})`);
    return { added: name, instance };
  },
);

server.resource(
  NOTE_URI,
  {
    name: "current-note",
    description: "The note set_note wrote last (shared by every instance).",
    mimeType: "text/plain",
  },
  async () => (await store().backend.get(NOTE_KEY)) ?? "",
);

server.tool(
  "set_note",
  {
    description: `Replaces the note at ${NOTE_URI} and tells its subscribers (resources/updated).`,
    input: { text: z.string().max(10_000).describe("The new note") },
    output: { note: z.string(), instance: z.string() },
  },
  async ({ text }) => {
    await store().backend.set(NOTE_KEY, text);
    server.notifyResourceUpdated(NOTE_URI);
    return { note: text, instance };
  },
);

const running = await server.run({
  transport: "http",
  host,
  port,
  postRegisterHook: (mcp) => {
    middleware = new OAuthMiddleware({ mcpServer: mcp, provider, oauthServerUrl: issuer, env });
  },
});
void running.closed.then(() => middleware?.close());
if (store().backendKind !== "redis") {
  server.logger.warn(
    { instance },
    "SESSION_PROVIDER is not redis: this instance shares nothing with others (fine for one instance only)",
  );
}
server.logger.info(
  { instance, url: mcpUrl, listening: running.url },
  `cluster instance ${instance} ready: clients connect to ${mcpUrl}`,
);

/** `PORT` (default 8000): a fixed one, since the load balancer names it. */
function portOf(value: string | undefined): number {
  if (!value) return 8000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError("PORT: must be a port number (1-65535)");
  return n;
}
