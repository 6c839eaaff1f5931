/**
 * run({ ssl }) serves MCP over HTTPS with the given certificate and key
 * (made here with openssl: a self-signed certificate for 127.0.0.1).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChukMCPServer } from "@chuk-mcp/server";
import { afterAll, expect, test } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "chuk-tls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function selfSigned(): { cert: string; key: string } {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  // biome-ignore format: one openssl argument per line reads worse here
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}

function post(url: string, ca: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        ca,
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2026-07-28",
          "mcp-method": "server/discover",
        },
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          data += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

test("HTTPS with the configured certificate: the URL says https and a request verifies against the cert", async () => {
  const { cert, key } = selfSigned();
  const mcp = new ChukMCPServer("tls", { logLevel: "silent" });
  const running = await mcp.run({ port: 0, handleSignals: false, ssl: { cert, key } });
  try {
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const res = await post(running.url as string, cert, {
      jsonrpc: "2.0",
      id: 1,
      method: "server/discover",
      params: {
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { result: { supportedVersions: string[] } }).result.supportedVersions).toContain(
      "2026-07-28",
    );
  } finally {
    await running.close();
  }
});
