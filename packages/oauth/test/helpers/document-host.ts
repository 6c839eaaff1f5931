/**
 * A real HTTPS server on 127.0.0.1 that serves Client ID Metadata Documents
 * (and misbehaves on request: redirects, oversize, slow, wrong types), with a
 * self-signed certificate made at test time with openssl, for 127.0.0.1,
 * `localhost` and `cimd.test`. Counts the requests per path, so tests can
 * tell a refusal before connecting from one after, and a cache hit from a fetch.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenOnLoopback } from "./loopback-server.js";
import { suiteFixture } from "./suite-fixture.js";

/** What a path answers: a JSON document with headers, or a handler of its own. */
export type Route =
  | {
      /** Default 200. */
      status?: number;
      /** Default `content-type: application/json`. */
      headers?: Record<string, string>;
      /** An object is sent as JSON. */
      body?: unknown;
      /** Waits this long before answering. */
      delayMs?: number;
    }
  | ((req: IncomingMessage, res: ServerResponse) => void);

export interface DocumentHost {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  port: number;
  /** The certificate (PEM): the CA to trust. */
  ca: string;
  /** Serves `route` at `path` and returns its URL on `origin`. */
  serve(path: string, route: Route): string;
  /** How many requests `path` has had. */
  hits(path: string): number;
  /** Request headers seen at `path` (the last request). */
  lastHeaders(path: string): IncomingMessage["headers"] | undefined;
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1, localhost and cimd.test (one day). */
export function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "chuk-cimd-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    // biome-ignore format: one openssl argument per line reads worse here
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:cimd.test"], { stdio: "ignore" });
    return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startDocumentHost(): Promise<DocumentHost> {
  const { cert, key } = selfSignedCertificate();
  const routes = new Map<string, Route>();
  const counts = new Map<string, number>();
  const headers = new Map<string, IncomingMessage["headers"]>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer({ cert, key }, (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    counts.set(path, (counts.get(path) ?? 0) + 1);
    headers.set(path, req.headers);
    const route = routes.get(path);
    if (route === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    if (typeof route === "function") return route(req, res);
    const answer = () => {
      const body = typeof route.body === "string" ? route.body : JSON.stringify(route.body ?? {});
      res.writeHead(route.status ?? 200, { "content-type": "application/json", ...route.headers }).end(body);
    };
    if (route.delayMs === undefined) return answer();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) answer();
    }, route.delayMs);
    timers.add(timer);
  });
  // An https server: the origin comes back as https://127.0.0.1:<port>.
  const { origin, port, close } = await listenOnLoopback(server);
  return {
    origin,
    port,
    ca: cert,
    serve: (path, route) => {
      routes.set(path, route);
      return `${origin}${path}`;
    },
    hits: (path) => counts.get(path) ?? 0,
    lastHeaders: (path) => headers.get(path),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await close();
    },
  };
}

/** One document host for the file (or `describe`), started in `beforeAll`, closed in `afterAll`. */
export const useDocumentHost = (): DocumentHost => suiteFixture(startDocumentHost, (host) => host.close());

/** A valid metadata document for `url`: a public client with one loopback redirect URI (and `overrides`). */
export function metadataDocument(url: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: url,
    client_name: "Document Client",
    client_uri: "https://app.example.com",
    redirect_uris: ["http://127.0.0.1:47000/callback"],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
    ...overrides,
  };
}

let pathCounter = 0;

/** A fresh path on the host, so no test sees another's cache or hit count. */
export const freshPath = (name: string): string => {
  pathCounter += 1;
  return `/${name}-${pathCounter}/client.json`;
};
