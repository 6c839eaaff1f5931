/**
 * The client side of a browser login: a tiny HTTP server on 127.0.0.1 that
 * stands for a native MCP client's loopback redirect URI (RFC 8252), records
 * the query of every redirect it receives (`code`, `state`, `iss` or
 * `error`) and shows the person a "you can close this tab" page.
 */
import { createServer, type Server } from "node:http";
import { listenOnLoopback } from "../../packages/oauth/test/helpers/loopback-server.js";
import type { CallbackParams } from "./oauth-client.js";

export interface LoopbackRedirect {
  /** `http://127.0.0.1:<port>/callback`. */
  url: string;
  /** Every redirect received, in order. */
  received: URL[];
  /** The next redirect (or one already received and not yet taken). */
  next(timeoutMs?: number): Promise<CallbackParams & { url: URL }>;
  close(): Promise<void>;
}

export async function startLoopbackRedirect(): Promise<LoopbackRedirect> {
  const received: URL[] = [];
  let taken = 0;
  const waiting: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/callback") {
      res.writeHead(404).end();
      return;
    }
    received.push(new URL(req.url ?? "/", `http://${req.headers.host}`));
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<!doctype html><title>Signed in</title><p>You can close this tab and return to the application.</p>");
    for (const wake of waiting.splice(0)) wake();
  });
  const { origin, close } = await listenOnLoopback(server);
  return {
    url: `${origin}/callback`,
    received,
    async next(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length <= taken) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no redirect reached the client's loopback redirect URI in ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiting.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      const url = received[taken++] as URL;
      const p = url.searchParams;
      return { url, code: p.get("code"), state: p.get("state"), iss: p.get("iss"), error: p.get("error") };
    },
    close,
  };
}
