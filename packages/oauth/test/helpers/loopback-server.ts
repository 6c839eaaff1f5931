import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { Server as TlsServer } from "node:tls";

/** A server listening on 127.0.0.1. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`, or `https://…` for a TLS server. */
  readonly origin: string;
  readonly port: number;
  /** Stops the server; resolves once it is closed (also when it was not listening). */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 at a free port (rejects on a listen error). The origin's
 * scheme follows the server: `https` for a node:https server, `http` otherwise.
 * `close()` also ends open keep-alive and SSE connections, which would
 * otherwise hold `server.close()` open.
 */
export async function listenOnLoopback(server: HttpServer | HttpsServer): Promise<LoopbackServer> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const scheme = server instanceof TlsServer ? "https" : "http";
  return {
    origin: `${scheme}://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        // Resolves even on ERR_SERVER_NOT_RUNNING: closing twice is harmless in a test's teardown.
        server.close(() => resolve());
      }),
  };
}
