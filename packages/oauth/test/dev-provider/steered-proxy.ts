/**
 * A forwarding proxy on 127.0.0.1 that the test steers: every request goes to
 * the backend chosen last (`sendTo`), and is recorded with the backend that
 * answered it. It stands for the public URL that several instances share, so
 * each step of a login can be sent to the instance the test picks.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { listenOnLoopback } from "../helpers/loopback-server.js";

/** One request as the proxy handled it. */
export interface SteeredRequest {
  method: string;
  /** The path, without the query. */
  path: string;
  backend: string;
  status: number;
}

export interface SteeredProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Every request so far, in order. */
  readonly requests: SteeredRequest[];
  /** Sends the requests from now on to `backend`. */
  sendTo(backend: string): void;
  close(): Promise<void>;
}

/** Starts the proxy in front of `backends` (name → port), sending to the first until told otherwise. */
export async function startSteeredProxy(backends: Record<string, number>): Promise<SteeredProxy> {
  const names = Object.keys(backends);
  let current = names[0];
  if (current === undefined) throw new Error("the proxy needs a backend");
  const requests: SteeredRequest[] = [];

  const server = createServer((req, res) => {
    const backend = current as string;
    const headers: IncomingHttpHeaders = { ...req.headers };
    delete headers.connection;
    const upstream = httpRequest(
      { host: "127.0.0.1", port: backends[backend], method: req.method, path: req.url, headers, agent: false },
      (answer) => {
        requests.push({
          method: req.method ?? "GET",
          path: (req.url ?? "/").split("?")[0] as string,
          backend,
          status: answer.statusCode ?? 0,
        });
        const answerHeaders: IncomingHttpHeaders = { ...answer.headers };
        // One hop's framing, not the message's: Node frames the answer to the client itself.
        for (const name of ["connection", "keep-alive", "transfer-encoding"]) delete answerHeaders[name];
        res.writeHead(answer.statusCode ?? 502, answerHeaders);
        answer.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`bad gateway: ${err.message}`);
    });
    req.pipe(upstream);
  });
  const { origin, close } = await listenOnLoopback(server);
  return {
    origin,
    requests,
    sendTo(backend) {
      if (!(backend in backends)) throw new Error(`no backend named ${backend}`);
      current = backend;
    },
    close,
  };
}
