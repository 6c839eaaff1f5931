/**
 * A tiny reverse proxy on 127.0.0.1 for tests of several instances: each
 * request goes to the next backend in turn (no affinity of any kind), bodies
 * stream back as they are written (SSE flows), and every request is recorded
 * with the backend that answered it. A backend that refuses the connection
 * (killed) is skipped and the request tried on the next one, like nginx's
 * `proxy_next_upstream error`: safe because a refused connection received
 * nothing. Once a request has reached a backend it is never sent again.
 *
 * Request bodies are read in full before they are forwarded (nginx's
 * `proxy_request_buffering on`, its default), so a refused request can be
 * retried with the same body. Headers pass through unchanged, `Host`
 * included; `X-Forwarded-*` are added only when asked for.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { listenOnLoopback } from "../../packages/oauth/test/helpers/loopback-server.js";

/** One backend: a name for assertions, and where it listens on 127.0.0.1. */
export interface Backend {
  name: string;
  port: number;
}

/** What the proxy adds as `X-Forwarded-*` (nothing unless given). */
export interface ForwardedHeaders {
  /** `X-Forwarded-Proto`. */
  proto?: string;
  /** `X-Forwarded-Host`; `true`: the request's own Host. */
  host?: string | true;
  /** `X-Forwarded-Prefix`. */
  prefix?: string;
  /** `X-Forwarded-For` with the client's address. */
  for?: boolean;
}

export interface RoundRobinProxyOptions {
  backends: readonly Backend[];
  forwarded?: ForwardedHeaders;
}

/** One request as the proxy handled it. */
export interface ProxiedRequest {
  method: string;
  /** The path and query. */
  url: string;
  /** The backend that answered; `undefined` when none could be reached (502). */
  backend: string | undefined;
  status: number;
  /** Backends that refused the connection before one answered, in order. */
  refusedBy: string[];
}

export interface RoundRobinProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly port: number;
  /** Every request so far, in the order their answers began. */
  readonly requests: ProxiedRequest[];
  /** How many requests each backend answered. */
  served(): Record<string, number>;
  /** The backend the next request goes to first (to start something on a chosen instance). */
  next(): string;
  close(): Promise<void>;
}

/** Headers that describe one hop, not the message: never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
]);

const endToEnd = (headers: IncomingHttpHeaders, without?: string): IncomingHttpHeaders => {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name) && name !== without) out[name] = value;
  return out;
};

/** Starts the proxy on a free port of 127.0.0.1. */
export async function startRoundRobinProxy(options: RoundRobinProxyOptions): Promise<RoundRobinProxy> {
  const { backends, forwarded } = options;
  if (backends.length === 0) throw new Error("the proxy needs at least one backend");
  const requests: ProxiedRequest[] = [];
  let next = 0;

  const headersFor = (req: IncomingMessage, body: Buffer): IncomingHttpHeaders => {
    // The body was read in full (and de-chunked): its length is known now.
    const headers = endToEnd(req.headers, "content-length");
    if (body.length > 0 || req.headers["content-length"] !== undefined) headers["content-length"] = String(body.length);
    if (forwarded?.proto !== undefined) headers["x-forwarded-proto"] = forwarded.proto;
    if (forwarded?.host !== undefined) {
      headers["x-forwarded-host"] = forwarded.host === true ? (req.headers.host ?? "") : forwarded.host;
    }
    if (forwarded?.prefix !== undefined) headers["x-forwarded-prefix"] = forwarded.prefix;
    if (forwarded?.for) headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
    return headers;
  };

  /** Sends the request to backends from `first` on, skipping those that refuse the connection. */
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, first: number, refusedBy: string[]) => {
    // The client gave up while an earlier backend refused: nothing left to send.
    if (res.destroyed) return;
    const backend = backends[(first + refusedBy.length) % backends.length] as Backend;
    const record: ProxiedRequest = {
      method: req.method ?? "GET",
      url: req.url ?? "/",
      backend: undefined,
      status: 0,
      refusedBy,
    };
    // A fresh connection per request (no keep-alive pool): a killed backend then shows as a refused
    // connection, which is safe to retry, never as a reset of a reused socket, which is not.
    const upstream = httpRequest({
      host: "127.0.0.1",
      port: backend.port,
      method: req.method,
      path: req.url,
      headers: headersFor(req, body),
      agent: false,
    });
    upstream.on("response", (answer) => {
      record.backend = backend.name;
      record.status = answer.statusCode ?? 0;
      requests.push(record);
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
      // Headers go out now: an SSE stream's first event may be a while coming.
      res.flushHeaders();
      answer.pipe(res);
      // The backend died mid-answer: end the client's connection too, as a proxy would.
      answer.on("close", () => {
        if (!answer.complete) res.destroy();
      });
    });
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      if (record.backend !== undefined) {
        res.destroy();
        return;
      }
      if (err.code === "ECONNREFUSED" && refusedBy.length + 1 < backends.length) {
        forward(req, res, body, first, [...refusedBy, backend.name]);
        return;
      }
      record.status = 502;
      record.refusedBy = err.code === "ECONNREFUSED" ? [...refusedBy, backend.name] : refusedBy;
      requests.push(record);
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`bad gateway: ${err.code ?? err.message}`);
    });
    // The client went away (closed an SSE stream, cancelled a request): so does the backend's connection.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const first = next;
      next = (next + 1) % backends.length;
      forward(req, res, Buffer.concat(chunks), first, []);
    });
    req.on("error", () => res.destroy());
  });
  // Long-lived SSE streams must not be cut by the server's own timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  const { origin, port, close } = await listenOnLoopback(server);

  return {
    origin,
    port,
    requests,
    served() {
      const counts: Record<string, number> = Object.fromEntries(backends.map((b) => [b.name, 0]));
      for (const r of requests) if (r.backend !== undefined) counts[r.backend] = (counts[r.backend] ?? 0) + 1;
      return counts;
    },
    next: () => (backends[next] as Backend).name,
    close,
  };
}
